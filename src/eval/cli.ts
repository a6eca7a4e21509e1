/**
 * `npm run eval -- [file] [--articles dir] [--json out.json] [--store local|postgres] [--no-baseline] [--sweep] [--generator extractive|openai]`
 * Prints a table comparing retrieval configurations and writes the full result as JSON. A JSONL
 * file is asked of `--articles`, else of the `articles/` folder next to it, else of SEEDS_DIR:
 * `npm run eval -- eval/news/questions.jsonl` asks the news set of its own articles.
 * `--generator openai` has the hybrid row answered by the model at LLM_BASE_URL/LLM_MODEL (any
 * OpenAI-compatible server; not run in CI, since no model runs here) and reports how its quotes
 * fared against the article text; the other rows stay extractive.
 */
import { AppError } from '../errors.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArchive } from '../archive.js';
import { archiveOptions, modelAnswerer, openStore } from '../boot.js';
import type { Config } from '../config.js';
import { loadCorpus } from '../corpus/load.js';
import { createEmbedder } from '../embed.js';
import { ingest } from '../ingest/ingest.js';
import type { Logger } from '../log.js';
import type { RetrievalMode } from '../answering/retrieve.js';
import { buildStockRecipe } from './baseline.js';
import { loadEvalSet } from './dataset.js';
import { evaluateArchive, evaluateSearch, type QuestionResult, type Scores } from './run.js';

/** The SQuAD 2.0 sample shipped in the repository (CC BY-SA 4.0, see eval/squad/README.md). */
export const DEFAULT_EVAL_FILE = 'eval/squad/squad-v2-small.json';

function parseArgs(args: string[]) {
  const opts = { file: DEFAULT_EVAL_FILE, articles: undefined as string | undefined, json: undefined as string | undefined, store: undefined as string | undefined, baseline: true, sweep: false, generator: undefined as string | undefined };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--json') opts.json = args[++i];
    else if (a === '--store') opts.store = args[++i];
    else if (a === '--articles') opts.articles = args[++i];
    else if (a === '--no-baseline') opts.baseline = false;
    else if (a === '--sweep') opts.sweep = true;
    else if (a === '--generator') opts.generator = args[++i];
    else if (a.startsWith('--')) throw new AppError('bad_request', `eval: unknown option ${a}; must be one of --articles, --json, --store, --no-baseline, --sweep, --generator`);
    else opts.file = a;
  }
  if (opts.store && opts.store !== 'local' && opts.store !== 'postgres') throw new AppError('bad_request', 'eval: --store must be local or postgres');
  if (opts.generator && opts.generator !== 'extractive' && opts.generator !== 'openai') throw new AppError('bad_request', 'eval: --generator must be extractive or openai');
  return opts;
}

const f = (x: number | undefined, digits = 3) => (x === undefined ? '—' : x.toFixed(digits));

