/**
 * The local store's opening, snapshots and damage handling, on real files, a real SQLite log
 * and a real HNSW graph (small seeded vectors: no model is needed for what is checked here).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { checkStore } from '../src/store/check.js';
import { LocalStore } from '../src/store/local.js';
import { linesLogger, REPO, tempDir } from './helpers.js';
import { seededVector, smallRecord } from './storeRecords.js';

const SETTINGS = { model: 'test-model', dims: 8, chunkSize: 800, chunkOverlap: 100 };

let root: string;
beforeAll(async () => {
  root = await tempDir('archivist-store-local-');
});
afterAll(async () => rm(root, { recursive: true, force: true }));

/**
 * Every file under `dir` with a hash of its bytes, but for articles.db-shm: SQLite's wal-index,
 * shared memory any reader rebuilds from the WAL (it holds no data).
 */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (e.name === 'articles.db-shm') continue;
    const p = join(e.parentPath, e.name);
    out[relative(dir, p)] = e.isFile()
      ? createHash('sha256')
          .update(await readFile(p))
          .digest('hex')
      : 'dir';
  }
  return out;
}

const snapshots = async (dir: string) => (await readdir(dir)).filter((e) => /^snapshot-\d+$/.test(e));

/** True when the store serves article i as its version `v`: listed, found by its vector and by its keyword. */
async function serves(store: LocalStore, i: number, v = 0): Promise<boolean> {
  const rec = smallRecord(i, 8, v);
  const got = await store.getArticle(rec.article.id);
  const byVector = await store.vectorSearch(seededVector(i * 7 + v), 1);
  const byWord = await store.keywordSearch(`word${i}x${v}`, 3);
  return got?.text === rec.article.text && byVector[0]?.chunkId === rec.chunks[0].id && byWord.some((h) => h.chunkId === rec.chunks[0].id);
}

describe('snapshots beside writes', () => {
  it('acknowledges writes while a snapshot is written, each visible at once, and the snapshot holds its own sequence', async () => {
    const dir = join(root, 'beside');
    const store = await LocalStore.open(dir);
    await store.reset(SETTINGS);
    await store.apply({ put: Array.from({ length: 300 }, (_, i) => smallRecord(i)), remove: [] });
    let snapshotDone = false;
    const snap = store.checkpoint().then((b) => ((snapshotDone = true), b));
    // These writes are acknowledged before the snapshot is done: they do not wait for it.
    await store.apply({ put: [smallRecord(300)], remove: [] });
    expect(snapshotDone).toBe(false);
    await store.apply({ put: [smallRecord(5, 8, 1)], remove: [smallRecord(6).article.id] });
    expect(snapshotDone).toBe(false);
    expect(await serves(store, 300)).toBe(true);
    expect(await serves(store, 5, 1)).toBe(true);
    expect(await serves(store, 5, 0)).toBe(false);
    expect(await store.getArticle(smallRecord(6).article.id)).toBeUndefined();
    expect((await store.vectorSearch(seededVector(6 * 7), 1))[0]?.chunkId).not.toBe(smallRecord(6).chunks[0].id);
    expect(await store.keywordSearch('word6x0', 3)).toEqual([]);
    expect(await snap).toBeGreaterThan(0);
    // After the snapshot the buffered changes are in the main indexes, still served.
    for (const [i, v] of [
      [300, 0],
      [5, 1],
      [7, 0],
    ])
      expect(await serves(store, i, v)).toBe(true);
    expect(await store.counts()).toEqual({ articles: 300, chunks: 300 });
    await store.close({ snapshot: false });
    // The snapshot covers the state at its sequence (1 reset + 300 puts); the two writes after it
    // come from the log tail on the next open.
    expect(await snapshots(dir)).toEqual(['snapshot-000000301']);
    const again = await LocalStore.open(dir);
    for (const [i, v] of [
      [300, 0],
      [5, 1],
      [0, 0],
      [299, 0],
    ])
      expect(await serves(again, i, v)).toBe(true);
    expect(await again.getArticle(smallRecord(6).article.id)).toBeUndefined();
    expect(await again.counts()).toEqual({ articles: 300, chunks: 300 });
    await again.close();
  }, 60_000);
});

