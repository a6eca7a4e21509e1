/**
 * Crash safety for real: `ingest` runs in a child process over an index that already holds an
 * older corpus and is killed with SIGKILL mid-way. Whatever the moment, the index on disk must
 * then be exactly the old one or exactly the new one, it must answer queries, and the next
 * ingest must complete the job.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distractorArticles } from '../bench/corpus.js';
import { bootArchive } from '../src/boot.js';
import { loadCorpus } from '../src/corpus/load.js';
import type { Embedder } from '../src/embed.js';
import { LocalStore } from '../src/store/local.js';
import { quiet, REPO, tempDir, testConfig } from './helpers.js';

const OLD: Record<string, string> = {
  'lighthouse.md': '# Lighthouse keeper retires\n\nAfter forty-one years, Ilse Varnhagen handed the keys of the Skerry Point lighthouse to the coast guard on Friday.',
  'bridge.md': '# Bridge toll abolished\n\nDrivers crossing the Aldmere bridge will no longer pay a toll from July, the regional council decided.',
};

type Prints = Map<string, { hash: string; source: string }>;

let base: string;
let index: string;
let newDir: string;
let embedder: Embedder;
let oldPrints: Prints;
let oldCounts: { articles: number; chunks: number };

/** A writer's temp folder (`.gen-<n>.tmp-<pid>`) exists: a new generation is (or was) being written. */
const writing = async (pid = '\\d+') => (await readdir(index).catch(() => [] as string[])).some((e) => new RegExp(`^\\.gen-\\d+\\.tmp-${pid}$`).test(e));

type KillAt = { afterLine: RegExp; when?: 'writing' | 'committed'; delayMs: number };

const live = async () => (await readFile(join(index, 'CURRENT'), 'utf8').catch(() => '')).trim();

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
 * process itself) and kills it `delayMs` after a stderr line matches, or, after that line, once a
 * new generation starts being written or once it has been committed.
 */
function runIngest(dir: string, killAt?: KillAt) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'ingest', dir], {
    cwd: REPO,
    env: { ...process.env, INDEX_DIR: index, SEEDS_DIR: dir, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const before = live(); // the generation that is live as the child starts
  const lines: string[] = [];
  let buf = '';
  let armed = false;
  let exited = false;
  const kill = () => setTimeout(() => child.kill('SIGKILL'), killAt!.delayMs);
  child.stderr.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split(/\r|\n/);
    buf = parts.pop()!;
    // The child logs JSON lines (stderr is not a terminal): each line's message is what it said.
    for (const line of parts.filter(Boolean).map(message)) {
      lines.push(line);
      if (armed || !killAt?.afterLine.test(line)) continue;
      armed = true;
      if (!killAt.when) kill();
      else {
        const poll = async () => {
          if (exited) return;
          const hit = killAt.when === 'writing' ? await writing(String(child.pid)) : (await live()) !== (await before);
          if (hit) kill();
          else setTimeout(poll, 1);
        };
        void poll();
      }
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
async function inspect() {
  const store = await LocalStore.open(index); // throws if damaged
  const prints = await store.fingerprints();
  const counts = await store.counts();
  const [v] = await embedder.vectors(['Who handed over the keys of the lighthouse?']);
  const hits = await store.vectorSearch(v, 5);
  // Every hit resolves to a chunk of a stored article: no dangling entries from another generation.
  const resolved = await store.getChunks(hits.map((h) => h.chunkId));
  expect(resolved).toHaveLength(hits.length);
  for (const r of resolved) expect(prints.has(r.article.id)).toBe(true);
  const top = resolved[0]?.article.title;
  await store.close();
  return { prints, counts, top };
}

beforeAll(async () => {
  base = await tempDir('archivist-kill-');
  index = join(base, 'index');
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
  const config = testConfig(index, { SEEDS_DIR: oldDir });
  const archive = await bootArchive(config, quiet);
  embedder = archive.embedder;
  oldPrints = await archive.store.fingerprints();
  oldCounts = await archive.store.counts();
  await archive.store.close();
  expect(oldCounts.articles).toBe(2);
}, 180_000);
afterAll(async () => rm(base, { recursive: true, force: true }));

describe('SIGKILL during ingest', () => {
  it('leaves exactly the old index when killed while embedding, and it still answers', async () => {
    const run = await runIngest(newDir, { afterLine: /^embedding \d+\/\d+ chunks \((?!100%)\d+%\)/, delayMs: 0 });
    expect(run.signal).toBe('SIGKILL');
    expect(run.lines.some((l) => l.startsWith('embedding'))).toBe(true);
    const after = await inspect();
    expect(same(after.prints, oldPrints)).toBe(true);
    expect(after.counts).toEqual(oldCounts);
    expect(after.top).toBe('Lighthouse keeper retires');
  }, 300_000);

  it('leaves the old index or the complete new one when killed while saving, never a mix; the next ingest completes it', async () => {
    const outcomes: { when: string; leftover: boolean; state: 'old' | 'new-candidate'; prints: Prints; counts: { articles: number; chunks: number } }[] = [];
    const done100 = /^embedding .*\(100%\)/;
    const kills: [string, KillAt][] = [
      ['as the new generation starts being written', { afterLine: done100, when: 'writing', delayMs: 0 }],
      ['5 ms into writing', { afterLine: done100, when: 'writing', delayMs: 5 }],
      ['20 ms into writing', { afterLine: done100, when: 'writing', delayMs: 20 }],
      ['60 ms into writing', { afterLine: done100, when: 'writing', delayMs: 60 }],
      ['just after CURRENT names the new generation', { afterLine: done100, when: 'committed', delayMs: 0 }],
    ];
    for (const [when, killAt] of kills) {
      const run = await runIngest(newDir, killAt);
      const leftover = await writing();
      const after = await inspect();
      if (run.signal !== 'SIGKILL') expect(run.code).toBe(0); // finished before the kill landed
      const isOld = same(after.prints, oldPrints);
      outcomes.push({ when, leftover, state: isOld ? 'old' : 'new-candidate', prints: after.prints, counts: after.counts });
      if (isOld) expect(after.counts).toEqual(oldCounts);
      if (!isOld) break; // the new index is live; later runs would have nothing to do
    }
    // The first kill lands while the new generation is half written: the old one must be live.
    expect(outcomes[0]).toMatchObject({ state: 'old', leftover: true });
    // A kill after the commit point finds the new one.
    expect(outcomes.at(-1)!.state).toBe('new-candidate');

    const done = await runIngest(newDir);
    expect(done.code).toBe(0);
    const final = await inspect();
    expect(final.counts.articles).toBe(20);
    // Exactly the folder's articles, as a fresh build would hold them.
    const wanted = new Map((await loadCorpus(newDir)).articles.map((a) => [a.id, { hash: a.hash, source: a.source }]));
    expect(same(final.prints, wanted)).toBe(true);
    for (const o of outcomes.filter((x) => x.state === 'new-candidate')) {
      expect(same(o.prints, final.prints)).toBe(true);
      expect(o.counts).toEqual(final.counts);
    }
    if (outcomes.at(-1)?.state === 'new-candidate') {
      expect(done.lines.at(-1)).toMatch(/^index is up to date: nothing to embed/);
    } else {
      // Leftovers of killed writers are cleaned up by the next successful write.
      expect((await readdir(index)).filter((e) => e.includes('.tmp'))).toEqual([]);
    }
  }, 600_000);
});
