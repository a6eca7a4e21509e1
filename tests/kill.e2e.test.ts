/**
 * Crash safety for real: `ingest` runs in a child process over an index that already holds an
 * older corpus and is killed with SIGKILL at several points: while embedding, while the article
 * log's transaction is being written, just after it commits, and while a snapshot of the derived
 * indexes is written (compaction). Whatever the moment, the index must open as exactly the old
 * corpus or exactly the new one, answer queries, and the next ingest must complete the job.
 */
import { spawn } from 'node:child_process';
import { cp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distractorArticles } from '../bench/corpus.js';
import { bootArchive } from '../src/boot.js';
import { loadCorpus } from '../src/corpus/load.js';
import type { Embedder } from '../src/embed.js';
import { LocalStore } from '../src/store/local.js';
import { linesLogger, quiet, REPO, tempDir, testConfig } from './helpers.js';

const OLD: Record<string, string> = {
  'lighthouse.md':
    '# Lighthouse keeper retires\n\nAfter forty-one years, Ilse Varnhagen handed the keys of the Skerry Point lighthouse to the coast guard on Friday.',
  'bridge.md': '# Bridge toll abolished\n\nDrivers crossing the Aldmere bridge will no longer pay a toll from July, the regional council decided.',
};

type Prints = Map<string, { hash: string; source: string }>;

let base: string;
let oldIndex: string;
let newDir: string;
let embedder: Embedder;
let oldPrints: Prints;
let oldCounts: { articles: number; chunks: number };
let wanted: Prints;

type Moment = 'line' | 'log-writing' | 'log-committed' | 'snapshot-writing' | 'snapshot-renamed';
type KillAt = { afterLine: RegExp; when: Moment; delayMs: number };

/** The last change number the log has committed, read as another process would. */
function committedSeq(index: string): number {
  try {
    const db = new Database(join(index, 'articles.db'), { readonly: true, timeout: 1000 });
    try {
      return (db.prepare('SELECT coalesce(max(seq), 0) AS s FROM changes').get() as { s: number }).s;
    } finally {
      db.close();
    }
  } catch {
    return -1;
  }
}

const walBytes = async (index: string) => (await stat(join(index, 'articles.db-wal')).catch(() => undefined))?.size ?? 0;
const entries = async (index: string) => readdir(index).catch(() => [] as string[]);

/** Whether the moment has come, seen from outside the process (files and the log, as they are). */
async function reached(index: string, when: Moment, pid: number, before: { seq: number; snaps: string[] }): Promise<boolean> {
  switch (when) {
    case 'line':
      return true;
    case 'log-writing':
      return (await walBytes(index)) > 0;
    case 'log-committed':
      return committedSeq(index) > before.seq;
    case 'snapshot-writing':
      return (await entries(index)).some((e) => e.endsWith(`.tmp-${pid}`) && e.startsWith('.snapshot-'));
    case 'snapshot-renamed':
      return (await entries(index)).some((e) => /^snapshot-\d+$/.test(e) && !before.snaps.includes(e));
  }
}

/** The `msg` of a JSON log line; any other line as it is. */
function message(line: string): string {
  try {
    return String(JSON.parse(line).msg ?? line);
  } catch {
    return line;
  }
}

/**
 * Runs `main.ts ingest <dir>` directly under node (not npx: SIGKILL must hit the ingesting
 * process itself) and kills it `delayMs` after a stderr line matches and the moment is seen.
 */
function runIngest(index: string, dir: string, killAt?: KillAt) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'ingest', dir], {
    cwd: REPO,
    env: { ...process.env, INDEX_DIR: index, SEEDS_DIR: dir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines: string[] = [];
  let buf = '';
  let armed = false;
  let exited = false;
  const startedWith = entries(index).then((snaps) => ({ seq: committedSeq(index), snaps: snaps.filter((e) => e.startsWith('snapshot-')) }));
  child.stderr.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split(/\r|\n/);
    buf = parts.pop()!;
    // The child logs JSON lines (stderr is not a terminal): each line's message is what it said.
    for (const line of parts.filter(Boolean).map(message)) {
      lines.push(line);
      if (armed || !killAt?.afterLine.test(line)) continue;
      armed = true;
      const poll = async () => {
        if (exited) return;
        if (await reached(index, killAt.when, child.pid!, await startedWith)) setTimeout(() => child.kill('SIGKILL'), killAt.delayMs);
        else setTimeout(poll, 1);
      };
      void poll();
    }
  });
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: string[] }>((resolve) =>
    child.on('exit', (code, signal) => {
      exited = true;
      resolve({ code, signal, lines });
    }),
  );
}

const same = (a: Prints, b: Prints) => a.size === b.size && [...a].every(([id, f]) => b.get(id)?.hash === f.hash);

