/**
 * The archive at scale: `npm run bench:scale -- --articles N [--store local|postgres] [--json out.json]`
 *
 *   --articles N          archive size: the real sample plus N − sample synthetic articles (default 10,000)
 *   --store local|postgres the store measured (postgres: DATABASE_URL, or PGlite started here)
 *   --realtimeqa <dir> --weeks A..B   the real sample: RealTimeQA weeks (a checkout or bare git dir,
 *                         read at run time, never copied); without it the SQuAD sample (--sample path)
 *   --pool-weeks C..D     RealTimeQA weeks whose sentences make the synthetic articles (other weeks
 *                         than the sample's); without it, prose already on the machine (bench/corpus.ts)
 *   --cache <dir>         the evaluation embedding cache (default .cache/eval): the sample's chunks
 *                         are embedded by the real model once and reused by every later run
 *   --writes W            timed writes on a quiet store (default 200); then writes during a snapshot,
 *                         until it finishes or at most --snapshot-writes (5,000) or --snapshot-write-sec (300)
 *   --questions Q         ask only the first Q of the sample's questions (default: all)
 *   --rebuild             build the local index again even when a cached build exists
 *
 * What is real and what is synthetic (bench/synthetic.ts says exactly how): the sample's articles
 * are embedded by the real model and asked their own questions; every other article is made of
 * real sentences, chunked by the real chunker, with vectors mixed from the sample's real vectors.
 * Synthetic records go straight through `Store.apply` in batches (no model), which is also the
 * path a rebuild from the log takes.
 *
 * Each phase runs in a process of its own, so each RSS belongs to that phase alone:
 *   build  — reset the store, apply the sample, then the synthetic articles: ingestPeakRssMb
 *   serve  — open the store (openMs), load the model, ask every sample question through
 *            archive.ask (p50/p95, recall@5 = a gold answer in the first five passages), then
 *            timed writes, quiet and while a snapshot is written; rssMb is the serving process's
 *            resident memory after the questions (PGlite, when used, runs in a third process).
 * A local build is cached in the temp folder (archivist-bench-scale/<key>) and reused; the timed
 * writes are removed again at the end so the cached archive stays as built.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createArchive } from '../src/archive.js';
import { archiveOptions } from '../src/boot.js';
import { loadConfig, type Config } from '../src/config.js';
import type { Article } from '../src/corpus/article.js';
import { createEmbedder } from '../src/embed.js';
import { loadEvalSet, type EvalQuestion } from '../src/eval/dataset.js';
import { CachedEmbedder } from '../src/eval/embeddingCache.js';
import { containsAnswer, normalise, percentile } from '../src/eval/metrics.js';
import { loadRealtimeQa, parseWeeks } from '../src/eval/realtimeqa.js';
import { buildRecords, indexSettings } from '../src/ingest/ingest.js';
import { indexBytes, LocalStore } from '../src/store/local.js';
import type { ArticleRecord, Store } from '../src/store/types.js';
import { benchArgs } from './args.js';
import { distractorArticles } from './corpus.js';
import { NOISE, PARENTS, sentencePool, syntheticRecord, type SyntheticOptions } from './synthetic.js';

const SCRIPT = fileURLToPath(import.meta.url);
const say = (s: string) => process.stderr.write(`${s}\n`);
/** Bump when what a build contains changes, so a cached build of the old kind is not reused. */
const BUILD_VERSION = 2;
/** Synthetic articles per `Store.apply`: one transaction each, memory bounded by the batch. */
const BATCH = 500;
const SEED = 22;

interface Options {
  articles: number;
  store: 'local' | 'postgres';
  json?: string;
  sample: string;
  realtimeqa?: string;
  weeks?: string;
  poolWeeks?: string;
  cache: string;
  writes: number;
  snapshotWrites: number;
  snapshotWriteSec: number;
  questions?: number;
  rebuild: boolean;
}

