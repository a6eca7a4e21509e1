/**
 * Opening and snapshots at scale: `npm run bench:open -- [--articles 10000] [--tail 200] [--writes 200] [--json out.json]`
 *
 * On one local index of N articles (default 10,000), in one run:
 * - open time: snapshot + log tail (what a start does), against the full re-check of every
 *   record (`npm run check`'s record pass, which every start used to do) and against a start
 *   with no snapshot (indexes rebuilt from the log);
 * - acknowledged-write latency p50/p99 on a quiet store, and while a snapshot of the whole index
 *   is being written (the snapshot runs beside the writes; they must not wait for it).
 *
 * The articles are real text (bench/corpus.ts) chunked for real; their vectors are SYNTHETIC
 * (seeded random unit vectors, also for the timed writes): no model is loaded, because neither an
 * open nor a write depends on what the vectors say, and embedding 10,000 articles would take
 * about 40 minutes here. The index is built once and cached in the temp folder
 * (`archivist-bench-open/`); every run works on a fresh copy of it.
 */
import { cp, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import type { Article } from '../src/corpus/article.js';
import { chunkArticle } from '../src/ingest/chunk.js';
import { checkStore } from '../src/store/check.js';
import { indexBytes, LocalStore } from '../src/store/local.js';
import type { ArticleRecord } from '../src/store/types.js';
import { benchArgs } from './args.js';
import { distractorArticles, syntheticVector } from './corpus.js';

const say = (s: string) => process.stderr.write(`${s}\n`);
const DIMS = 384;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

function records(articles: Article[], chunking: { chunkSize: number; chunkOverlap: number }): ArticleRecord[] {
  const out: ArticleRecord[] = [];
  for (const a of articles) {
    const chunks = chunkArticle(a, chunking).map((c, k) => ({ id: `${a.id}:${k}`, articleId: a.id, start: c.start, end: c.end }));
    out.push({ article: a, chunks, vectors: chunks.map((c) => syntheticVector(c.id, DIMS)) });
  }
  return out;
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const s = performance.now();
  const value = await fn();
  return { ms: performance.now() - s, value };
}

async function main(argv: string[]) {
  const { values, number } = benchArgs(argv, {
    articles: { type: 'string', default: '10000' },
    tail: { type: 'string', default: '200' },
    writes: { type: 'string', default: '200' },
    json: { type: 'string' },
  });
  const [n, tail, writes, json] = [number('articles'), number('tail'), number('writes'), values.json];
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
  const all = await distractorArticles(n + tail + writes * 4);
  if (all.length < n + tail + writes) throw new Error(`bench: only ${all.length} articles of text on this machine, need ${n + tail + writes}`);
  const background = all.slice(0, n);
  const tailArticles = all.slice(n, n + tail);
  const liveArticles = all.slice(n + tail);

  const cache = join(tmpdir(), 'archivist-bench-open', `n${n}-v1`);
  const cached = join(cache, 'index');
  if (!(await readFile(join(cache, 'READY'), 'utf8').catch(() => ''))) {
    say(`bench: building the ${n}-article index once, with synthetic vectors (cached in ${cache}) …`);
    await rm(cache, { recursive: true, force: true });
    await mkdir(cache, { recursive: true });
    const store = await LocalStore.open(cached);
    await store.reset({ model: 'synthetic', dims: DIMS, ...chunking });
    for (let i = 0; i < background.length; i += 500) {
      await store.apply({ put: records(background.slice(i, i + 500), chunking), remove: [] });
      say(`bench: ${Math.min(i + 500, n)}/${n} articles`);
    }
    await store.close();
    await writeFile(join(cache, 'READY'), new Date().toISOString());
  }

  const work = join(tmpdir(), 'archivist-bench-open', `work-${process.pid}`);
  await rm(work, { recursive: true, force: true });
  await cp(cached, work, { recursive: true });
  try {
    // A snapshot of the current format covering the background, then a log tail beyond it.
    let store = await LocalStore.open(work, { snapshotDelayMs: 0 });
    await store.checkpoint();
    const tailRecs = records(tailArticles, chunking);
    for (const rec of tailRecs) await store.apply({ put: [rec], remove: [] });
    await store.close({ snapshot: false });

    say('bench: open (snapshot + log tail) …');
    const open = await timed(() => LocalStore.open(work));
    const counts = await open.value.counts();
    await open.value.close({ snapshot: false });

    say('bench: full check of every record …');
    const check = await timed(() => checkStore(work));
    if (!check.value.ok) throw new Error(`bench: the index does not check out: ${check.value.findings.map((f) => f.message).join('; ')}`);

    say('bench: open with no snapshot (rebuilt from the log) …');
    const aside = join(tmpdir(), 'archivist-bench-open', `aside-${process.pid}`);
    await mkdir(aside, { recursive: true });
    for (const e of await readdir(work)) if (/^snapshot-\d+$/.test(e)) await rename(join(work, e), join(aside, e));
    const rebuild = await timed(() => LocalStore.open(work));
    await rebuild.value.close({ snapshot: false });
    for (const e of await readdir(aside)) await rename(join(aside, e), join(work, e));
    await rm(aside, { recursive: true, force: true });

    say(`bench: ${writes} writes on a quiet store, then writes during a snapshot …`);
    store = await LocalStore.open(work, { snapshotDelayMs: 0 });
    const live = records(liveArticles, chunking);
    let next = 0;
    const write = async () => {
      const rec = live[next++ % live.length];
      return (await timed(() => store.apply({ put: [rec], remove: [] }))).ms;
    };
    const quiet: number[] = [];
    for (let i = 0; i < writes; i++) quiet.push(await write());
    const during: number[] = [];
    let snapshotDone = false;
    const snap = timed(() => store.checkpoint()).then((r) => {
      snapshotDone = true;
      return r;
    });
    while (!snapshotDone) during.push(await write());
    const snapshot = await snap;
    const after = await store.counts();
    await store.close({ snapshot: false });

    const result = {
      articles: counts.articles,
      chunks: counts.chunks,
      syntheticVectors: true,
      tailRecords: tail,
      openMs: open.ms,
      fullCheckMs: check.ms,
      rebuildFromLogMs: rebuild.ms,
      checkOverOpen: check.ms / open.ms,
      rebuildOverOpen: rebuild.ms / open.ms,
      snapshotMs: snapshot.ms,
      snapshotBytes: snapshot.value,
      writes: quiet.length,
      writeP50Ms: quantile(quiet, 0.5),
      writeP99Ms: quantile(quiet, 0.99),
      writesDuringSnapshot: during.length,
      writeP50DuringSnapshotMs: quantile(during, 0.5),
      writeP99DuringSnapshotMs: quantile(during, 0.99),
      writeMaxDuringSnapshotMs: Math.max(...during),
      articlesAfter: after.articles,
      indexMb: (await indexBytes(work)) / 1024 / 1024,
    };
    console.log(JSON.stringify(result, null, 2));
    if (json) await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
