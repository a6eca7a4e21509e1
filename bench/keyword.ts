/**
 * The model-free part of a question at archive scale: keyword search and the read stage, over an
 * archive of N articles with no embedding (the model embeds ~50 chunks a second here, so the
 * vector side of 100,000 articles is bench:scale's job, with synthetic vectors). The real sample's
 * articles (RealTimeQA weeks) plus synthetic articles of real sentences (bench/synthetic.ts: a
 * realistic vocabulary and word frequencies for BM25) make up the archive; each sample question,
 * with its time words taken out as the ask path does, is searched by:
 *
 *   - `searchKeyword` (src/store/keyword.ts), the store's keyword search, and
 *   - MiniSearch's own `search` on the same index (the same BM25+ scores): the baseline in the run,
 *
 * and the read stage (src/answering/read.ts) reads the first six keyword passages. Then every
 * question is searched once more (`keywordAgainMs`): the posting lists searchKeyword makes the
 * first time a word is asked are made by then, as on a server that has answered for a while.
 *
 *   npm run bench:keyword -- --realtimeqa <realtimeqa_public> --articles 100000 --json keyword.json
 *   npm run bench:keyword -- --realtimeqa <dir> --weeks 20230106..20230224 --pool-weeks 20230303..20230609 --articles 10000
 */
import { writeFile } from 'node:fs/promises';
import { benchArgs } from './args.js';
import { sentencePool, syntheticRecord } from './synthetic.js';
import { loadRealtimeQa, parseWeeks } from '../src/eval/realtimeqa.js';
import { normalise, percentile, containsAnswer } from '../src/eval/metrics.js';
import { chunkArticle } from '../src/ingest/chunk.js';
import { addKeywordDocs, createKeywordIndex, searchKeyword } from '../src/store/keyword.js';
import { newQuestion, type Question } from '../src/answering/question.js';
import { understand } from '../src/answering/time.js';
import { read } from '../src/answering/read.js';
import type { Passage } from '../src/answering/retrieve.js';
import type { Article } from '../src/corpus/article.js';
import { terms } from '../src/text.js';

const say = (line: string) => console.error(line);
const CHUNKING = { chunkSize: 800, chunkOverlap: 100 };
/** The keyword list's depth on the ask path (CANDIDATES) and the passages read (TOP_K). */
const DEPTH = 30;
const SHOWN = 6;
const SEED = 7;

function args(argv: string[]) {
  const { values, number } = benchArgs(argv, {
    realtimeqa: { type: 'string' },
    weeks: { type: 'string', default: '20230106..20230224' },
    'pool-weeks': { type: 'string', default: '20230303..20230609' },
    articles: { type: 'string', default: '100000' },
    json: { type: 'string' },
  });
  if (!values.realtimeqa) throw new Error('bench: --realtimeqa <realtimeqa_public checkout or bare git dir> is required');
  return { realtimeqa: values.realtimeqa, weeks: values.weeks, poolWeeks: values['pool-weeks'], articles: number('articles'), json: values.json };
}

const rssMb = () => Math.round(process.memoryUsage().rss / 1048576);
const stats = (xs: number[]) => ({
  p50: round(percentile(xs, 50)),
  p95: round(percentile(xs, 95)),
  mean: round(xs.reduce((a, b) => a + b, 0) / (xs.length || 1)),
});
const round = (x: number) => Number(x.toFixed(2));