function parse(argv: string[]): Options {
  const { values, number } = benchArgs(argv, {
    articles: { type: 'string', default: '10000' },
    store: { type: 'string', default: 'local' },
    json: { type: 'string' },
    sample: { type: 'string', default: 'eval/squad/squad-v2-small.json' },
    realtimeqa: { type: 'string' },
    weeks: { type: 'string' },
    'pool-weeks': { type: 'string' },
    cache: { type: 'string', default: '.cache/eval' },
    writes: { type: 'string', default: '200' },
    'snapshot-writes': { type: 'string', default: '5000' },
    'snapshot-write-sec': { type: 'string', default: '300' },
    questions: { type: 'string' },
    rebuild: { type: 'boolean', default: false },
  });
  const store = values.store;
  if (store !== 'local' && store !== 'postgres') throw new Error(`bench: --store must be local or postgres, not ${store}`);
  const o: Options = {
    articles: number('articles'),
    store,
    json: values.json,
    sample: values.sample,
    realtimeqa: values.realtimeqa,
    weeks: values.weeks,
    poolWeeks: values['pool-weeks'],
    cache: values.cache,
    writes: number('writes'),
    snapshotWrites: number('snapshot-writes'),
    snapshotWriteSec: number('snapshot-write-sec'),
    questions: values.questions ? number('questions') : undefined,
    rebuild: values.rebuild,
  };
  if (!Number.isInteger(o.articles) || o.articles < 1) throw new Error('bench: --articles must be a positive integer');
  if (o.realtimeqa && !o.weeks) throw new Error('bench: --realtimeqa needs --weeks YYYYMMDD..YYYYMMDD');
  if (o.poolWeeks && !o.realtimeqa) throw new Error('bench: --pool-weeks goes with --realtimeqa <dir>');
  return o;
}

const config = (): Config => loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
const chunkingOf = (c: Config) => ({ chunkSize: c.chunkSize, chunkOverlap: c.chunkOverlap });
const round = (n: number, d = 1) => Math.round(n * 10 ** d) / 10 ** d;
const load1 = () => round(loadavg()[0], 2);

