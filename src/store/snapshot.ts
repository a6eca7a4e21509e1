/**
 * Snapshots of the derived indexes (HNSW graph, keyword index, article and chunk tables), so a
 * start loads them and replays only the log changes after them. A snapshot is a folder
 * `snapshot-<seq>` holding the graph, the keyword index, the tables (one article a line) and a
 * manifest (the article log it belongs to, the log sequence it covers, each file's size and hash,
 * and a hash of the manifest itself). It is written to a temp folder, fsynced and renamed into
 * place, so a crash leaves the previous snapshot or the new one. A damaged snapshot is renamed
 * `.damaged-<time>` (never deleted) and the indexes are rebuilt from the log.
 *
 * Writing one never holds the store's write lock: it serialises parts frozen at one sequence
 * (memory.ts `freeze`), in pieces, yielding to the event loop between them.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type MiniSearch from 'minisearch';
import { removeDeadTemps, syncDir } from './folder.js';
import { keywordJsonPieces, loadKeywordIndex, type KeywordDoc } from './keyword.js';
import type { FrozenParts, MemoryRow } from './memory.js';

type Hnsw = InstanceType<typeof hnswlib.HierarchicalNSW>;

/** Format 1 held no tables; such a snapshot is passed over (the indexes are rebuilt from the log). */
export const SNAPSHOT_FORMAT = 2;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Body {
  format: number;
  /** The article log's id (meta `log_id`): a snapshot of another log is never loaded. */
  logId: string;
  seq: number;
  dims: number;
  articles: number;
  chunks: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

export interface LoadedSnapshot {
  name: string;
  seq: number;
  hnsw: Hnsw | null;
  keyword: MiniSearch<KeywordDoc>;
  rows: MemoryRow[];
}

export const snapshotFolders = async (dir: string) =>
  (await readdir(dir))
    .map((e) => /^snapshot-(\d+)$/.exec(e))
    .filter((m) => !!m)
    .map((m) => ({ name: m![0], seq: Number(m![1]) }))
    .sort((a, b) => b.seq - a.seq);

/** Lets timers and I/O run between pieces of a long serialisation. */
const breathe = () => new Promise<void>((r) => setImmediate(r));

/** Writes text pieces to a file, hashing as it goes, and fsyncs it. */
async function writePieces(path: string, pieces: Iterable<string>): Promise<{ bytes: number; sha256: string }> {
  const fh = await open(path, 'w');
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for (const piece of pieces) {
      const buf = Buffer.from(piece);
      hash.update(buf);
      bytes += buf.length;
      await fh.write(buf);
      await breathe();
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return { bytes, sha256: hash.digest('hex') };
}

function* rowLines(rows: MemoryRow[], batch = 200): Generator<string> {
  for (let i = 0; i < rows.length; i += batch)
    yield rows
      .slice(i, i + batch)
      .map((r) => `${JSON.stringify(r)}\n`)
      .join('');
}

async function hashFile(path: string): Promise<{ bytes: number; sha256: string }> {
  const hash: Hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Writes the frozen parts as of log sequence `seq`; returns the bytes written (0 when another
 * process wrote this one already). Keeps the newest two snapshots (another process may be
 * loading the older one) and temp folders of live writers.
 */
export async function writeSnapshot(dir: string, state: { seq: number; dims: number; logId: string; parts: FrozenParts }): Promise<number> {
  const name = `snapshot-${String(state.seq).padStart(9, '0')}`;
  if ((await readdir(dir)).includes(name)) return 0;
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  const files: Body['files'] = {};
  const { hnsw, keyword, rows } = state.parts;
  if (hnsw) {
    const path = join(tmp, 'vectors.hnsw');
    // hnswlib writes from a worker thread; the graph is frozen until this snapshot is done.
    await hnsw.writeIndex(path);
    const fh = await open(path, 'r+');
    await fh.sync().finally(() => fh.close());
    files['vectors.hnsw'] = await hashFile(path);
  }
  files['keyword.json'] = await writePieces(join(tmp, 'keyword.json'), keywordJsonPieces(keyword));
  files['articles.jsonl'] = await writePieces(join(tmp, 'articles.jsonl'), rowLines(rows));
  const body: Body = {
    format: SNAPSHOT_FORMAT,
    logId: state.logId,
    seq: state.seq,
    dims: state.dims,
    articles: rows.length,
    chunks: rows.reduce((n, r) => n + r.chunks.length, 0),
    files,
  };
  const text = JSON.stringify(body);
  files['manifest.json'] = await writePieces(join(tmp, 'manifest.json'), [JSON.stringify({ body: text, sha256: sha256(text) })]);
  try {
    await rename(tmp, join(dir, name));
  } catch {
    await rm(tmp, { recursive: true, force: true }); // the same snapshot landed meanwhile
    return 0;
  }
  await syncDir(dir);
  for (const old of (await snapshotFolders(dir)).slice(2)) await rm(join(dir, old.name), { recursive: true, force: true });
  await removeDeadTemps(dir);
  return Object.values(files).reduce((n, f) => n + f.bytes, 0);
}

/** Why a snapshot folder is not loaded: `other` ones are passed over, `damaged` ones set aside. */
export class SnapshotRefused extends Error {
  constructor(
    readonly kind: 'damaged' | 'other',
    message: string,
  ) {
    super(message);
  }
}

/** The manifest of a snapshot folder, checked against its own hash. */
export async function readManifest(path: string): Promise<Body> {
  let outer: { body: string; sha256: string };
  try {
    outer = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8'));
  } catch {
    throw new SnapshotRefused('damaged', 'manifest.json is unreadable');
  }
  if (typeof outer.body !== 'string' || sha256(outer.body) !== outer.sha256) throw new SnapshotRefused('damaged', 'manifest.json does not match its checksum');
  return JSON.parse(outer.body) as Body;
}

/** Reads and checks one snapshot folder. */
export async function readSnapshot(path: string, want: { dims: number; logId: string }): Promise<LoadedSnapshot & { body: Body }> {
  const body = await readManifest(path);
  if (body.format !== SNAPSHOT_FORMAT) throw new SnapshotRefused('other', `it is of format ${body.format}, this Archivist reads ${SNAPSHOT_FORMAT}`);
  if (body.logId !== want.logId) throw new SnapshotRefused('other', 'it belongs to another article log');
  if (body.dims !== want.dims) throw new SnapshotRefused('other', `it has ${body.dims} dimensions, the log ${want.dims}`);
  for (const [f, w] of Object.entries(body.files)) {
    const got = await hashFile(join(path, f)).catch(() => undefined);
    if (!got || got.bytes !== w.bytes || got.sha256 !== w.sha256) throw new SnapshotRefused('damaged', `${f} does not match its checksum`);
  }
  let hnsw: Hnsw | null = null;
  if (body.files['vectors.hnsw']) {
    hnsw = new hnswlib.HierarchicalNSW('ip', body.dims);
    await hnsw.readIndex(join(path, 'vectors.hnsw'), true);
  }
  const keyword = await loadKeywordIndex(await readFile(join(path, 'keyword.json'), 'utf8'));
  const rows: MemoryRow[] = [];
  const lines = (await readFile(join(path, 'articles.jsonl'), 'utf8')).split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]) rows.push(JSON.parse(lines[i]) as MemoryRow);
    if (i % 1000 === 999) await breathe();
  }
  const name = path.split(/[\\/]/).at(-1)!;
  return { name, seq: body.seq, hnsw, keyword, rows, body };
}

/**
 * Loads the newest snapshot of this log that checks out. A damaged one is set aside and
 * reported, and the next older one is tried; undefined when none is usable (the caller rebuilds
 * from the log).
 */
export async function loadSnapshot(dir: string, want: { dims: number; logId: string }, report: (line: string) => void): Promise<LoadedSnapshot | undefined> {
  for (const snap of await snapshotFolders(dir)) {
    const path = join(dir, snap.name);
    try {
      return await readSnapshot(path, want);
    } catch (e) {
      if (e instanceof SnapshotRefused && e.kind === 'other') {
        report(`store: the index snapshot ${snap.name} is not used (${e.message}); the indexes are rebuilt from the article log`);
        continue;
      }
      const aside = `${snap.name}.damaged-${Date.now()}`;
      const moved = await rename(path, join(dir, aside)).then(
        () => true,
        () => false,
      );
      if (moved)
        report(
          `store: the index snapshot ${snap.name} is damaged (${(e as Error).message}); set aside as ${aside}, the indexes are rebuilt from the article log`,
        );
    }
  }
  return undefined;
}
