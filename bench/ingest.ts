/**
 * Ingest benchmark: `npm run bench:ingest -- [folder] [--json out.json] [--articles 2000] [--compare 500]`
 *
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
import { createEmbedder, resolveModelDir } from '../src/embed.js';
import { chunkArticle } from '../src/ingest/chunk.js';
import { embeddingText, ingest } from '../src/ingest/ingest.js';
import { indexBytes, LocalStore } from '../src/store/local.js';
import { distractorArticles } from './corpus.js';

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

/** Ours: full build, then 1% changed. Index in a temp folder. */
async function phaseOurs(corpusPath: string, limit: number | undefined, incremental: boolean): Promise<PhaseResult> {
  const articles = await readCorpus(corpusPath, limit);
  const dir = await mkdtemp(join(tmpdir(), 'archivist-bench-'));
  try {
    const config = benchConfig(dir);
    const embedder = await createEmbedder(config);
    const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
    const store = await LocalStore.open(dir);
    const t0 = performance.now();
    const full = await ingest({ store, embedder, chunking, articles });
    const fullSec = (performance.now() - t0) / 1000;
    const chunks = (await store.counts()).chunks;
    const bytes = await indexBytes(dir);
    await store.close();
    const out: PhaseResult = {
      articles: articles.length,
      chunks,
      chunksEmbedded: full.chunksEmbedded,
      fullSec,
      chunksPerSec: chunks / fullSec,
      articlesPerSec: articles.length / fullSec,
      indexMb: bytes / MB,
      peakRssMb: 0,
    };
    if (incremental) {
      // Every 100th article gets a new last sentence: 1% changed, the rest untouched.
      const changed = articles.map((a, i) =>
        i % 100 === 0 ? makeArticle({ title: a.title, url: a.url, date: a.date, text: `${a.text}\n\nUpdated: a correction was added to this article.` }, a.source) : a,
      );
      const t1 = performance.now();
      // A re-run opens the index from disk like `npm run ingest` does (the model is already loaded).
      const reopened = await LocalStore.open(dir);
      const report = await ingest({ store: reopened, embedder, chunking, articles: changed });
      out.incrementalSec = (performance.now() - t1) / 1000;
      out.incrementalChanged = report.changed.length;
      out.incrementalChunks = report.chunksEmbedded;
      await reopened.close();
    }
    out.peakRssMb = peakRssMb();
    return out;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The stock LangChain.js recipe at its defaults, same model, same articles. */
async function phaseBaseline(corpusPath: string, limit: number): Promise<PhaseResult> {
  const articles = await readCorpus(corpusPath, limit);
  const { env } = await import('@huggingface/transformers');
  const root = resolveModelDir(process.env.MODEL_DIR || undefined);
  env.localModelPath = root.endsWith('/') ? root : `${root}/`;
  env.allowRemoteModels = false;
  const { HuggingFaceTransformersEmbeddings } = await import('@langchain/community/embeddings/huggingface_transformers');
  const { HNSWLib } = await import('@langchain/community/vectorstores/hnswlib');
  const { RecursiveCharacterTextSplitter } = await import('@langchain/textsplitters');
  const { Document } = await import('@langchain/core/documents');
  const embeddings = new HuggingFaceTransformersEmbeddings({ model: 'onnx-community/all-MiniLM-L6-v2-ONNX', pretrainedOptions: { dtype: 'q4' } as object });
  await embeddings.embedQuery('warm up'); // model load is outside the timing, as for ours
  const docs = articles.map((a) => new Document({ pageContent: a.text, metadata: { id: a.id, title: a.title, url: a.url } }));
  const t0 = performance.now();
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 800, chunkOverlap: 100 });
  const chunks = await splitter.splitDocuments(docs);
  const store = await HNSWLib.fromDocuments(chunks, embeddings);
  const sec = (performance.now() - t0) / 1000;
  void store;
  return { articles: articles.length, chunks: chunks.length, sec, chunksPerSec: chunks.length / sec, peakRssMb: peakRssMb() };
}

/** The model alone on the exact texts our ingest embeds: batches of EMBED_BATCH_SIZE, sorted by length. */
async function phaseCeiling(corpusPath: string, limit: number, withTitle: boolean): Promise<PhaseResult> {
  const articles = await readCorpus(corpusPath, limit);
  const config = benchConfig(tmpdir());
  const embedder = await createEmbedder(config);
  const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
  const texts: string[] = [];
  for (const a of articles) {
    for (const c of await chunkArticle(a, chunking)) texts.push(withTitle ? embeddingText(a, c.start, c.end) : a.text.slice(c.start, c.end));
  }
  const t0 = performance.now();
  await embedder.vectors(texts);
  const sec = (performance.now() - t0) / 1000;
  return { chunks: texts.length, sec, chunksPerSec: texts.length / sec, peakRssMb: peakRssMb() };
}

