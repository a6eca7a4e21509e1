/**
 * Query latency in process: archive.ask over the SQuAD sample's questions, asked of an index
 * holding the sample's articles plus 2,000 distractor articles, against the stock LangChain
 * recipe's retrieval (HNSWLib + HuggingFaceTransformersEmbeddings, same model and chunk size)
 * on the same questions and articles.
 *
 *   npm run bench:query                       # eval/squad/squad-v2-small.json, 2,000 distractors
 *   npm run bench:query -- path/to/squad.json --distractors 2000 --json out.json
 *   npm run bench:query -- --store postgres   # also the same index on PostgreSQL (PGlite, or DATABASE_URL)
 *
 * Both indexes are built once into os.tmpdir()/archivist-bench-query/<hash> (minutes) and reused.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArchive } from '../src/archive.js';
import { archiveOptions, progress } from '../src/boot.js';
import { createLogger } from '../src/log.js';
import { loadConfig } from '../src/config.js';
import { createEmbedder } from '../src/embed.js';
import { stockDocuments, stockEmbeddings, useBundledModel } from '../src/eval/baseline.js';
import { loadEvalSet, type EvalQuestion } from '../src/eval/dataset.js';
import { containsAnswer, percentile } from '../src/eval/metrics.js';
import { ingest } from '../src/ingest/ingest.js';
import { fillSentences } from '../src/ingest/sentences.js';
import { LocalStore } from '../src/store/local.js';
import type { Store } from '../src/store/types.js';
import { benchArgs } from './args.js';
import { distractorArticles } from './corpus.js';

const say = (line: string) => console.error(line);

function args(argv: string[]) {
  const { values, positionals, number } = benchArgs(argv, {
    distractors: { type: 'string', default: '2000' },
    json: { type: 'string' },
    store: { type: 'string', default: 'local' },
  });
  return {
    evalPath: positionals[0] ?? 'eval/squad/squad-v2-small.json',
    distractors: number('distractors'),
    json: values.json,
    store: values.store,
  };
}

const hit = (texts: string[], answers: string[]) => containsAnswer(texts.join(' \n '), answers);

function summary(values: number[]) {
  const mean = values.reduce((x, y) => x + y, 0) / (values.length || 1);
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99), mean };
}

const ms = (n: number) => n.toFixed(2);

const summaryMs = (v: number[]) => {
  const s = summary(v);
  return { p50Ms: s.p50, p95Ms: s.p95, p99Ms: s.p99 };
};

/** archive.ask over every question, after a warm-up: total and per-stage times, recall@5. */
async function measure(archive: ReturnType<typeof createArchive>, questions: EvalQuestion[]) {
  for (const q of questions.slice(0, 20)) await archive.ask({ question: q.question });
  const total: number[] = [];
  const stages: Record<string, number[]> = { embedMs: [], vectorMs: [], keywordMs: [], evidenceMs: [], otherMs: [] };
  let hits = 0;
  let answerable = 0;
  for (const q of questions) {
    const t = performance.now();
    const r = await archive.ask({ question: q.question });
    total.push(performance.now() - t);
    const { embedMs, vectorMs, keywordMs, evidenceMs, totalMs } = r.timings;
    stages.embedMs.push(embedMs);
    stages.vectorMs.push(vectorMs);
    stages.keywordMs.push(keywordMs);
    stages.evidenceMs.push(evidenceMs);
    stages.otherMs.push(totalMs - embedMs - vectorMs - keywordMs - evidenceMs);
    // The pipeline's own stages (answering/ask.ts), each timed as it ran.
    for (const [name, v] of Object.entries(r.timings.stages)) (stages[`stage ${name}Ms`] ??= []).push(v);
    if (!q.impossible) {
      answerable++;
      if (
        hit(
          r.passages.slice(0, 5).map((p) => p.text),
          q.answers,
        )
      )
        hits++;
    }
  }
  return { total, stages, hits, answerable };
}

