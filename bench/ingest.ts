/**
 * Ingest benchmark: `npm run bench:ingest -- [folder] [--json out.json] [--articles 2000] [--compare 500] [--no-compare] [--live-only]`
 * Feed sync benchmark: `npm run bench:ingest -- --sync 200 [--json sync.json]` (bench/sync.ts).
 *
 * 0. Live writes (bench/liveWrites.ts): the median and p95 time and the bytes written to add one
 *    article to an index of 10,000, against a whole-generation write of the same index (the
 *    previous format's cost of every write) and a whole snapshot, in the same run. `--live-only`
 *    stops after it.
 * 1. A full build of ≥2,000 articles (the distractor corpus from text on this machine, or the
 *    articles of `folder`): articles/s, chunks/s, peak RSS, index size; then an incremental
 *    re-run with 1% of the articles changed.
 * 2. On the first 500 of them: the stock LangChain.js recipe at its defaults, ours, and the
 *    model alone on our chunk texts (the ceiling).
 *
 * Every measurement runs in a child process of its own, so each peak RSS (the kernel's maxRSS
 * of that process) belongs to that phase alone and no phase warms another's caches. Model
 * loading is outside every timed section.
 */
import { fork } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { makeArticle, type Article } from '../src/corpus/article.js';
import { loadCorpus } from '../src/corpus/load.js';
import { createEmbedder } from '../src/embed.js';
import { chunkArticle } from '../src/ingest/chunk.js';
import { embeddingText, ingest } from '../src/ingest/ingest.js';
import { indexBytes, LocalStore } from '../src/store/local.js';
import { benchArgs } from './args.js';
import { distractorArticles } from './corpus.js';
import { phaseLiveWrites } from './liveWrites.js';

const SCRIPT = fileURLToPath(import.meta.url);
const MB = 1024 * 1024;
const say = (s: string) => process.stderr.write(`${s}\n`);

interface PhaseResult {
  [k: string]: number | string | undefined;
  peakRssMb: number;
}

/** Peak RSS of this process so far, in MB (ru_maxrss is in kB on Linux). */
const peakRssMb = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

async function readCorpus(path: string, limit?: number): Promise<Article[]> {
  const lines = (await readFile(path, 'utf8')).split('\n').filter(Boolean);
  return lines.slice(0, limit ?? lines.length).map((l) => JSON.parse(l) as Article);
}

// Config comes from the environment like everywhere else; the bench only points the index elsewhere.
const benchConfig = (indexDir: string) => loadConfig({ ...process.env, INDEX_DIR: indexDir, LOG_LEVEL: 'silent' });