async function main() {
  const o = args(process.argv.slice(2));
  const sample = await loadRealtimeQa(o.realtimeqa, parseWeeks(o.weeks));
  const gold = [...new Set(sample.questions.flatMap((q) => q.answers.map(normalise)).filter((g) => g.length > 2))];
  const pool = sentencePool((await loadRealtimeQa(o.realtimeqa, parseWeeks(o.poolWeeks))).articles, (s) => {
    const n = ` ${normalise(s)} `;
    return gold.some((g) => n.includes(` ${g} `));
  });
  say(`bench: ${sample.articles.length} sample articles, ${sample.questions.length} questions, ${pool.length} pool sentences`);

  // One table of chunks: the keyword index's document id is the row.
  const rows: { article: Article; start: number; end: number; id: string }[] = [];
  const index = createKeywordIndex();
  const add = (article: Article, chunks: { id: string; start: number; end: number }[]) => {
    const docs = chunks.map((c) => {
      rows.push({ article, start: c.start, end: c.end, id: c.id });
      return { id: rows.length - 1, text: article.text.slice(c.start, c.end), title: article.title, articleId: article.id };
    });
    addKeywordDocs(index, docs);
  };
  const t0 = performance.now();
  for (const a of sample.articles) add(a, chunkArticle(a, CHUNKING));
  const meanChars = Math.min(8000, sample.articles.reduce((n, a) => n + a.text.length, 0) / sample.articles.length);
  // The synthetic side needs no vectors here: one dummy parent keeps syntheticRecord's draws as in bench:scale.
  const synth = { pool, vectors: [new Float32Array(1)], chunking: CHUNKING, seed: SEED, meanChars, dates: { from: '2022-01-01', to: '2023-02-24' } };
  for (let i = 0; i < o.articles - sample.articles.length; i++) {
    const rec = syntheticRecord(i, synth);
    add(rec.article, rec.chunks);
    if ((i + 1) % 10_000 === 0) say(`bench: ${sample.articles.length + i + 1} articles, ${rows.length} chunks, rss ${rssMb()} MB`);
  }
  const buildSec = (performance.now() - t0) / 1000;
  say(`bench: ${o.articles} articles, ${rows.length} chunks indexed in ${buildSec.toFixed(0)} s, rss ${rssMb()} MB`);

  const ours: number[] = [];
  const stock: number[] = [];
  const reading: number[] = [];
  let same = 0;
  let found = 0;
  for (const eq of sample.questions) {
    const q = understand.run(newQuestion({ question: eq.question, asOf: eq.asOf })) as Question;
    let t = performance.now();
    const hits = searchKeyword(index, q.focus, DEPTH);
    ours.push(performance.now() - t);
    const words = terms(q.focus);
    t = performance.now();
    const theirs = words.length ? index.search(words.join(' ')).slice(0, DEPTH) : [];
    stock.push(performance.now() - t);
    if (theirs.map((r) => r.id).join() === hits.map((h) => h.id).join()) same++;
    const passages: Passage[] = hits.slice(0, SHOWN).map((h) => {
      const r = rows[h.id];
      return { chunkId: r.id, article: r.article, start: r.start, end: r.end, text: r.article.text.slice(r.start, r.end), score: h.score };
    });
    if (
      containsAnswer(
        passages
          .slice(0, 5)
          .map((p) => p.text)
          .join(' \n '),
        eq.answers,
      )
    )
      found++;
    t = performance.now();
    await read.run({ ...q, retrieval: { passages, queryVector: new Float32Array(0), timings: { embedMs: 0, vectorMs: 0, keywordMs: 0 } } });
    reading.push(performance.now() - t);
  }
  // Asked again: a server answers many questions, and the posting lists searchKeyword makes from
  // a word's postings the first time it is asked (src/store/keyword.ts) are then already made.
  const again: number[] = [];
  for (const eq of sample.questions) {
    const q = understand.run(newQuestion({ question: eq.question, asOf: eq.asOf })) as Question;
    const t = performance.now();
    searchKeyword(index, q.focus, DEPTH);
    again.push(performance.now() - t);
  }
  const result = {
    articles: o.articles,
    chunks: rows.length,
    questions: sample.questions.length,
    sample: sample.name,
    pool: `sentences of ${o.poolWeeks}`,
    buildSec: round(buildSec),
    rssMb: rssMb(),
    keywordMs: stats(ours),
    keywordAgainMs: stats(again),
    miniSearchMs: stats(stock),
    keywordP95Ratio: round(percentile(stock, 95) / percentile(ours, 95)),
    sameTop30: same,
    keywordRecallAt5: round(found / (sample.questions.length || 1)),
    readMs: stats(reading),
  };
  say(`bench: ${JSON.stringify(result)}`);
  if (o.json) await writeFile(o.json, JSON.stringify(result, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
