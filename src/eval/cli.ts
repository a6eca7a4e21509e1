/**
 * `npm run eval -- --feedback [file] [--articles dir]` asks judged answers again (see feedback.ts).
 * `npm run eval -- [file] [--articles dir] [--json out.json] [--store local|postgres] [--no-baseline] [--sweep] [--generator extractive|openai]`
 * `npm run eval -- --realtimeqa <checkout or bare git dir> --weeks 20230106..20230331 [--modes hybrid,vector,keyword] [--baseline]`
 * `--retrieval-only` (any set) scores retrieval alone, 20 passages deep (recall@1/5/10/20, article
 * recall@5): the ask path's first stages without reading or answering, seconds instead of minutes.
 * `--rerank` turns on the retriever's second look by sentence evidence (answering/rerank.ts).
 * asks RealTimeQA's quiz questions of the articles searched for them (see realtimeqa.ts); only
 * the weeks in `--weeks` are opened.
 * Embeddings are cached in `--cache <dir>` (default .cache/eval; `--no-cache` to embed afresh),
 * keyed by model and exact text, so a second run over the same articles embeds nothing.
 * Prints a table comparing retrieval configurations and writes the full result as JSON. A JSONL
 * file is asked of `--articles`, else of the `articles/` folder next to it, else of SEEDS_DIR:
 * `npm run eval -- eval/news/questions.jsonl` asks the news set of its own articles.
 * `--generator openai` has the hybrid row answered by the model at LLM_BASE_URL/LLM_MODEL (any
 * OpenAI-compatible server; not run in CI, since no model runs here) and reports how its quotes
 * fared against the article text; the other rows stay extractive.
 */
import { AppError } from '../errors.js';
import { createHash } from 'node:crypto';
import { parseArgs as parseCommandLine } from 'node:util';
import type { Article } from '../corpus/article.js';
import { CHUNKER_VERSION, type ChunkSettings } from '../ingest/chunk.js';
import { runFeedbackCli } from './feedback.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArchive } from '../archive.js';
import { archiveOptions, modelAnswerer, openStore } from '../boot.js';
import type { Config } from '../config.js';
import { loadCorpus } from '../corpus/load.js';
import { createEmbedder, type Embedder } from '../embed.js';
import { ingest } from '../ingest/ingest.js';
import { fillSentences } from '../ingest/sentences.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/types.js';
import { createRetriever, type RetrievalMode } from '../answering/retrieve.js';
import { RERANK } from '../answering/rerank.js';
import { buildStockRecipe } from './baseline.js';
import { loadEvalSet, type EvalSet } from './dataset.js';
import { CachedEmbedder } from './embeddingCache.js';
import { loadRealtimeQa, MIN_ARTICLE_CHARS, parseWeeks, type RealtimeQaSet } from './realtimeqa.js';
import { evaluateArchive, evaluateRetrieval, evaluateSearch, type QuestionResult, type Scores } from './run.js';

/** The SQuAD 2.0 sample shipped in the repository (CC BY-SA 4.0, see eval/squad/README.md). */
export const DEFAULT_EVAL_FILE = 'eval/squad/squad-v2-small.json';

export const DEFAULT_CACHE_DIR = '.cache/eval';

/**
 * What a built index depends on: the articles (ids and content hashes), the model, the chunk
 * settings and the chunker's version (CHUNKER_VERSION, bumped whenever chunking or boilerplate
 * rules change what is indexed).
 */
export function indexKey(articles: Pick<Article, 'id' | 'hash'>[], config: Pick<Config, 'embeddingModel'>, chunking: ChunkSettings): string {
  const ids = articles.map((a) => `${a.id}:${a.hash}`).sort();
  return createHash('sha256')
    .update(JSON.stringify([config.embeddingModel, chunking, CHUNKER_VERSION, ids]))
    .digest('hex')
    .slice(0, 16);
}
const MODES: RetrievalMode[] = ['hybrid', 'vector', 'keyword'];