describe('temp files of a killed writer', () => {
  it("are removed by the next snapshot, while a live writer's temp is kept", async () => {
    const dir = join(root, 'temps');
    const store = await LocalStore.open(dir);
    await store.reset(SETTINGS);
    await store.apply({ put: [smallRecord(0)], remove: [] });
    const dead = await exitedPid();
    const live = process.ppid; // the test runner: alive for as long as this test runs
    const left = [`articles.seq.tmp-${dead}`, `archivist-index.json.tmp-${dead}`, `.snapshot-000000009.tmp-${dead}`];
    await writeFile(join(dir, left[0]), '{"format":1}');
    await writeFile(join(dir, left[1]), '{}');
    await mkdir(join(dir, left[2]));
    await writeFile(join(dir, left[2], 'graph.bin'), 'half');
    await writeFile(join(dir, `articles.seq.tmp-${live}`), '{"format":1}');
    expect(await store.checkpoint()).toBeGreaterThan(0);
    const names = await readdir(dir);
    expect(names.filter((n) => n.includes('.tmp-'))).toEqual([`articles.seq.tmp-${live}`]);
    await store.close({ snapshot: false });
  }, 60_000);
});

/** The pid of a process that has exited (its pid is not reused within a test's time). */
async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

describe('a snapshot under a steady stream of writes', () => {
  it('finishes within a bounded number of back-to-back writes (new and replaced articles), and every acknowledged write is kept', async () => {
    const dir = join(root, 'stream');
    const store = await LocalStore.open(dir);
    await store.reset(SETTINGS);
    // Enough distinct words that tidying the keyword index takes several batches, and a removal
    // large enough to start one just before the snapshot is asked for.
    await store.apply({ put: Array.from({ length: 1500 }, (_, i) => smallRecord(i)), remove: [] });
    await store.apply({ put: [], remove: Array.from({ length: 200 }, (_, i) => smallRecord(i).article.id) });
    // Writes one at a time, each as soon as the previous one is acknowledged, as an in-process
    // ingest does; every other one replaces an article, so documents keep being discarded.
    const CAP = 2000;
    let done = false;
    const snap = store.checkpoint().then((b) => ((done = true), b));
    const latest = new Map<number, number>();
    let n = 0;
    while (!done && n < CAP) {
      const i = n % 2 ? 200 + ((n * 7) % 1300) : 2000 + n;
      const v = (latest.get(i) ?? 0) + (n % 2);
      await store.apply({ put: [smallRecord(i, 8, v)], remove: [] });
      latest.set(i, v);
      n++;
    }
    expect(done).toBe(true); // without it the loop ran into CAP
    expect(await snap).toBeGreaterThan(0);
    const total = 1300 + Math.ceil(n / 2);
    expect(await store.counts()).toEqual({ articles: total, chunks: total });
    const sample = [...latest].slice(-20);
    for (const [i, v] of sample) expect(await serves(store, i, v)).toBe(true);
    await store.close({ snapshot: false });
    const again = await LocalStore.open(dir);
    expect(await again.counts()).toEqual({ articles: total, chunks: total });
    for (const [i, v] of sample) expect(await serves(again, i, v)).toBe(true);
    await again.close({ snapshot: false });
  }, 120_000);
});