/** Runs one phase in a fresh Node process and returns what it reports. */
function child(args: string[]): Promise<PhaseResult> {
  return new Promise((resolve, reject) => {
    const p = fork(SCRIPT, ['--phase', ...args], { execArgv: process.execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: PhaseResult | undefined;
    p.on('message', (m) => (result = m as PhaseResult));
    p.on('exit', (code, signal) =>
      result ? resolve(result) : reject(new Error(`bench: phase ${args[0]} ended without a result (code ${code}, signal ${signal})`)),
    );
  });
}

function arg(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

async function runPhase(argv: string[]) {
  const [name, corpusPath, limitArg] = argv;
  const limit = limitArg ? Number(limitArg) : undefined;
  const result =
    name === 'full' ? await phaseOurs(corpusPath, limit, true)
    : name === 'ours' ? await phaseOurs(corpusPath, limit, false)
    : name === 'baseline' ? await phaseBaseline(corpusPath, limit!)
    : name === 'ceiling' ? await phaseCeiling(corpusPath, limit!, false)
    : name === 'ceiling-title' ? await phaseCeiling(corpusPath, limit!, true)
    : undefined;
  if (!result) throw new Error(`bench: unknown phase ${name}`);
  // Other work on the machine slows every phase: record it so the figures can be read fairly.
  result.load1 = round(loadavg()[0], 2) as number;
  process.send!(result);
}

const round = (n: unknown, d = 1) => (typeof n === 'number' ? Math.round(n * 10 ** d) / 10 ** d : n);

async function main(argv: string[]) {
  const jsonOut = arg(argv, '--json');
  const n = Number(arg(argv, '--articles') ?? 2000);
  const compare = Number(arg(argv, '--compare') ?? 500);
  const skip = new Set(['--json', '--articles', '--compare'].flatMap((f) => (argv.includes(f) ? [argv[argv.indexOf(f) + 1]] : [])));
  const folder = argv.find((a) => !a.startsWith('--') && !skip.has(a));

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

    say(`full build of ${articles.length} articles, then 1% changed …`);
    const full = await child(['full', corpusPath]);
    say(`  ${JSON.stringify(full)}`);
    say(`stock LangChain recipe on ${k} articles …`);
    const baseline = await child(['baseline', corpusPath, String(k)]).catch((e: Error) => ({ error: e.message, chunksPerSec: NaN, peakRssMb: NaN }) as PhaseResult);
    say(`  ${JSON.stringify(baseline)}`);
    say(`ours on the same ${k} articles …`);
    const ours = await child(['ours', corpusPath, String(k)]);
    say(`  ${JSON.stringify(ours)}`);
    say(`model alone on the same chunks …`);
    const ceiling = await child(['ceiling', corpusPath, String(k)]);
    say(`  ${JSON.stringify(ceiling)}`);
    const ceilingTitle = await child(['ceiling-title', corpusPath, String(k)]);
    say(`  (with headline prefix, as ours embeds) ${JSON.stringify(ceilingTitle)}`);

    const summary = {
      articles: full.articles,
      chunks: full.chunks,
      articlesPerSec: round(full.articlesPerSec, 2),
      chunksPerSec: round(full.chunksPerSec, 2),
      fullSec: round(full.fullSec, 2),
      incrementalSec: round(full.incrementalSec, 2),
      incrementalShare: round((full.incrementalSec as number) / (full.fullSec as number), 4),
      peakRssMb: round(full.peakRssMb),
      indexMb: round(full.indexMb, 2),
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
      loadAverage1m: [full, baseline, ours, ceiling, ceilingTitle].map((r) => r.load1),
      ...(baseline.error ? { baselineError: baseline.error } : {}),
    };
    say('');
    say(`full build      ${summary.articles} articles, ${summary.chunks} chunks in ${summary.fullSec} s: ${summary.articlesPerSec} articles/s, ${summary.chunksPerSec} chunks/s`);
    say(`peak RSS        ${summary.peakRssMb} MB; index on disk ${summary.indexMb} MB`);
    say(`incremental 1%  ${summary.incrementalSec} s (${round((summary.incrementalShare as number) * 100, 2)}% of the full build)`);
    say(`${k} articles    stock LangChain ${summary.baselineChunksPerSec} chunks/s, ${summary.baselinePeakRssMb} MB | ours ${summary.oursChunksPerSec500} chunks/s, ${summary.oursPeakRssMb500} MB | model alone ${summary.ceilingChunksPerSec} chunks/s`);
    say(`ratio           ours/stock ${summary.oursVsBaseline}×; ours = ${round((summary.oursShareOfCeiling as number) * 100)}% of the model-only ceiling; memory ${round((summary.oursMemoryShareOfBaseline as number) * 100)}% of stock`);
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