/** The command line, read by `node:util` parseArgs: an unknown option, or one without its value, is refused (a typo is told, not ignored). */
const OPTIONS = {
  articles: { type: 'string' },
  json: { type: 'string' },
  store: { type: 'string' },
  baseline: { type: 'boolean' },
  'no-baseline': { type: 'boolean' },
  sweep: { type: 'boolean', default: false },
  generator: { type: 'string' },
  realtimeqa: { type: 'string' },
  weeks: { type: 'string' },
  modes: { type: 'string' },
  cache: { type: 'string', default: DEFAULT_CACHE_DIR },
  'no-cache': { type: 'boolean', default: false },
  'retrieval-only': { type: 'boolean', default: false },
  rerank: { type: 'boolean', default: false },
} as const;

export function parseArgs(args: string[]) {
  let parsed;
  try {
    parsed = parseCommandLine({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new AppError(
      'bad_request',
      `eval: ${(err as Error).message}; the options are ${Object.keys(OPTIONS)
        .map((o) => `--${o}`)
        .join(', ')}`,
    );
  }
  const { values: v, positionals } = parsed;
  if (positionals.length > 1) throw new AppError('bad_request', `eval: one questions file at most, not ${positionals.join(', ')}`);
  let modes = MODES;
  if (v.modes !== undefined) {
    modes = v.modes.split(',').map((m) => m.trim()) as RetrievalMode[];
    const bad = modes.find((m) => !MODES.includes(m));
    if (bad !== undefined) throw new AppError('bad_request', `eval: --modes must be a list of ${MODES.join(', ')}, not ${JSON.stringify(bad)}`);
  }
  const opts = {
    file: positionals[0] ?? DEFAULT_EVAL_FILE,
    articles: v.articles,
    json: v.json,
    store: v.store,
    baseline: v['no-baseline'] ? false : v.baseline,
    sweep: v.sweep,
    generator: v.generator,
    realtimeqa: v.realtimeqa,
    weeks: v.weeks === undefined ? undefined : parseWeeks(v.weeks),
    cache: v['no-cache'] ? undefined : (v.cache as string | undefined),
    modes,
    retrievalOnly: v['retrieval-only'],
    rerank: v.rerank,
  };
  if (opts.store && opts.store !== 'local' && opts.store !== 'postgres') throw new AppError('bad_request', 'eval: --store must be local or postgres');
  if (opts.generator && opts.generator !== 'extractive' && opts.generator !== 'openai')
    throw new AppError('bad_request', 'eval: --generator must be extractive or openai');
  if (opts.realtimeqa && !opts.weeks)
    throw new AppError('bad_request', 'eval: --realtimeqa needs --weeks YYYYMMDD..YYYYMMDD: only the weeks asked for are read');
  if (opts.weeks && !opts.realtimeqa) throw new AppError('bad_request', 'eval: --weeks goes with --realtimeqa <dir>');
  return opts;
}

const f = (x: number | undefined, digits = 3) => (x === undefined ? '—' : x.toFixed(digits));

export function table(rows: [string, Scores][]): string {
  const head = [
    'config',
    'R@1',
    'R@5',
    'R@10',
    'R@20',
    'MRR',
    'A@5',
    'hit',
    'short',
    'hit/R@5',
    'refuse',
    'falseRef',
    'refFound',
    'fidelity',
    'spanEM',
    'spanF1',
    'bpQuotes',
    'dupQuotes',
    'rightDates',
    'p50 ms',
    'p95 ms',
  ];
  const n = (x: number | undefined) => (x === undefined ? '—' : String(x));
  const lines = rows.map(([name, s]) => [
    name,
    f(s.recallAt1),
    f(s.recallAt5),
    f(s.recallAt10),
    f(s.recallAt20),
    f(s.mrr),
    f(s.articleRecallAt5),
    f(s.answerHit),
    f(s.shortHit),
    f(s.hitPerRecall),
    f(s.refusal),
    f(s.falseRefusal),
    f(s.refusalOfFound),
    f(s.quoteFidelity),
    f(s.spanEM),
    f(s.spanF1),
    n(s.boilerplateQuotes),
    n(s.duplicateQuotes),
    f(s.rightDates),
    f(s.p50Ms, 1),
    f(s.p95Ms, 1),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [fmt(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(fmt)].join('\n');
}

/** Refusal, false refusal and answer hit at each threshold, from answers given at threshold 0. */
export function thresholdSweep(rows: QuestionResult[], thresholds = [0.3, 0.35, 0.4, 0.42, 0.44, 0.46, 0.48, 0.5, 0.55, 0.6]) {
  const ans = rows.filter((r) => !r.impossible);
  const imp = rows.filter((r) => r.impossible);
  const share = (xs: QuestionResult[], p: (r: QuestionResult) => boolean) => (xs.length ? xs.filter(p).length / xs.length : 0);
  return thresholds.map((threshold) => ({
    threshold,
    refusal: share(imp, (r) => (r.evidence ?? 0) < threshold),
    falseRefusal: share(ans, (r) => (r.evidence ?? 0) < threshold),
    answerHit: share(ans, (r) => !!r.hit && (r.evidence ?? 0) >= threshold),
  }));
}

type EvalOptions = ReturnType<typeof parseArgs>;
type Rows = [string, Scores][];

/** The model answerer the hybrid row is asked through with `--generator openai` (refused without LLM settings); undefined for extractive. */
function generativeFor(config: Config, opts: EvalOptions, log: Logger) {
  const generator = (opts.generator ?? config.generator) as Config['generator'];
  if (generator === 'openai' && (!config.llmBaseUrl || !config.llmModel)) {
    throw new AppError(
      'bad_request',
      'eval: --generator openai needs LLM_BASE_URL and LLM_MODEL (in .env or the environment), e.g. http://localhost:11434/v1 and llama3.1:8b',
    );
  }
  return modelAnswerer({ ...config, generator }, log);
}

/** The questions and the articles they are asked of: RealTimeQA's weeks, or a file (a JSONL set without a folder asks the seeds). */
async function loadSet(config: Config, opts: EvalOptions, log: Logger) {
  const rtqa = opts.realtimeqa ? await loadRealtimeQa(opts.realtimeqa, opts.weeks!) : undefined;
  const set = rtqa ?? (await loadEvalSet(opts.file, opts.articles));
  let articles = set.articles;
  if (!articles.length) articles = (await loadCorpus(config.seedsDir)).articles;
  log.info(`eval: ${set.name}: ${articles.length} articles, ${set.questions.length} questions`);
  if (rtqa) {
    const st = rtqa.stats;
    log.info(
      `eval: ${st.weeks.length} weeks; kept ${st.kept} of ${st.questions} questions (gold in some article); ${st.articles} articles, ${st.shortDropped} search results under ${MIN_ARTICLE_CHARS} characters or unusable dropped`,
    );
  }
  return { set, rtqa, articles };
}

/**
 * Where the index goes: a local folder (kept in the cache folder under a key of everything it is
 * built from, so a second run over the same articles with the same settings opens it instead of
 * building it; else a temporary one), or PostgreSQL (DATABASE_URL, else a PGlite server).
 */
async function placeIndex(config: Config, opts: EvalOptions, articles: Article[], chunking: ChunkSettings) {
  const keptDir = opts.cache && opts.store !== 'postgres' ? join(opts.cache, `index-${indexKey(articles, config, chunking)}`) : undefined;
  const dir = keptDir ?? (await mkdtemp(join(tmpdir(), 'archivist-eval-')));
  let stopPg: (() => Promise<void>) | undefined;
  let storeConfig: Config = { ...config, indexDir: dir, store: 'local' };
  if (opts.store === 'postgres') {
    let url = config.databaseUrl;
    if (!url) {
      // Evaluation tooling only: without a DATABASE_URL, a PGlite server over the wire protocol.
      const { startPglite } = await import('../../tools/pglite.js');
      const pg = await startPglite();
      url = pg.url;
      stopPg = pg.stop;
    }
    storeConfig = { ...storeConfig, store: 'postgres', databaseUrl: url };
  }
  return { keptDir, dir, storeConfig, stopPg };
}

/** The embedder, through the embedding cache unless `--no-cache`. */
async function evalEmbedder(config: Config, opts: EvalOptions): Promise<Embedder> {
  const model = await createEmbedder(config);
  return opts.cache ? new CachedEmbedder(model, join(opts.cache, 'embeddings.sqlite')) : model;
}

/** Brings the store in line with the articles (a kept index: nothing to do when it is whole; a temporary one is built), sentence vectors included. */
async function indexArticles(store: Store, embedder: Embedder, articles: Article[], chunking: ChunkSettings, keptDir: string | undefined, log: Logger) {
  let last = 0;
  const onProgress = (_: string, done: number, total: number) => {
    if (performance.now() - last < 30_000) return;
    last = performance.now();
    log.info(`eval: embedding ${done} of ${total} chunks`);
  };
  const report = await ingest({ store, embedder, chunking, articles, force: !keptDir, onProgress });
  // A kept index written before sentence vectors existed gets them now, so the figures are those of the real path.
  const filled = await fillSentences({ store, embedder, log });
  if (filled) log.info(`eval: sentence vectors made for ${filled} articles of the kept index`);
  const cached = embedder instanceof CachedEmbedder ? `; ${embedder.stats.hits} vectors from the cache, ${embedder.stats.misses} embedded` : '';
  log.info(
    `eval: indexed ${report.chunksEmbedded} chunks in ${(report.ms / 1000).toFixed(1)} s (${store.kind} store${cached}${keptDir ? `; index kept in ${keptDir}` : ''})`,
  );
}

interface Scoring {
  config: Config;
  opts: EvalOptions;
  set: EvalSet;
  store: Store;
  embedder: Embedder;
  log: Logger;
}

/** The archive's options for evaluation: topK 10 so recall@10 can be measured; answers only read the first passages, as in the server. */
const evalOptions = (config: Config, opts: EvalOptions) => ({
  ...archiveOptions(config),
  topK: Math.max(10, config.topK),
  ...(opts.rerank ? { rerank: RERANK } : {}),
});

/** One row per mode, each question asked through the archive; the hybrid row's questions go to `perQuestion`. */
async function scoreAnswers(s: Scoring, generative: ReturnType<typeof modelAnswerer>, rows: Rows, perQuestion: QuestionResult[]) {
  const { store, embedder, log } = s;
  const options = evalOptions(s.config, s.opts);
  const archive = createArchive({ store, embedder, options });
  for (const mode of s.opts.modes) {
    // The model answers the hybrid row, the one the server uses: a model run costs real time.
    const asked = mode === 'hybrid' && generative ? createArchive({ store, embedder, options, generative }) : archive;
    const scores = await evaluateArchive(asked, s.set, mode, mode === 'hybrid' ? perQuestion : undefined);
    rows.push([mode === 'hybrid' && generative ? 'hybrid + model' : mode, scores]);
    if (scores.generated) {
      const g = scores.generated;
      log.info(
        `eval: the model (${s.config.llmModel}) wrote ${g.answers} answers, ${g.fallbacks} fell back to extractive; quotes ${g.quotes}, verified ${g.verified}, removed ${g.removed}`,
      );
    }
    log.info(`eval: ${mode} done in ${scores.totalSec.toFixed(1)} s`);
  }
}

/** Retrieval alone, 20 passages deep: the ask path's first stages, no answers built; the first mode's questions go to `perQuestion`. */
async function scoreRetrieval(s: Scoring, rows: Rows, perQuestion: QuestionResult[]) {
  const retriever = createRetriever({ store: s.store, embedder: s.embedder, options: { ...evalOptions(s.config, s.opts), topK: 20 } });
  for (const mode of s.opts.modes) {
    const scores = await evaluateRetrieval(retriever, s.set, mode, mode === s.opts.modes[0] ? perQuestion : undefined);
    rows.push([mode, scores]);
    s.log.info(`eval: ${mode} retrieval done in ${scores.totalSec.toFixed(1)} s`);
  }
}

/** `--sweep`: every question answered (threshold 0), then each threshold applied to the evidence; printed as a table. */
async function sweepThresholds(s: Scoring) {
  const open = createArchive({
    store: s.store,
    embedder: s.embedder,
    options: { ...archiveOptions(s.config), topK: Math.max(10, s.config.topK), minEvidenceScore: 0 },
  });
  const rowsAll: QuestionResult[] = [];
  await evaluateArchive(open, s.set, 'hybrid', rowsAll);
  const sweep = thresholdSweep(rowsAll);
  console.log(`
refusal trade-off (hybrid): MIN_EVIDENCE_SCORE → share refused
`);
  console.log('| threshold | refusal (unanswerable) | false refusal (answerable) | answer hit |');
  console.log('|-----------|------------------------|----------------------------|------------|');
  for (const r of sweep)
    console.log(`| ${r.threshold.toFixed(2)}      | ${f(r.refusal)}                  | ${f(r.falseRefusal)}                      | ${f(r.answerHit)}      |`);
  return sweep;
}

/** The figures on stdout: the table of rows, the mean time of each stage, how a model's quotes fared, the total time. */
function printScores(config: Config, set: EvalSet, rtqa: RealtimeQaSet | undefined, storeKind: string, rows: Rows, totalSec: number) {
  const kept = rtqa ? ` kept of ${rtqa.stats.questions} (gold in some article), ${rtqa.stats.articles} articles` : '';
  console.log(`\n${set.name} (${set.questions.length} questions${kept}, ${storeKind} store, MIN_EVIDENCE_SCORE=${config.minEvidenceScore})\n`);
  console.log(table(rows));
  for (const [name, s] of rows)
    if (s.stageMs && Object.keys(s.stageMs).length)
      console.log(
        `${name}: mean ms per stage ${Object.entries(s.stageMs)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}`,
      );
  for (const [name, s] of rows) {
    const x = s.failures;
    if (x)
      console.log(
        `${name}: per question: not retrieved ${x.notRetrieved}, retrieved but another sentence quoted ${x.otherSentence}, refused though found ${x.refusedThoughFound}; short answers ${x.shortGiven} given, ${x.shortRight} right, ${x.shortGiven - x.shortRight} wrong; short exact match ${f(s.shortExact)}`,
      );
  }
  for (const [name, s] of rows) {
    const g = s.generated;
    if (g)
      console.log(
        `\n${name}: the model (${config.llmModel}) wrote ${g.answers} answers; ${g.fallbacks} fell back to extractive; quotes ${g.quotes}, verified ${g.verified}, removed ${g.removed}`,
      );
  }
  console.log(`\ntotal ${totalSec.toFixed(1)} s`);
}

/** Runs the evaluation: progress goes to `log`, the table and figures to stdout. */
export async function runEvalCli(config: Config, args: string[], log: Logger) {
  // Judged answers asked again (feedback.ts): a run of its own, with its own options.
  if (args.includes('--feedback')) return runFeedbackCli(config, args, log);
  const opts = parseArgs(args);
  const generative = generativeFor(config, opts, log);
  const started = performance.now();
  const { set, rtqa, articles } = await loadSet(config, opts, log);
  // The stock recipe embeds everything again, uncached: on by default only for the small sets.
  const baseline = opts.baseline ?? (!rtqa && !opts.retrievalOnly);
  const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
  const { keptDir, dir, storeConfig, stopPg } = await placeIndex(config, opts, articles, chunking);
  let closeCache: (() => void) | undefined;
  try {
    const embedder = await evalEmbedder(config, opts);
    closeCache = () => (embedder instanceof CachedEmbedder ? embedder.close() : undefined);
    const store = await openStore(storeConfig, log);
    await indexArticles(store, embedder, articles, chunking, keptDir, log);
    const scoring: Scoring = { config, opts, set, store, embedder, log };
    const rows: Rows = [];
    const perQuestion: QuestionResult[] = [];
    if (opts.retrievalOnly) await scoreRetrieval(scoring, rows, perQuestion);
    else await scoreAnswers(scoring, generative, rows, perQuestion);
    const sweep = opts.sweep ? await sweepThresholds(scoring) : undefined;
    if (baseline) {
      const stock = await buildStockRecipe(articles, { model: config.embeddingModel, modelDir: config.modelDir });
      rows.push(['stock LangChain', await evaluateSearch(stock.search, set)]);
    }
    await store.close();

    const totalSec = (performance.now() - started) / 1000;
    printScores(config, set, rtqa, store.kind, rows, totalSec);
    const [, main] = rows[0];
    const result = {
      file: set.name,
      ...(rtqa ? { realtimeqa: rtqa.stats } : {}),
      store: store.kind,
      config: 'hybrid',
      settings: { ...archiveOptions(config), model: config.embeddingModel },
      ...main,
      totalSec,
      configs: Object.fromEntries(rows.slice(1).map(([name, s]) => [name, s])),
      ...(sweep ? { sweep } : {}),
      perQuestion,
    };
    if (opts.json) await writeFile(opts.json, JSON.stringify(result, null, 2));
    return result;
  } finally {
    closeCache?.();
    await stopPg?.();
    if (!keptDir) await rm(dir, { recursive: true, force: true });
  }
}