describe('opening: snapshot + log tail; the full re-check is `npm run check`', () => {
  it('serves from the snapshot without re-reading every record; check finds the damaged record and --repair restores it from the snapshot', async () => {
    const dir = join(root, 'tail');
    const store = await LocalStore.open(dir);
    await store.reset(SETTINGS);
    await store.apply({ put: Array.from({ length: 40 }, (_, i) => smallRecord(i)), remove: [] });
    await store.checkpoint();
    await store.apply({ put: [smallRecord(40), smallRecord(3, 8, 1)], remove: [smallRecord(4).article.id] });
    await store.close({ snapshot: false });
    // Damage a record the tail does not touch: its JSON no longer matches its checksum.
    const db = new Database(join(dir, 'articles.db'));
    const id = smallRecord(10).article.id;
    db.prepare(`UPDATE articles SET json = replace(json, 'short article', 'shorT article') WHERE id = ?`).run(id);
    db.close();

    const reports: string[] = [];
    const opened = await LocalStore.open(dir, { logger: linesLogger(reports) });
    expect(reports).toEqual([]); // the record was not re-checked: the snapshot holds it
    for (const [i, v] of [
      [10, 0],
      [40, 0],
      [3, 1],
    ])
      expect(await serves(opened, i, v)).toBe(true);
    expect(await opened.getArticle(smallRecord(4).article.id)).toBeUndefined();
    await opened.close({ snapshot: false });

    const found = await checkStore(dir);
    expect(found.ok).toBe(false);
    expect(found.findings.map((f) => f.message)).toEqual([expect.stringMatching(new RegExp(`article log record \\d+ \\(article ${id}\\) fails its checksum`))]);
    const repaired = await checkStore(dir, { repair: true });
    expect(repaired.findings[0].repaired).toMatch(/restored from snapshot-\d+/);
    expect(repaired.ok).toBe(true);
    expect((await checkStore(dir)).findings).toEqual([]);
    const fresh = await LocalStore.open(dir, { logger: linesLogger(reports) });
    expect(await serves(fresh, 10)).toBe(true);
    expect(await fresh.counts()).toEqual({ articles: 40, chunks: 40 });
    await fresh.close();
  }, 60_000);
});

/** Runs tests/logWriter.ts, waits for "ready" and kills it: a crash with the WAL full of frames. */
async function crashAfterWrites(dir: string, n: number, snapshot: boolean) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'tests/logWriter.ts', dir, String(n), snapshot ? 'snapshot' : ''], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`writer exited with ${code}`)));
  });
  child.removeAllListeners('exit');
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Flips one byte in the page data of a WAL frame a third of the way in. */
async function flipWalByte(dir: string) {
  const path = join(dir, 'articles.db-wal');
  const buf = await readFile(path);
  const pageSize = buf.readUInt32BE(8);
  const frames = Math.floor((buf.length - 32) / (24 + pageSize));
  expect(frames).toBeGreaterThan(30);
  const at = 32 + Math.floor(frames / 3) * (24 + pageSize) + 24 + 200;
  buf[at] ^= 0x01;
  await writeFile(path, buf);
}