async function main() {
  const opts = args(process.argv.slice(2));
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  const set = await loadEvalSet(opts.evalPath);
  const distractors = await distractorArticles(opts.distractors);
  if (distractors.length < opts.distractors) say(`bench: only ${distractors.length} distractor articles found (wanted ${opts.distractors})`);
  const articles = [...set.articles, ...distractors];
  const key = createHash('sha256')
    .update(JSON.stringify([config.embeddingModel, config.chunkSize, config.chunkOverlap, articles.map((a) => a.hash)]))
    .digest('hex')
    .slice(0, 16);
  const cache = join(tmpdir(), 'archivist-bench-query', key);
  await mkdir(cache, { recursive: true });
  say(`bench: ${set.articles.length} eval articles + ${distractors.length} distractors; ${set.questions.length} questions; cache ${cache}`);

  // --- Archivist ---
  const embedder = await createEmbedder(config);
  const store = await LocalStore.open(join(cache, 'archivist'));
  const report = await ingest({
    store,
    embedder,
    chunking: { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap },
    articles,
    onProgress: progress(createLogger('info')),
  });
  // An index cached by an older build has no sentence vectors yet: made here, before timing.
  const filled = await fillSentences({ store, embedder });
  if (filled) say(`bench: sentence vectors made for ${filled} articles of the cached index`);
  say(
    `bench: archivist index ${report.chunksEmbedded ? `built (${report.chunksEmbedded} chunks, ${(report.ms / 1000).toFixed(0)} s)` : 'reused'}; ${JSON.stringify(await store.counts())}`,
  );
  const questions = set.questions;
  const local = await measure(createArchive({ store, embedder, options: archiveOptions(config) }), questions);
  const { total, stages, hits, answerable } = local;
  const a0 = summary(total);
  say(`bench: archivist p50 ${ms(a0.p50)} ms, p95 ${ms(a0.p95)} ms, p99 ${ms(a0.p99)} ms, recall@5 ${(hits / (answerable || 1)).toFixed(3)}`);

  // --- The same index on PostgreSQL (PGlite over the wire without DATABASE_URL), copied over
  // with its vectors so nothing is embedded twice.
  let pg: Awaited<ReturnType<typeof measure>> | undefined;
  if (opts.store === 'postgres') {
    const { startPglite } = await import('../tools/pglite.js');
    const server = config.databaseUrl ? undefined : await startPglite();
    const { PostgresStore } = await import('../src/store/postgres.js');
    const pgStore: Store = await PostgresStore.open(config.databaseUrl ?? server!.url);
    await pgStore.reset((await store.settings())!);
    const records = [...store.records()];
    for (let i = 0; i < records.length; i += 200) await pgStore.apply({ put: records.slice(i, i + 200), remove: [] });
    say(`bench: copied ${JSON.stringify(await pgStore.counts())} to PostgreSQL`);
    pg = await measure(createArchive({ store: pgStore, embedder, options: archiveOptions(config) }), questions);
    await pgStore.close();
    await server?.stop();
  }
  await store.close();

  // --- Baseline: the stock LangChain recipe's retrieval ---
  const { HNSWLib } = await import('@langchain/community/vectorstores/hnswlib');
  await useBundledModel(config.modelDir);
  const embeddings = stockEmbeddings({ model: config.embeddingModel, batchSize: 32 });
  const baseDir = join(cache, 'langchain-hnswlib');
  let vectorStore;
  if (existsSync(join(baseDir, 'hnswlib.index'))) {
    vectorStore = await HNSWLib.load(baseDir, embeddings);
    say('bench: baseline index reused');
  } else {
    const docs = await stockDocuments(articles);
    say(`bench: building the baseline index over ${docs.length} chunks (slow: this is what the cache is for)`);
    const t = performance.now();
    // Fed one batch at a time: embedDocuments starts every batch of a call at once (Promise.all);
    // one fromDocuments over ~12,000 chunks, or slices of 512, took over 22 GB at batchSize 32
    // here and was killed for lack of memory.
    const SLICE = 32;
    vectorStore = await HNSWLib.fromDocuments(docs.slice(0, SLICE), embeddings);
    for (let i = SLICE; i < docs.length; i += SLICE) {
      await vectorStore.addDocuments(docs.slice(i, i + SLICE));
      if ((i / SLICE) % 40 === 0) say(`bench: baseline ${Math.min(i + SLICE, docs.length)}/${docs.length} chunks`);
    }
    await vectorStore.save(baseDir);
    say(`bench: baseline index built in ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
  for (const q of questions.slice(0, 20)) await vectorStore.similaritySearch(q.question, 5);
  const baseTotal: number[] = [];
  let baseHits = 0;
  for (const q of questions) {
    const t = performance.now();
    const docs = await vectorStore.similaritySearch(q.question, 5);
    baseTotal.push(performance.now() - t);
    if (
      !q.impossible &&
      hit(
        docs.map((d) => d.pageContent),
        q.answers,
      )
    )
      baseHits++;
  }

  const a = summary(total);
  const b = summary(baseTotal);
  const recallAt5 = hits / (answerable || 1);
  const baselineRecallAt5 = baseHits / (answerable || 1);
  const lines = [
    `questions: ${questions.length} (${answerable} answerable), articles: ${articles.length} (${distractors.length} distractors)`,
    '',
    '| | median ms | p95 ms | p99 ms | mean ms | recall@5 |',
    '|---|---:|---:|---:|---:|---:|',
    `| Archivist archive.ask (hybrid + evidence) | ${ms(a.p50)} | ${ms(a.p95)} | ${ms(a.p99)} | ${ms(a.mean)} | ${(recallAt5 * 100).toFixed(1)}% |`,
    ...(pg
      ? [
          `| Archivist on PostgreSQL (same index) | ${ms(summary(pg.total).p50)} | ${ms(summary(pg.total).p95)} | ${ms(summary(pg.total).p99)} | ${ms(summary(pg.total).mean)} | ${((pg.hits / (pg.answerable || 1)) * 100).toFixed(1)}% |`,
        ]
      : []),
    `| LangChain HNSWLib.similaritySearch(q, 5) | ${ms(b.p50)} | ${ms(b.p95)} | ${ms(b.p99)} | ${ms(b.mean)} | ${(baselineRecallAt5 * 100).toFixed(1)}% |`,
    '',
    `p95 ratio (Archivist / baseline): ${(a.p95 / b.p95).toFixed(2)}`,
    '',
    'Archivist per stage:',
    '',
    '| stage | median ms | p95 ms | p99 ms | mean ms |',
    '|---|---:|---:|---:|---:|',
    ...Object.entries(stages).map(([name, v]) => {
      const s = summary(v);
      return `| ${name.replace(/Ms$/, '')} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.p99)} | ${ms(s.mean)} |`;
    }),
  ];
  console.log(lines.join('\n'));
  if (opts.json) {
    const out = {
      p50Ms: a.p50,
      p95Ms: a.p95,
      p99Ms: a.p99,
      baselineP50Ms: b.p50,
      baselineP95Ms: b.p95,
      baselineP99Ms: b.p99,
      recallAt5,
      baselineRecallAt5,
      questions: questions.length,
      answerable,
      articles: articles.length,
      stages: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, summary(v)])),
      ...(pg
        ? {
            postgres: {
              ...summaryMs(pg.total),
              recallAt5: pg.hits / (pg.answerable || 1),
              stages: Object.fromEntries(Object.entries(pg.stages).map(([k, v]) => [k, summary(v)])),
            },
          }
        : {}),
    };
    await writeFile(opts.json, JSON.stringify(out, null, 2) + '\n');
    say(`bench: wrote ${opts.json}`);
  }
}

main().catch((e) => {
  say(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