/** Opens the index as a fresh process would and checks it serves consistent results. */
async function inspect(index: string) {
  const reports: string[] = [];
  const store = await LocalStore.open(index, { logger: linesLogger(reports) }); // throws if unreadable
  const prints = await store.fingerprints();
  const counts = await store.counts();
  const [v] = await embedder.vectors(['Who handed over the keys of the lighthouse?']);
  const hits = await store.vectorSearch(v, 5);
  // Every hit resolves to a chunk of a stored article: no dangling entries from a half-applied change.
  const resolved = await store.getChunks(hits.map((h) => h.chunkId));
  expect(resolved).toHaveLength(hits.length);
  for (const r of resolved) expect(prints.has(r.article.id)).toBe(true);
  expect(hits.length).toBe(Math.min(5, counts.chunks));
  const top = resolved[0]?.article.title;
  await store.close();
  return { prints, counts, top, reports };
}

/** A copy of the index holding the old corpus, so every kill starts from the same state. */
async function oldCopy(name: string) {
  const index = join(base, name);
  await cp(oldIndex, index, { recursive: true });
  return index;
}

beforeAll(async () => {
  base = await tempDir('archivist-kill-');
  oldIndex = join(base, 'index');
  const oldDir = join(base, 'old');
  newDir = join(base, 'new');
  await mkdir(oldDir);
  await mkdir(newDir);
  for (const [name, text] of Object.entries(OLD)) await writeFile(join(oldDir, name), text);
  // The larger corpus: real text, one JSON file per article, enough chunks for a kill to land mid-way.
  const articles = await distractorArticles(20, { root: REPO });
  for (const [i, a] of articles.entries()) {
    await writeFile(join(newDir, `a${String(i).padStart(3, '0')}.json`), JSON.stringify({ title: a.title, url: a.url, date: a.date, text: a.text }));
  }
  const config = testConfig(oldIndex, { SEEDS_DIR: oldDir });
  const archive = await bootArchive(config, quiet);
  embedder = archive.embedder;
  oldPrints = await archive.store.fingerprints();
  oldCounts = await archive.store.counts();
  await archive.store.close();
  expect(oldCounts.articles).toBe(2);
  wanted = new Map((await loadCorpus(newDir)).articles.map((a) => [a.id, { hash: a.hash, source: a.source }]));
}, 180_000);
afterAll(async () => rm(base, { recursive: true, force: true }));

const done100 = /^embedding .*\(100%\)/;

describe('SIGKILL during ingest', () => {
  it('leaves exactly the old index when killed while embedding, and it still answers', async () => {
    const index = await oldCopy('embedding');
    const run = await runIngest(index, newDir, { afterLine: /^embedding \d+\/\d+ texts.* \((?!100%)\d+%\)/, when: 'line', delayMs: 0 });
    expect(run.signal).toBe('SIGKILL');
    const after = await inspect(index);
    expect(same(after.prints, oldPrints)).toBe(true);
    expect(after.counts).toEqual(oldCounts);
    expect(after.top).toBe('Lighthouse keeper retires');
  }, 300_000);

  it.each<[string, KillAt, 'old-or-new' | 'new']>([
    ['as the log transaction starts writing', { afterLine: done100, when: 'log-writing', delayMs: 0 }, 'old-or-new'],
    ['3 ms into the log transaction', { afterLine: done100, when: 'log-writing', delayMs: 3 }, 'old-or-new'],
    ['just after the log commits, before any snapshot', { afterLine: done100, when: 'log-committed', delayMs: 0 }, 'new'],
    ['as the snapshot (compaction) starts being written', { afterLine: done100, when: 'snapshot-writing', delayMs: 0 }, 'new'],
    ['10 ms into writing the snapshot', { afterLine: done100, when: 'snapshot-writing', delayMs: 10 }, 'new'],
    ['just after the snapshot is renamed into place', { afterLine: done100, when: 'snapshot-renamed', delayMs: 0 }, 'new'],
  ])(
    'killed %s: the old index or the whole new one, never a mix',
    async (name, killAt, expected) => {
      const index = await oldCopy(name.replace(/\W+/g, '-'));
      const run = await runIngest(index, newDir, killAt);
      if (run.signal !== 'SIGKILL') expect(run.code).toBe(0); // finished before the kill landed
      const after = await inspect(index);
      const isOld = same(after.prints, oldPrints);
      if (expected === 'new' || !isOld) expect(same(after.prints, wanted)).toBe(true);
      if (isOld) expect(after.counts).toEqual(oldCounts);
      // Nothing is reported damaged: a half-written snapshot is never the one loaded.
      expect(after.reports.filter((r) => /damaged|checksum/.test(r))).toEqual([]);

      if (isOld) {
        // Nothing of the change landed: the next ingest does all of it.
        const done = await runIngest(index, newDir);
        expect(done.code).toBe(0);
        const final = await inspect(index);
        expect(same(final.prints, wanted)).toBe(true);
        expect(final.counts.articles).toBe(20);
      }
      // A killed writer's temp snapshot folder is cleaned up by the next snapshot written (inspect's close).
      expect((await entries(index)).filter((e) => e.includes('.tmp'))).toEqual([]);
    },
    300_000,
  );
});
