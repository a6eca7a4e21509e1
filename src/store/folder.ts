/**
 * The index folder itself: what may be in it and what Archivist may touch. The folder carries a
 * marker file naming the format; a folder holding other things and no marker is refused, never
 * emptied. A folder in the previous format (generation folders named by `CURRENT`) is imported
 * into the article log once, so nothing added through the API is lost on upgrade; its files are
 * left where they are.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type { Article } from '../corpus/article.js';
import { AppError } from '../errors.js';
import type { IndexSettings, StoredChunk } from './types.js';

export const MARKER = 'archivist-index.json';
/** The folder format this code reads and writes. Format 1 was generation folders + CURRENT. */
export const FOLDER_FORMAT = 2;

/** Names Archivist itself puts in the folder (format 2 and, for the import, format 1). */
const OURS =
  /^(archivist-index\.json(\.tmp-\d+)?|sources-state\.json(\.tmp|\.imported)?|articles\.db(-wal|-shm|-journal)?|articles\.db\.(damaged|copy)-\d+(-wal|-shm)?|articles\.seq(\.tmp-\d+)?|snapshot-\d+(\.damaged-\d+)?|\.snapshot-\d+\.tmp-\d+|CURRENT(\.tmp)?|gen-\d+|\.gen-\d+\.tmp-\d+)$/;
const LEGACY = /^(CURRENT(\.tmp)?|gen-\d+|\.gen-\d+\.tmp-\d+)$/;
/**
 * Empty placeholder files that keep a folder in version control (the repository tracks `index/`
 * this way). They say nothing about what the folder holds, so they are neither counted as foreign
 * nor ever removed: the folder is judged by its other entries.
 */
const PLACEHOLDERS = new Set(['.gitkeep', '.keep']);

export type FolderState = { kind: 'current' } | { kind: 'new' } | { kind: 'legacy' };

/** Writes a file and fsyncs it before returning (the caller decides how it is renamed into place). */
export async function writeSynced(path: string, data: string | Buffer): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a file so that it is on disk, whole, under its final name (temp + fsync + rename). */
export async function writeFileDurably(path: string, data: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeSynced(tmp, data);
  await rename(tmp, path);
}

/** A temp file or folder this module or a snapshot writes: `<name>.tmp-<pid>` or `.snapshot-<seq>.tmp-<pid>`. */
const TEMP = /^(\.snapshot-\d+|articles\.seq|archivist-index\.json)\.tmp-(\d+)$/;

/**
 * Removes the temp files and folders left by writers that were killed before their rename, so a
 * crash leaves no clutter behind. A live writer's temp (another server on the same folder) is kept.
 */