describe('a log that lost acknowledged commits (one flipped byte in articles.db-wal after a crash)', () => {
  let crashed: string;
  let crashedWithSnapshot: string;
  beforeAll(async () => {
    crashed = join(root, 'wal-crash');
    crashedWithSnapshot = join(root, 'wal-crash-snap');
    await Promise.all([crashAfterWrites(crashed, 150, false), crashAfterWrites(crashedWithSnapshot, 150, true)]);
  }, 120_000);

  it('refuses to open, says what is missing and how to recover, and changes nothing; --repair accepts the loss explicitly', async () => {
    const dir = join(root, 'wal-refuse');
    await cp(crashed, dir, { recursive: true });
    expect((await stat(join(dir, 'articles.db-wal'))).size).toBeGreaterThan(0);
    await flipWalByte(dir);
    const before = await tree(dir);
    const err = await LocalStore.open(dir).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('store_unavailable');
    expect(err.message).toMatch(
      /ends at change (\d+), but changes up to 151 were committed \(articles\.seq says 151\): changes \d+–151 \(\d+ changes\) are missing/,
    );
    expect(err.message).toMatch(/restore INDEX_DIR from a copy .*`npm run check -- --repair`/);
    expect(err.message).not.toContain(dir);
    const check = await checkStore(dir);
    expect(check.ok).toBe(false);
    expect(check.findings[0].kind).toBe('log-ends-early');
    expect(await tree(dir)).toEqual(before); // not a byte changed, no snapshot written
    expect(await snapshots(dir)).toEqual([]);

    const repaired = await checkStore(dir, { repair: true });
    expect(repaired.findings[0].repaired).toMatch(/loss of changes \d+–151 is accepted/);
    expect(repaired.articles).toBeLessThan(150);
    const store = await LocalStore.open(dir);
    expect((await store.counts()).articles).toBe(repaired.articles);
    await store.close();
  }, 60_000);

  it('with a snapshot that covers the lost commits: refuses, and --repair restores every article from it', async () => {
    const dir = join(root, 'wal-snap');
    await cp(crashedWithSnapshot, dir, { recursive: true });
    await flipWalByte(dir);
    const before = await tree(dir);
    const err = await LocalStore.open(dir).catch((e) => e);
    expect(err.message).toMatch(/snapshot-000000151 covers 151/);
    expect(err.message).toMatch(/restores from the newest snapshot every article/);
    expect(await tree(dir)).toEqual(before);
    const repaired = await checkStore(dir, { repair: true });
    expect(repaired.findings[0].repaired).toMatch(/restored \d+ articles from snapshot-000000151/);
    expect(repaired.articles).toBe(150);
    const store = await LocalStore.open(dir);
    for (const i of [0, 75, 149]) expect(await serves(store, i)).toBe(true);
    await store.close();
  }, 60_000);
});

describe('a damaged index page in the log', () => {
  it('writes fail with a store_unavailable that names the damage, health says damaged; check finds it and --repair rebuilds the indexes from the tables', async () => {
    const dir = join(root, 'page');
    const store = await LocalStore.open(dir);
    await store.reset(SETTINGS);
    await store.apply({ put: Array.from({ length: 400 }, (_, i) => smallRecord(i)), remove: [] });
    await store.close();
    // Overwrite one page of the chunks-by-article index with garbage (the log was checkpointed on close).
    const db = new Database(join(dir, 'articles.db'), { readonly: true });
    const pages = db.prepare(`SELECT pageno FROM dbstat WHERE name = 'chunks_article' AND pagetype = 'leaf' ORDER BY pageno`).pluck().all() as number[];
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    expect(pages.length).toBeGreaterThan(1);
    const file = await readFile(join(dir, 'articles.db'));
    file.fill(0x5a, (pages[0] - 1) * pageSize, pages[0] * pageSize);
    await writeFile(join(dir, 'articles.db'), file);

    const opened = await LocalStore.open(dir);
    expect(opened.health()).toEqual({ status: 'ok' });
    const err = await opened.apply({ put: [smallRecord(0, 8, 1)], remove: [] }).catch((e) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err.code).toBe('store_unavailable');
    expect(err.message).toMatch(/the article log is damaged \(SQLITE_CORRUPT.*`npm run check`/);
    expect(opened.health()).toMatchObject({ status: 'damaged', problem: err.message });
    await opened.close({ snapshot: false });

    const found = await checkStore(dir);
    expect(found.ok).toBe(false);
    expect(found.findings.some((f) => f.kind === 'integrity')).toBe(true);
    const repaired = await checkStore(dir, { repair: true });
    expect(repaired.findings.find((f) => f.kind === 'integrity')?.repaired).toMatch(/the damaged indexes were rebuilt from the tables.*integrity_check is ok/);
    expect(repaired.ok).toBe(true);
    const mended = await LocalStore.open(dir);
    await mended.apply({ put: [smallRecord(0, 8, 1)], remove: [] });
    expect(await serves(mended, 0, 1)).toBe(true);
    expect(mended.health()).toEqual({ status: 'ok' });
    expect((await mended.counts()).articles).toBe(400);
    await mended.close();
  }, 60_000);
});