/** Ours: a full build into `dir` (a fresh temp folder when not given). */
async function phaseOurs(corpusPath: string, limit: number | undefined, keepDir?: string): Promise<PhaseResult> {
  const articles = await readCorpus(corpusPath, limit);
  const dir = keepDir ?? (await mkdtemp(join(tmpdir(), 'archivist-bench-')));
  try {
    const config = benchConfig(dir);
    const embedder = await createEmbedder(config);
    const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
    const store = await LocalStore.open(dir);
    const t0 = performance.now();
    const full = await ingest({ store, embedder, chunking, articles });
    const fullSec = (performance.now() - t0) / 1000;
    const chunks = (await store.counts()).chunks;
    await store.close();
    return {
      articles: articles.length,
      chunks,
      chunksEmbedded: full.chunksEmbedded,
      fullSec,
      chunksPerSec: chunks / fullSec,
      articlesPerSec: articles.length / fullSec,
      indexMb: (await indexBytes(dir)) / MB,
      peakRssMb: peakRssMb(),
    };
  } finally {
    if (!keepDir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A re-run over the index in `dir` with 1% of the articles changed (every 100th gets a new last
 * sentence), in a process of its own like `npm run ingest`: open the index, plan, embed, save.
 */
async function phaseIncremental(corpusPath: string, dir: string): Promise<PhaseResult> {
  const articles = await readCorpus(corpusPath);
  const config = benchConfig(dir);
  const embedder = await createEmbedder(config);
  const changed = articles.map((a, i) =>
    i % 100 === 0
      ? makeArticle({ title: a.title, url: a.url, date: a.date, text: `${a.text}\n\nUpdated: a correction was added to this article.` }, a.source)
      : a,
  );
  const t0 = performance.now();
  const store = await LocalStore.open(dir);
  const report = await ingest({ store, embedder, chunking: { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap }, articles: changed });
  await store.close();
  return { incrementalSec: (performance.now() - t0) / 1000, changed: report.changed.length, chunksEmbedded: report.chunksEmbedded, peakRssMb: peakRssMb() };
}

/** The stock LangChain.js recipe at its defaults, same model, same articles. */
async function phaseBaseline(corpusPath: string, limit: number): Promise<PhaseResult> {
  const articles = await readCorpus(corpusPath, limit);
  const config = benchConfig(tmpdir());
  const { stockDocuments, stockEmbeddings, useBundledModel } = await import('../src/eval/baseline.js');
  const { HNSWLib } = await import('@langchain/community/vectorstores/hnswlib');
  await useBundledModel(config.modelDir);
  const embeddings = stockEmbeddings({ model: config.embeddingModel });
  await embeddings.embedQuery('warm up'); // model load is outside the timing, as for ours
  const t0 = performance.now();
  const chunks = await stockDocuments(articles);
  const store = await HNSWLib.fromDocuments(chunks, embeddings);
  const sec = (performance.now() - t0) / 1000;
  void store;
  return { articles: articles.length, chunks: chunks.length, sec, chunksPerSec: chunks.length / sec, peakRssMb: peakRssMb() };
}

/**
 * The model alone, in a plain loop: the same chunk texts, EMBED_BATCH_SIZE at a time in order of
 * character length, straight into the Transformers.js pipeline, nothing else.
 * `withTitle` embeds them as ours does (headline first line); without it, the bare chunk text.
 */
async function phaseCeiling(corpusPath: string, limit: number, withTitle: boolean): Promise<PhaseResult> {
  const articles = await readCorpus(corpusPath, limit);
  const config = benchConfig(tmpdir());
  const { useBundledModel } = await import('../src/eval/baseline.js');
  await useBundledModel(config.modelDir);
  const { pipeline } = await import('@huggingface/transformers');
  const extract = (await pipeline('feature-extraction', config.embeddingModel, { dtype: 'q4' })) as unknown as (
    texts: string[],
    opts: { pooling: 'mean'; normalize: boolean },
  ) => Promise<{ data: Float32Array }>;
  await extract(['warm up'], { pooling: 'mean', normalize: true });
  const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
  const texts: string[] = [];
  for (const a of articles) {
    for (const c of chunkArticle(a, chunking)) texts.push(withTitle ? embeddingText(a, c.start, c.end) : a.text.slice(c.start, c.end));
  }
  const t0 = performance.now();
  const sorted = [...texts].sort((a, b) => a.length - b.length);
  for (let i = 0; i < sorted.length; i += config.embedBatchSize) {
    await extract(sorted.slice(i, i + config.embedBatchSize), { pooling: 'mean', normalize: true });
  }
  const sec = (performance.now() - t0) / 1000;
  return { chunks: texts.length, sec, chunksPerSec: texts.length / sec, peakRssMb: peakRssMb() };
}

/** Peak RSS of a process so far, from the kernel (readable while it runs, so even a phase the OOM killer ends has a figure). */
async function vmHwmMb(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
  return kb ? Number(kb) / 1024 : undefined;
}

/** Runs one phase in a fresh Node process and returns what it reports. */
function child(args: string[]): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const p = fork(SCRIPT, ['--phase', ...args], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: PhaseResult | undefined;
    let hwm = 0;
    const poll = setInterval(() => void vmHwmMb(p.pid!).then((mb) => (hwm = Math.max(hwm, mb ?? 0))), 50);
    p.on('message', (m) => (result = m as PhaseResult));
    p.on('exit', (code, signal) => {
      clearInterval(poll);
      if (result) resolve(result);
      else {
        const e = new Error(`bench: phase ${args[0]} ended without a result (code ${code}, signal ${signal}; peak RSS ${Math.round(hwm)} MB)`);
        reject(Object.assign(e, { peakRssMb: Math.round(hwm) }));
      }
    });
  });
}

async function runPhase(argv: string[]) {
  const [name, corpusPath, limitArg, dir] = argv;
  const limit = limitArg && limitArg !== 'all' ? Number(limitArg) : undefined;
  const result =
    name === 'full'
      ? await phaseOurs(corpusPath, limit, dir)
      : name === 'incremental'
        ? await phaseIncremental(corpusPath, dir)
        : name === 'ours'
          ? await phaseOurs(corpusPath, limit)
          : name === 'baseline'
            ? await phaseBaseline(corpusPath, limit!)
            : name === 'ceiling'
              ? await phaseCeiling(corpusPath, limit!, false)
              : name === 'ceiling-title'
                ? await phaseCeiling(corpusPath, limit!, true)
                : name === 'live'
                  ? ((await phaseLiveWrites()) as unknown as PhaseResult)
                  : undefined;
  if (!result) throw new Error(`bench: unknown phase ${name}`);
  // Other work on the machine slows every phase: record it so the figures can be read fairly.
  result.load1 = round(loadavg()[0], 2) as number;
  process.send!(result);
}

const round = (n: unknown, d = 1) => (typeof n === 'number' ? Math.round(n * 10 ** d) / 10 ** d : n);

async function main(argv: string[]) {
  const { values, positionals, number } = benchArgs(argv, {
    json: { type: 'string' },
    sync: { type: 'string' },
    articles: { type: 'string', default: '2000' },
    compare: { type: 'string', default: '500' },
    'live-only': { type: 'boolean', default: false },
    'no-compare': { type: 'boolean', default: false },
  });
  const jsonOut = values.json;
  if (values.sync !== undefined) {
    // The feed sync benchmark (bench/sync.ts): `--sync 200` entries from a local news site.
    const { syncBench } = await import('./sync.js');
    const figures = await syncBench(number('sync'));
    if (jsonOut) await writeFile(jsonOut, `${JSON.stringify(figures, null, 2)}\n`);
    console.log(JSON.stringify(figures));
    return;
  }
  const n = number('articles');
  const compare = number('compare');
  const folder = positionals[0];

  say('live writes on an index of 10,000 articles …');
  const live = await child(['live']);
  const liveSummary = {
    liveIndexArticles: live.indexArticles,
    liveWrites: live.writes,
    liveAddMedianMs: round(live.addMedianMs, 2),
    liveAddP95Ms: round(live.addP95Ms, 2),
    liveAddMedianBytes: live.addMedianBytes,
    liveAddP95Bytes: live.addP95Bytes,
    wholeGenerationMs: round(live.wholeGenerationMedianMs, 1),
    wholeGenerationBytes: live.wholeGenerationBytes,
    wholeSnapshotMs: round(live.wholeSnapshotMs, 1),
    wholeSnapshotBytes: live.wholeSnapshotBytes,
    liveBytesShareOfWholeGeneration: round(live.bytesShareOfWholeGeneration, 5),
    liveOpenSec: round(live.openSec, 2),
    liveLoad1: live.load1,
  };
  say(
    `live add         median ${liveSummary.liveAddMedianMs} ms, p95 ${liveSummary.liveAddP95Ms} ms; ${liveSummary.liveAddMedianBytes} bytes (median) per article`,
  );
  say(
    `whole write      generation ${liveSummary.wholeGenerationMs} ms, ${liveSummary.wholeGenerationBytes} bytes; snapshot ${liveSummary.wholeSnapshotMs} ms, ${liveSummary.wholeSnapshotBytes} bytes`,
  );
  say(`share            one add writes ${round(Number(live.bytesShareOfWholeGeneration) * 100, 3)}% of a whole-generation write`);
  if (values['live-only']) {
    if (jsonOut) await writeFile(jsonOut, `${JSON.stringify(liveSummary, null, 2)}\n`);
    console.log(JSON.stringify(liveSummary));
    return;
  }

  const work = await mkdtemp(join(tmpdir(), 'archivist-bench-corpus-'));
  try {
    let articles: Article[];
    if (folder) {
      const corpus = await loadCorpus(folder);
      articles = corpus.articles;
      say(`corpus: ${articles.length} articles from ${folder} (${corpus.skipped.length} files skipped, ${corpus.duplicates.length} duplicates)`);
    } else {
      articles = await distractorArticles(n);
      say(`corpus: ${articles.length} articles of real text from this machine (bench/corpus.ts)`);
    }
    const corpusPath = join(work, 'corpus.jsonl');
    await writeFile(corpusPath, articles.map((a) => JSON.stringify(a)).join('\n'));
    const k = Math.min(compare, articles.length);

    say(`full build of ${articles.length} articles …`);
    const indexDir = join(work, 'index');
    const full = await child(['full', corpusPath, 'all', indexDir]);
    say(`  ${JSON.stringify(full)}`);
    say('re-run with 1% of the articles changed …');
    const incremental = await child(['incremental', corpusPath, 'all', indexDir]);
    say(`  ${JSON.stringify(incremental)}`);
    // The build's figures, in both summaries.
    const buildSummary = {
      ...liveSummary,
      articles: full.articles,
      chunks: full.chunks,
      articlesPerSec: round(full.articlesPerSec, 2),
      chunksPerSec: round(full.chunksPerSec, 2),
      fullSec: round(full.fullSec, 2),
      incrementalSec: round(incremental.incrementalSec, 2),
      incrementalShare: round((incremental.incrementalSec as number) / (full.fullSec as number), 4),
      peakRssMb: round(full.peakRssMb),
      incrementalPeakRssMb: round(incremental.peakRssMb),
      indexMb: round(full.indexMb, 2),
    };
    if (values['no-compare']) {
      const summary = { ...buildSummary, loadAverage1m: [full.load1, incremental.load1] };
      if (jsonOut) await writeFile(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
      console.log(JSON.stringify(summary));
      return;
    }
    say(`stock LangChain recipe on ${k} articles …`);
    let baseline = await child(['baseline', corpusPath, String(k)]).catch(
      (e: Error & { peakRssMb?: number }) => ({ error: e.message, chunksPerSec: NaN, peakRssMb: e.peakRssMb ?? NaN }) as PhaseResult,
    );
    say(`  ${JSON.stringify(baseline)}`);
    if (baseline.error) {
      // At its defaults the recipe embeds all its 512-text batches at once; when that does not fit
      // in memory, measure its speed on fewer articles and keep the failed run's peak.
      const fewer = Math.max(1, Math.floor(k / 5));
      say(`stock LangChain recipe failed on ${k} articles; measuring its speed on the first ${fewer} …`);
      const small = await child(['baseline', corpusPath, String(fewer)]).catch(
        (e: Error) => ({ error: e.message, chunksPerSec: NaN, peakRssMb: NaN }) as PhaseResult,
      );
      say(`  ${JSON.stringify(small)}`);
      baseline = { ...baseline, chunksPerSec: small.chunksPerSec, chunks: small.chunks, fallbackArticles: fewer, fallbackPeakRssMb: small.peakRssMb };
    }
    say(`ours on the same ${k} articles …`);
    const ours = await child(['ours', corpusPath, String(k)]);
    say(`  ${JSON.stringify(ours)}`);
    say(`model alone on the same chunks …`);
    const ceiling = await child(['ceiling', corpusPath, String(k)]);
    say(`  ${JSON.stringify(ceiling)}`);
    const ceilingTitle = await child(['ceiling-title', corpusPath, String(k)]);
    say(`  (with headline prefix, as ours embeds) ${JSON.stringify(ceilingTitle)}`);

    const summary = {
      ...buildSummary,
      compareArticles: k,
      baselineChunks: baseline.chunks,
      baselineChunksPerSec: round(baseline.chunksPerSec, 2),
      baselinePeakRssMb: round(baseline.peakRssMb),
      oursChunks500: ours.chunks,
      oursChunksPerSec500: round(ours.chunksPerSec, 2),
      oursPeakRssMb500: round(ours.peakRssMb),
      ceilingChunksPerSec: round(ceiling.chunksPerSec, 2),
      ceilingWithTitleChunksPerSec: round(ceilingTitle.chunksPerSec, 2),
      ceilingPeakRssMb: round(ceiling.peakRssMb),
      oursVsBaseline: round((ours.chunksPerSec as number) / (baseline.chunksPerSec as number), 2),
      oursShareOfCeiling: round((ours.chunksPerSec as number) / (ceiling.chunksPerSec as number), 3),
      oursMemoryShareOfBaseline: round(ours.peakRssMb / baseline.peakRssMb, 3),
      loadAverage1m: [full, incremental, baseline, ours, ceiling, ceilingTitle].map((r) => r.load1),
      ...(baseline.error
        ? {
            baselineError: baseline.error,
            baselineSpeedMeasuredOnArticles: baseline.fallbackArticles,
            baselineFallbackPeakRssMb: round(baseline.fallbackPeakRssMb),
          }
        : {}),
    };
    say('');
    say(
      `full build      ${summary.articles} articles, ${summary.chunks} chunks in ${summary.fullSec} s: ${summary.articlesPerSec} articles/s, ${summary.chunksPerSec} chunks/s`,
    );
    say(`peak RSS        ${summary.peakRssMb} MB; index on disk ${summary.indexMb} MB`);
    say(`incremental 1%  ${summary.incrementalSec} s (${round((summary.incrementalShare as number) * 100, 2)}% of the full build)`);
    say(
      `${k} articles    stock LangChain ${summary.baselineChunksPerSec} chunks/s, ${summary.baselinePeakRssMb} MB | ours ${summary.oursChunksPerSec500} chunks/s, ${summary.oursPeakRssMb500} MB | model alone ${summary.ceilingChunksPerSec} chunks/s`,
    );
    say(
      `ratio           ours/stock ${summary.oursVsBaseline}×; ours = ${round((summary.oursShareOfCeiling as number) * 100)}% of the model-only ceiling; memory ${round((summary.oursMemoryShareOfBaseline as number) * 100)}% of stock`,
    );
    if (jsonOut) await writeFile(jsonOut, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(JSON.stringify(summary));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
(argv[0] === '--phase' ? runPhase(argv.slice(1)) : main(argv)).catch((e) => {
  say(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