/** Resident and peak resident memory of a process, in MB, from the kernel. */
async function memory(pid: number | 'self' = 'self'): Promise<{ rss: number; hwm: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** The real sample: articles with their questions. */
async function loadSample(o: Options): Promise<{ name: string; articles: Article[]; questions: EvalQuestion[] }> {
  if (o.realtimeqa) {
    const set = await loadRealtimeQa(o.realtimeqa, parseWeeks(o.weeks!));
    return { name: set.name, articles: set.articles, questions: set.questions };
  }
  const set = await loadEvalSet(o.sample);
  return { name: set.name, articles: set.articles, questions: set.questions };
}

/** Real sentences for the synthetic articles, never one holding a sample question's gold answer. */
async function loadPool(o: Options, questions: EvalQuestion[], wanted: number): Promise<{ name: string; sentences: string[] }> {
  const gold = [...new Set(questions.flatMap((q) => q.answers.map(normalise)).filter((g) => g.length > 2))];
  const holdsGold = (s: string) => {
    const n = ` ${normalise(s)} `;
    return gold.some((g) => n.includes(` ${g} `));
  };
  if (o.poolWeeks) {
    const set = await loadRealtimeQa(o.realtimeqa!, parseWeeks(o.poolWeeks));
    return { name: `sentences of ${set.name}`, sentences: sentencePool(set.articles, holdsGold) };
  }
  // About 20 usable sentences per piece of prose; the pool need not be as large as the archive.
  const prose = await distractorArticles(Math.min(20_000, Math.max(500, Math.ceil(wanted / 20))));
  return { name: 'sentences of prose on this machine (bench/corpus.ts)', sentences: sentencePool(prose, holdsGold) };
}

// ---------- build phase ----------

async function phaseBuild(o: Options, dir: string | undefined, url: string | undefined, out: string) {
  const c = config();
  const chunking = chunkingOf(c);
  const sample = await loadSample(o);
  if (sample.articles.length >= o.articles) throw new Error(`bench: --articles ${o.articles} must exceed the sample's ${sample.articles.length} articles`);
  const model = await createEmbedder(c);
  const embedder = new CachedEmbedder(model, join(o.cache, 'embeddings.sqlite'));
  const t0 = performance.now();
  say(`bench: the sample: ${sample.name}, ${sample.articles.length} articles, ${sample.questions.length} questions; embedding (cache ${o.cache}) …`);
  const real = await buildRecords(sample.articles, embedder, chunking);
  embedder.close();
  const embedSec = (performance.now() - t0) / 1000;
  say(`bench: sample embedded in ${embedSec.toFixed(0)} s (${embedder.stats.hits} from the cache, ${embedder.stats.misses} by the model)`);

  const pool = await loadPool(o, sample.questions, o.articles);
  const dates = sample.articles
    .map((a) => a.date?.slice(0, 10))
    .filter((d): d is string => !!d)
    .sort();
  const to = dates.at(-1) ?? '2023-12-31';
  const synth: SyntheticOptions = {
    pool: pool.sentences,
    vectors: real.flatMap((r) => r.vectors),
    chunking,
    seed: SEED,
    // News articles are a few thousand characters; a SQuAD "article" is a whole Wikipedia page.
    meanChars: Math.min(8000, sample.articles.reduce((n, a) => n + a.text.length, 0) / sample.articles.length),
    // A year of archive before the sample's newest day.
    dates: { from: new Date(Date.parse(to) - 365 * 86_400_000).toISOString().slice(0, 10), to },
  };
  say(`bench: ${pool.sentences.length} real sentences in the pool (${pool.name}); ${synth.vectors.length} real vectors to mix`);

  const store: Store = dir ? await LocalStore.open(dir) : await (await import('../src/store/postgres.js')).PostgresStore.open(url!);
  const t1 = performance.now();
  await store.reset(indexSettings(model, chunking));
  for (let i = 0; i < real.length; i += 200) await store.apply({ put: real.slice(i, i + 200), remove: [] });
  const synthetic = o.articles - real.length;
  let chunks = real.reduce((n, r) => n + r.chunks.length, 0);
  for (let i = 0; i < synthetic; i += BATCH) {
    const batch: ArticleRecord[] = [];
    for (let j = i; j < Math.min(synthetic, i + BATCH); j++) batch.push(syntheticRecord(j, synth));
    chunks += batch.reduce((n, r) => n + r.chunks.length, 0);
    await store.apply({ put: batch, remove: [] });
    if ((i / BATCH) % 10 === 9 || i + BATCH >= synthetic)
      say(
        `bench: ${real.length + Math.min(synthetic, i + BATCH)}/${o.articles} articles, ${chunks} chunks (${((performance.now() - t1) / 1000).toFixed(0)} s)`,
      );
  }
  const counts = await store.counts();
  const t2 = performance.now();
  await store.close(); // the local store writes its snapshot here
  const closeSec = (performance.now() - t2) / 1000;
  const result = {
    sample: sample.name,
    sampleArticles: sample.articles.length,
    sampleChunks: real.reduce((n, r) => n + r.chunks.length, 0),
    cacheHits: embedder.stats.hits,
    cacheMisses: embedder.stats.misses,
    pool: pool.name,
    poolSentences: pool.sentences.length,
    articles: counts.articles,
    chunks: counts.chunks,
    sampleEmbedSec: round(embedSec),
    insertSec: round((t2 - t1) / 1000),
    insertChunksPerSec: round(counts.chunks / ((t2 - t1) / 1000)),
    firstSnapshotSec: round(closeSec),
    buildLoad1: load1(),
  };
  await writeFile(join(out, 'questions.json'), JSON.stringify(sample.questions));
  return result;
}

// ---------- serve phase ----------

const quantile = (xs: number[], q: number) => percentile(xs, q);

async function phaseServe(o: Options, dir: string | undefined, url: string | undefined, out: string) {
  const c = config();
  const questions = (JSON.parse(await readFile(join(out, 'questions.json'), 'utf8')) as EvalQuestion[]).slice(0, o.questions);
  const t0 = performance.now();
  const store = dir ? await LocalStore.open(dir) : await (await import('../src/store/postgres.js')).PostgresStore.open(url!);
  const openMs = performance.now() - t0;
  const openLoad1 = load1();
  const counts = await store.counts();
  const t1 = performance.now();
  const embedder = await createEmbedder(c);
  const modelLoadMs = performance.now() - t1;
  const archive = createArchive({ store, embedder, options: archiveOptions(c) });

  for (const q of questions.slice(0, 10)) await archive.ask({ question: q.question, asOf: q.asOf });
  const times: number[] = [];
  // Each stage's milliseconds as the answer reports them (its `timings`), per question.
  const stageTimes = new Map<string, number[]>();
  const addStage = (name: string, ms: number | undefined) => {
    if (ms !== undefined) stageTimes.set(name, [...(stageTimes.get(name) ?? []), ms]);
  };
  let hits = 0;
  let answerable = 0;
  for (const [i, q] of questions.entries()) {
    const s = performance.now();
    const r = await archive.ask({ question: q.question, asOf: q.asOf });
    times.push(performance.now() - s);
    const { stages, embedMs, vectorMs, keywordMs } = r.timings;
    for (const [name, ms] of Object.entries(stages)) addStage(name, ms);
    addStage('retrieve: embed', embedMs);
    addStage('retrieve: vector search', vectorMs);
    addStage('retrieve: keyword search', keywordMs);
    // What the retrieve stage spends beyond its searches: reading the chunks, the date prior, copies.
    if (stages.retrieve !== undefined) addStage('retrieve: rest', stages.retrieve - embedMs - vectorMs - keywordMs);
    if (i % 50 === 49) say(`bench: ${i + 1}/${questions.length} questions, p50 so far ${quantile(times, 50).toFixed(0)} ms`);
    if (q.impossible) continue;
    answerable++;
    if (
      containsAnswer(
        r.passages
          .slice(0, 5)
          .map((p) => p.text)
          .join(' \n '),
        q.answers,
      )
    )
      hits++;
  }
  const queryLoad1 = load1();
  const mem = await memory();

  // Timed writes: synthetic articles beyond the archive's.
  // Their vectors are mixed from the questions' real vectors (what a write costs does not depend on them).
  const sampleVectors = await embedder.vectors(questions.slice(0, 50).map((q) => q.question));
  const pool = await loadPool(o, questions, 1000);
  const synth: SyntheticOptions = {
    pool: pool.sentences,
    vectors: sampleVectors,
    chunking: chunkingOf(c),
    seed: SEED + 1,
    meanChars: 3000,
    dates: { from: '2023-01-01', to: '2023-02-24' },
  };
  // Each write is a new article (made just before its clock starts): a replaced one would make
  // the keyword index clean up discarded documents, which a snapshot waits for.
  const written: string[] = [];
  const write = async () => {
    const rec = syntheticRecord(o.articles + written.length, synth);
    written.push(rec.article.id);
    const s = performance.now();
    await store.apply({ put: [rec], remove: [] });
    return performance.now() - s;
  };
  const logBytes = async () =>
    dir ? (await stat(join(dir, 'articles.db'))).size + (await stat(join(dir, 'articles.db-wal')).catch(() => ({ size: 0 }))).size : 0;
  const bytesBefore = await logBytes();
  const quiet: number[] = [];
  for (let i = 0; i < o.writes; i++) quiet.push(await write());
  const during: number[] = [];
  let snapshotMs: number | null = null;
  let snapshotFinished: boolean | null = null;
  if (store instanceof LocalStore) {
    // Writes stop at a cap (count or time) even if the snapshot has not finished, which is then
    // reported as such: a snapshot that cannot finish beside writes must not run the bench away.
    let done = false;
    const s = performance.now();
    const snap = store.checkpoint().then(() => {
      done = true;
      snapshotMs = performance.now() - s;
    });
    while (!done && during.length < o.snapshotWrites && performance.now() - s < o.snapshotWriteSec * 1000) during.push(await write());
    snapshotFinished = done;
    await snap;
  }
  const logGrowth = (await logBytes()) - bytesBefore;
  const writeLoad1 = load1();
  await store.apply({ put: [], remove: written });
  await store.close();
  return {
    articles: counts.articles,
    chunks: counts.chunks,
    openMs: round(openMs),
    openLoad1,
    modelLoadMs: round(modelLoadMs),
    questions: questions.length,
    answerable,
    queryP50Ms: round(quantile(times, 50), 2),
    queryP95Ms: round(quantile(times, 95), 2),
    recallAt5: round(hits / (answerable || 1), 4),
    queryStages: Object.fromEntries(
      [...stageTimes].map(([name, ms]) => [
        name,
        { p50Ms: round(quantile(ms, 50), 2), p95Ms: round(quantile(ms, 95), 2), meanMs: round(ms.reduce((a, b) => a + b, 0) / ms.length, 2) },
      ]),
    ),
    queryLoad1,
    rssMb: round(mem.rss),
    serveRssPeakMb: round(mem.hwm),
    writes: quiet.length,
    writeP50Ms: round(quantile(quiet, 50), 2),
    writeP99Ms: round(quantile(quiet, 99), 2),
    writesDuringSnapshot: during.length,
    snapshotFinishedDuringWrites: snapshotFinished,
    logBytesPerWrite: written.length ? round(logGrowth / written.length) : null,
    writeP99DuringSnapshotMs: during.length ? round(quantile(during, 99), 2) : null,
    snapshotMs: snapshotMs === null ? null : round(snapshotMs),
    writeLoad1,
  };
}

// ---------- the parent: runs each phase in its own process ----------

type Result = Record<string, unknown>;

/** Runs one phase in a fresh Node process; returns its result and its peak RSS (polled, so even a killed phase has one). */
function child(args: string[]): Promise<{ result: Result; peakRssMb: number }> {
  return new Promise((resolve, reject) => {
    const p = fork(SCRIPT, ['--phase', ...args], {
      execArgv: [...process.execArgv, '--max-old-space-size=12288'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: Result | undefined;
    let hwm = 0;
    const poll = setInterval(() => void memory(p.pid!).then((m) => (hwm = Math.max(hwm, m.hwm || 0))), 200);
    p.on('message', (m) => (result = m as Result));
    p.on('exit', (code, signal) => {
      clearInterval(poll);
      if (result) resolve({ result, peakRssMb: round(Math.max(hwm, Number(result.peakRssMb ?? 0))) });
      else reject(new Error(`bench: phase ${args[0]} ended without a result (code ${code}, signal ${signal}; peak RSS ${Math.round(hwm)} MB)`));
    });
  });
}

/** PGlite (with pgvector) in a process of its own, so its memory is not counted as the server's. */
async function startPgliteProcess(): Promise<{ url: string; proc: ChildProcess; rssMb: () => Promise<number> }> {
  const proc = fork(SCRIPT, ['--phase', 'pglite'], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('message', (m) => resolve((m as { url: string }).url));
    proc.once('exit', (code) => reject(new Error(`bench: PGlite ended (code ${code})`)));
  });
  return { url, proc, rssMb: async () => round((await memory(proc.pid!)).rss) };
}

async function runPhase(argv: string[]) {
  const [name, optsJson, dir, url, out] = argv;
  if (name === 'pglite') {
    const { startPglite } = await import('../tools/pglite.js');
    const server = await startPglite();
    process.send!({ url: server.url });
    process.on('disconnect', () => void server.stop().finally(() => process.exit(0)));
    return;
  }
  const o = JSON.parse(optsJson) as Options;
  const d = dir || undefined;
  const u = url || undefined;
  const result = name === 'build' ? await phaseBuild(o, d, u, out) : await phaseServe(o, d, u, out);
  process.send!({ ...result, peakRssMb: (await memory()).hwm });
  process.disconnect();
}

async function main(argv: string[]) {
  const o = parse(argv);
  const c = config();
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        BUILD_VERSION,
        o.articles,
        o.sample,
        o.realtimeqa ? o.weeks : null,
        o.poolWeeks ?? null,
        c.embeddingModel,
        chunkingOf(c),
        NOISE,
        PARENTS,
        SEED,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  const out = join(tmpdir(), 'archivist-bench-scale', `${o.store}-${key}`);
  const dir = o.store === 'local' ? join(out, 'index') : undefined;
  let pg: Awaited<ReturnType<typeof startPgliteProcess>> | undefined;
  let url = o.store === 'postgres' ? c.databaseUrl : undefined;
  if (o.store === 'postgres' && !url) {
    pg = await startPgliteProcess();
    url = pg.url;
    say(`bench: PGlite with pgvector at ${url} (a process of its own)`);
  }
  try {
    const cached = dir && !o.rebuild ? await readFile(join(out, 'build.json'), 'utf8').catch(() => undefined) : undefined;
    let build: { result: Result; peakRssMb: number };
    if (cached) {
      build = JSON.parse(cached);
      say(`bench: reusing the build in ${out} (--rebuild to build again)`);
    } else {
      await rm(out, { recursive: true, force: true });
      await mkdir(out, { recursive: true });
      say(`bench: building ${o.articles} articles (${o.store}) …`);
      build = await child(['build', JSON.stringify(o), dir ?? '', url ?? '', out]);
      if (dir) await writeFile(join(out, 'build.json'), JSON.stringify(build));
    }
    say(`bench: build ${JSON.stringify(build)}`);
    const pgAfterBuild = pg ? await pg.rssMb() : undefined;
    say('bench: serving: open, questions, writes …');
    say(
      `bench: load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
    const serve = await child(['serve', JSON.stringify(o), dir ?? '', url ?? '', out]);
    const result = {
      articles: serve.result.articles,
      chunks: serve.result.chunks,
      store: o.store,
      ...(o.store === 'postgres' ? { database: c.databaseUrl ? 'DATABASE_URL' : 'PGlite (in-memory, its own process)', vectorType: 'vector (float32)' } : {}),
      openMs: serve.result.openMs,
      queryP50Ms: serve.result.queryP50Ms,
      queryP95Ms: serve.result.queryP95Ms,
      recallAt5: serve.result.recallAt5,
      rssMb: serve.result.rssMb,
      writeP50Ms: serve.result.writeP50Ms,
      writeP99Ms: serve.result.writeP99Ms,
      writeP99DuringSnapshotMs: serve.result.writeP99DuringSnapshotMs,
      writesDuringSnapshot: serve.result.writesDuringSnapshot,
      snapshotFinishedDuringWrites: serve.result.snapshotFinishedDuringWrites,
      ingestPeakRssMb: build.peakRssMb,
      serve: serve.result,
      servePeakRssMb: serve.peakRssMb,
      build: { ...build.result, cached: !!cached },
      ...(pg ? { pgliteRssMbAfterBuild: pgAfterBuild, pgliteRssMbAfterServe: await pg.rssMb() } : {}),
      ...(dir ? { indexMb: round((await indexBytes(dir)) / 1024 / 1024) } : {}),
      synthetic: { parents: PARENTS, noise: NOISE, seed: SEED },
      loadAverage1m: { build: build.result.buildLoad1, open: serve.result.openLoad1, queries: serve.result.queryLoad1, writes: serve.result.writeLoad1 },
      node: process.version,
    };
    console.log(JSON.stringify(result, null, 2));
    if (o.json) await writeFile(o.json, `${JSON.stringify(result, null, 2)}\n`);
  } finally {
    pg?.proc.disconnect();
    if (!dir) await rm(out, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--phase') await runPhase(argv.slice(1));
else await main(argv);