export async function removeDeadTemps(dir: string): Promise<void> {
  for (const e of await readdir(dir)) {
    const m = TEMP.exec(e);
    if (m && !alive(Number(m[2]))) await rm(join(dir, e), { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** fsync of a directory, so a rename in it survives a power cut. */
export async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Decides what the folder is, creating it when missing.
 * @throws AppError('store_unavailable') for a folder of another format or one that is not ours.
 */
export async function inspectFolder(dir: string): Promise<FolderState> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR')
      throw new AppError('bad_config', 'store: INDEX_DIR is a file, not a folder; point INDEX_DIR at a folder (it is created when missing)');
    throw new AppError('bad_config', `store: INDEX_DIR cannot be created (${code ?? 'error'}); point INDEX_DIR at a folder this user may write`);
  }
  const entries = await meaningfulEntries(dir);
  if (entries.includes(MARKER)) {
    let marker: { format?: string; version?: number };
    try {
      marker = JSON.parse(await readFile(join(dir, MARKER), 'utf8'));
    } catch {
      marker = {};
    }
    if (marker.format !== 'archivist-index') {
      throw new AppError(
        'store_unavailable',
        `store: the index folder's ${MARKER} is unreadable; nothing was changed. Restore it from a backup or point INDEX_DIR at a new folder`,
      );
    }
    if (marker.version !== FOLDER_FORMAT) {
      throw new AppError(
        'store_unavailable',
        `store: the index folder is in format ${marker.version}, this Archivist reads format ${FOLDER_FORMAT}; use the Archivist that wrote it, or point INDEX_DIR at a new folder`,
      );
    }
    return { kind: 'current' };
  }
  if (entries.length === 0) return { kind: 'new' };
  const foreign = entries.filter((e) => !OURS.test(e));
  if (foreign.length || !entries.includes('CURRENT')) {
    throw new AppError(
      'store_unavailable',
      `store: INDEX_DIR holds ${entries.length} entries and no ${MARKER}, so it is not an Archivist index; nothing was changed. Point INDEX_DIR at an empty or new folder`,
    );
  }
  return { kind: 'legacy' };
}

/** The folder's entries without the empty placeholders version control keeps it with. */
async function meaningfulEntries(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (PLACEHOLDERS.has(e.name) && e.isFile() && (await stat(join(dir, e.name))).size === 0) continue;
    out.push(e.name);
  }
  return out;
}

/** Marks the folder as ours, in this format: the last step of creating or importing it. */
export async function writeMarker(dir: string): Promise<void> {
  await writeFileDurably(join(dir, MARKER), `${JSON.stringify({ format: 'archivist-index', version: FOLDER_FORMAT }, null, 2)}\n`);
  await syncDir(dir);
}

interface LegacyManifest {
  formatVersion: number;
  settings: IndexSettings;
  files: Record<string, { bytes: number; sha256: string }>;
}

/**
 * Reads the live generation of a format-1 folder: settings, articles, chunks and the vectors
 * stored in its HNSW graph (so the import needs no re-embedding).
 * @throws AppError('store_unavailable') when that generation is damaged; nothing is changed.
 */
export async function readLegacy(
  dir: string,
): Promise<{ settings: IndexSettings; records: { article: Article; chunks: StoredChunk[]; vectors: Float32Array[] }[] }> {
  const damaged = (why: string) =>
    new AppError(
      'store_unavailable',
      `store: INDEX_DIR holds an index of the previous format that cannot be read (${why}); nothing was changed. Move the folder aside and start again to build a new index from SEEDS_DIR`,
    );
  const current = (await readFile(join(dir, 'CURRENT'), 'utf8').catch(() => '')).trim();
  if (!/^gen-\d+$/.test(current) || !LEGACY.test(current)) throw damaged('CURRENT does not name a generation');
  const gen = join(dir, current);
  let manifest: LegacyManifest;
  try {
    manifest = JSON.parse(await readFile(join(gen, 'manifest.json'), 'utf8'));
  } catch {
    throw damaged('its manifest is unreadable');
  }
  if (manifest.formatVersion !== 1) throw damaged(`format ${manifest.formatVersion}`);
  const bufs: Record<string, Buffer> = {};
  for (const f of ['articles.json', 'vectors.hnsw']) {
    const buf = await readFile(join(gen, f)).catch(() => undefined);
    const want = manifest.files?.[f];
    if (!buf || !want || buf.length !== want.bytes || createHash('sha256').update(buf).digest('hex') !== want.sha256)
      throw damaged(`${f} does not match its checksum`);
    bufs[f] = buf;
  }
  const rows = JSON.parse(bufs['articles.json'].toString('utf8')) as { article: Article; chunks: (StoredChunk & { label: number })[] }[];
  let point: (label: number) => Float32Array = () => {
    throw damaged('vectors missing');
  };
  if (bufs['vectors.hnsw'].length) {
    const hnsw = new hnswlib.HierarchicalNSW('ip', manifest.settings.dims);
    await hnsw.readIndex(join(gen, 'vectors.hnsw'), true);
    point = (label) => Float32Array.from(hnsw.getPoint(label));
  }
  return {
    settings: manifest.settings,
    records: rows.map((r) => ({
      article: r.article,
      chunks: r.chunks.map(({ label: _label, ...c }) => c),
      vectors: r.chunks.map((c) => point(c.label)),
    })),
  };
}

/** Bytes of the index folder's live files: the article log and the newest snapshot. */
export async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  const size = async (p: string) => (await stat(p).catch(() => undefined))?.size ?? 0;
  try {
    const entries = await readdir(dir);
    for (const e of entries.filter((x) => x.startsWith(LOG_FILE_PREFIX) && !x.includes('.tmp'))) total += await size(join(dir, e));
    const snap = entries
      .filter((e) => /^snapshot-\d+$/.test(e))
      .sort()
      .at(-1);
    if (snap) for (const f of await readdir(join(dir, snap))) total += await size(join(dir, snap, f));
  } catch {
    return 0;
  }
  return total;
}
const LOG_FILE_PREFIX = 'articles.db';
