/**
 * Snapshots of the derived indexes (HNSW graph, keyword index), so a start need not rebuild them
 * from the article log. A snapshot is a folder `snapshot-<seq>` holding the graph, the keyword
 * index and a manifest (the log sequence it includes, the chunk labels it holds, each file's size
 * and hash, and a hash of the manifest itself). It is written to a temp folder, fsynced and
 * renamed into place, so a crash leaves the previous snapshot or the new one. A damaged snapshot
 * is renamed `.damaged-<time>` (never deleted) and the indexes are rebuilt from the log.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type MiniSearch from 'minisearch';
import { syncDir, writeSynced } from './folder.js';
import { createKeywordIndex, type KeywordDoc } from './keyword.js';

type Hnsw = InstanceType<typeof hnswlib.HierarchicalNSW>;

export const SNAPSHOT_FORMAT = 1;
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

interface Body {
  format: number;
  seq: number;
  dims: number;
  labels: number[];
  files: Record<string, { bytes: number; sha256: string }>;
}

export interface LoadedSnapshot {
  seq: number;
  labels: number[];
  hnsw: Hnsw | null;
  keyword: MiniSearch<KeywordDoc>;
}

const snapshots = async (dir: string) =>
  (await readdir(dir)).map((e) => /^snapshot-(\d+)$/.exec(e)).filter((m) => !!m).map((m) => ({ name: m![0], seq: Number(m![1]) })).sort((a, b) => b.seq - a.seq);

/**
 * Writes the indexes as of log sequence `seq`; returns the bytes written. Keeps the newest two
 * snapshots (another process may be loading the older one) and temp folders of live writers.
 */
export async function writeSnapshot(dir: string, state: { seq: number; dims: number; labels: number[]; hnsw: Hnsw | null; keyword: MiniSearch<KeywordDoc> }): Promise<number> {
  const name = `snapshot-${String(state.seq).padStart(9, '0')}`;
  if ((await readdir(dir)).includes(name)) return 0; // another process wrote this one already
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp);
  const files: Body['files'] = {};
  let bytes = 0;
  const put = async (f: string, data: Buffer) => {
    await writeSynced(join(tmp, f), data);
    files[f] = { bytes: data.length, sha256: sha256(data) };
    bytes += data.length;
  };
  if (state.hnsw) {
    const path = join(tmp, 'vectors.hnsw');
    await state.hnsw.writeIndex(path);
    const fh = await open(path, 'r+');
    await fh.sync().finally(() => fh.close());
    const buf = await readFile(path);
    files['vectors.hnsw'] = { bytes: buf.length, sha256: sha256(buf) };
    bytes += buf.length;
  }
  await put('keyword.json', Buffer.from(JSON.stringify(state.keyword)));
  const body: Body = { format: SNAPSHOT_FORMAT, seq: state.seq, dims: state.dims, labels: state.labels, files };
  const text = JSON.stringify(body);
  await put('manifest.json', Buffer.from(JSON.stringify({ body: text, sha256: sha256(text) })));
  try {
    await rename(tmp, join(dir, name));
  } catch {
    await rm(tmp, { recursive: true, force: true }); // the same snapshot landed meanwhile
    return bytes;
  }
  await syncDir(dir);
  for (const old of (await snapshots(dir)).slice(2)) await rm(join(dir, old.name), { recursive: true, force: true });
  for (const e of await readdir(dir)) {
    const m = /^\.snapshot-\d+\.tmp-(\d+)$/.exec(e);
    if (m && !alive(Number(m[1]))) await rm(join(dir, e), { recursive: true, force: true });
  }
  return bytes;
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

/**
 * Loads the newest snapshot that checks out. A damaged one is set aside and reported, and the
 * next older one is tried; undefined when none is usable (the caller rebuilds from the log).
 */
export async function loadSnapshot(dir: string, dims: number, report: (line: string) => void): Promise<LoadedSnapshot | undefined> {
  for (const snap of await snapshots(dir)) {
    const path = join(dir, snap.name);
    try {
      return await readOne(path, dims);
    } catch (e) {
      const aside = `${snap.name}.damaged-${Date.now()}`;
      const moved = await rename(path, join(dir, aside)).then(() => true, () => false);
      if (moved) report(`store: the index snapshot ${snap.name} is damaged (${(e as Error).message}); set aside as ${aside}, the indexes are rebuilt from the article log`);
    }
  }
  return undefined;
}

async function readOne(path: string, dims: number): Promise<LoadedSnapshot> {
  const outer = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as { body: string; sha256: string };
  if (sha256(outer.body) !== outer.sha256) throw new Error('manifest.json does not match its checksum');
  const body = JSON.parse(outer.body) as Body;
  if (body.format !== SNAPSHOT_FORMAT || body.dims !== dims) throw new Error(`format ${body.format}, ${body.dims} dimensions`);
  const bufs: Record<string, Buffer> = {};
  for (const [f, want] of Object.entries(body.files)) {
    const buf = await readFile(join(path, f));
    if (buf.length !== want.bytes || sha256(buf) !== want.sha256) throw new Error(`${f} does not match its checksum`);
    bufs[f] = buf;
  }
  let hnsw: Hnsw | null = null;
  if (body.files['vectors.hnsw']) {
    hnsw = new hnswlib.HierarchicalNSW('ip', dims);
    await hnsw.readIndex(join(path, 'vectors.hnsw'), true);
  }
  return { seq: body.seq, labels: body.labels, hnsw, keyword: createKeywordIndex(bufs['keyword.json'].toString('utf8')) };
}