export function table(rows: [string, Scores][]): string {
  const head = ['config', 'R@1', 'R@5', 'R@10', 'MRR', 'hit', 'hit/R@5', 'refuse', 'falseRef', 'refFound', 'fidelity', 'spanEM', 'spanF1', 'bpQuotes', 'dupQuotes', 'rightDates', 'p50 ms', 'p95 ms'];
  const n = (x: number | undefined) => (x === undefined ? '—' : String(x));
  const lines = rows.map(([name, s]) => [
    name, f(s.recallAt1), f(s.recallAt5), f(s.recallAt10), f(s.mrr), f(s.answerHit), f(s.hitPerRecall), f(s.refusal), f(s.falseRefusal),
    f(s.refusalOfFound), f(s.quoteFidelity), f(s.spanEM), f(s.spanF1), n(s.boilerplateQuotes), n(s.duplicateQuotes), f(s.rightDates),
    f(s.p50Ms, 1), f(s.p95Ms, 1),
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

/** Runs the evaluation: progress goes to `log`, the table and figures to stdout. */
export async function runEvalCli(config: Config, args: string[], log: Logger) {
  const opts = parseArgs(args);
  const generator = (opts.generator ?? config.generator) as Config['generator'];
  if (generator === 'openai' && (!config.llmBaseUrl || !config.llmModel)) {
    throw new AppError('bad_request', 'eval: --generator openai needs LLM_BASE_URL and LLM_MODEL (in .env or the environment), e.g. http://localhost:11434/v1 and llama3.1:8b');
  }
  const generative = modelAnswerer({ ...config, generator });
  const started = performance.now();
  const set = await loadEvalSet(opts.file, opts.articles);
  let articles = set.articles;
  if (!articles.length) articles = (await loadCorpus(config.seedsDir)).articles; // a JSONL set without a folder asks the seeds
  log.info(`eval: ${set.name}: ${articles.length} articles, ${set.questions.length} questions`);

  const dir = await mkdtemp(join(tmpdir(), 'archivist-eval-'));
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
  try {
    const embedder = await createEmbedder(config);
    const store = await openStore(storeConfig, log);
    const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
    const report = await ingest({ store, embedder, chunking, articles, force: true });
    log.info(`eval: indexed ${report.chunksEmbedded} chunks in ${(report.ms / 1000).toFixed(1)} s (${store.kind} store)`);
    // topK 10 so recall@10 can be measured; answers only read the first passages, as in the server.
    const options = { ...archiveOptions(config), topK: Math.max(10, config.topK) };
    const archive = createArchive({ store, embedder, options });

    const rows: [string, Scores][] = [];
    const perQuestion: QuestionResult[] = [];
    for (const mode of ['hybrid', 'vector', 'keyword'] as RetrievalMode[]) {
      // The model answers the hybrid row, the one the server uses: a model run costs real time.
      const asked = mode === 'hybrid' && generative ? createArchive({ store, embedder, options, generative }) : archive;
      const scores = await evaluateArchive(asked, set, mode, mode === 'hybrid' ? perQuestion : undefined);
      rows.push([mode === 'hybrid' && generative ? 'hybrid + model' : mode, scores]);
      if (scores.generated) {
        const g = scores.generated;
        log.info(`eval: the model (${config.llmModel}) wrote ${g.answers} answers, ${g.fallbacks} fell back to extractive; quotes ${g.quotes}, verified ${g.verified}, removed ${g.removed}`);
      }
      log.info(`eval: ${mode} done in ${scores.totalSec.toFixed(1)} s`);
    }
    let sweep: ReturnType<typeof thresholdSweep> | undefined;
    if (opts.sweep) {
      // Every question answered (threshold 0), then each threshold applied to the evidence.
      const open = createArchive({ store, embedder, options: { ...archiveOptions(config), topK: Math.max(10, config.topK), minEvidenceScore: 0 } });
      const rowsAll: QuestionResult[] = [];
      await evaluateArchive(open, set, 'hybrid', rowsAll);
      sweep = thresholdSweep(rowsAll);
      console.log(`
refusal trade-off (hybrid): MIN_EVIDENCE_SCORE → share refused
`);
      console.log('| threshold | refusal (unanswerable) | false refusal (answerable) | answer hit |');
      console.log('|-----------|------------------------|----------------------------|------------|');
      for (const r of sweep) console.log(`| ${r.threshold.toFixed(2)}      | ${f(r.refusal)}                  | ${f(r.falseRefusal)}                      | ${f(r.answerHit)}      |`);
    }
    if (opts.baseline) {
      const stock = await buildStockRecipe(articles, { model: config.embeddingModel, modelDir: config.modelDir });
      rows.push(['stock LangChain', await evaluateSearch(stock.search, set)]);
    }
    await store.close();

    console.log(`\n${set.name} (${set.questions.length} questions, ${store.kind} store, MIN_EVIDENCE_SCORE=${config.minEvidenceScore})\n`);
    console.log(table(rows));
    for (const [name, s] of rows) {
      const g = s.generated;
      if (g) console.log(`\n${name}: the model (${config.llmModel}) wrote ${g.answers} answers; ${g.fallbacks} fell back to extractive; quotes ${g.quotes}, verified ${g.verified}, removed ${g.removed}`);
    }
    const totalSec = (performance.now() - started) / 1000;
    console.log(`\ntotal ${totalSec.toFixed(1)} s`);
    const [, main] = rows[0];
    const result = {
      file: set.name,
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
    await stopPg?.();
    await rm(dir, { recursive: true, force: true });
  }
}
