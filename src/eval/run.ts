/**
 * The evaluation harness: index an evaluation set with the same ingest code, ask every
 * question through the same `ask` the chat API uses, and score retrieval, answers, refusals,
 * quote fidelity and latency, for each retrieval configuration and the stock baseline.
 */
import type { Archive, AskResult } from '../archive.js';
import { newQuestion, runStages } from '../answering/question.js';
import { retrieveStage, type RetrievalMode, type Retriever } from '../answering/retrieve.js';
import { rewrite } from '../answering/rewrite.js';
import { understand } from '../answering/time.js';
import type { EvalQuestion, EvalSet } from './dataset.js';
import { containsAnswer, exactMatch, f1, firstHit, mean, percentile } from './metrics.js';
import { duplicateQuotes, goldBoilerplateSpans, overlapsAny, rightDate } from './newsMetrics.js';

/** The rank (1-based) of the first passage holding the gold answer; 0 for none, or for a question without one. */
const passageRank = (q: EvalQuestion, texts: string[]) => (q.impossible ? 0 : firstHit(texts, q.answers));

export interface Scores {
  questions: number;
  answerable: number;
  unanswerable: number;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  /** Only when 20 passages were retrieved (`--retrieval-only`). */
  recallAt20?: number;
  mrr: number;
  answerHit?: number;
  refusal?: number;
  falseRefusal?: number;
  quoteFidelity?: number;
  spanEM?: number;
  spanF1?: number;
  /** answerHit ÷ recall@5: how much of what retrieval found reaches the user. */
  hitPerRecall?: number;
  /** Answerable questions with the gold in the whole text of an article of the first five passages. */
  articleRecallAt5?: number;
  /** Answerable questions whose short answer holds the gold (normalised, as a quote hit). */
  shortHit?: number;
  /** Answerable questions whose short answer is exactly a gold answer (SQuAD's normalisation). */
  shortExact?: number;
  /** Where each answerable question was lost, counted once each, in the order of the ask path. */
  failures?: Failures;
  /** Mean milliseconds per stage of `ask` (the timings it reports). */
  stageMs?: Record<string, number>;
  /** Refused among answerable questions whose gold answer is in the first five passages. */
  refusalOfFound?: number;
  /** Quotes overlapping a gold boilerplate line (must be 0); needs gold data. */
  boilerplateQuotes?: number;
  /** Quotes beyond the first of one story in one answer (must be 0). */
  duplicateQuotes?: number;
  /** Time questions (gold `dates`) answered from an article of the right date; undefined without any. */
  rightDates?: number;
  p50Ms: number;
  p95Ms: number;
  totalSec: number;
  /** With a model (--generator openai): answers it wrote, fallbacks, and how its quotes fared. */
  generated?: { answers: number; fallbacks: number; quotes: number; verified: number; removed: number };
}

export interface QuestionResult {
  id: string;
  impossible: boolean;
  rank: number;
  /** 1-based rank (among distinct articles, in passage order) of the first article holding the gold; 0 = none. */
  articleRank?: number;
  found?: boolean;
  shortHit?: boolean;
  hit?: boolean;
  short?: string;
  /** The quotes' text, for reading where a question was lost (the JSON report is never committed: it holds article text). */
  quotes?: string[];
  evidence?: number;
  boilerplateQuotes?: number;
  duplicateQuotes?: number;
  rightDate?: number;
  ms: number;
}

export interface Failures {
  /** No passage of the first five holds the gold. */
  notRetrieved: number;
  /** Found in the first five and answered, but no quote holds it. */
  otherSentence: number;
  /** Found in the first five and refused. */
  refusedThoughFound: number;
  /** Short answers given, and how many hold the gold. */
  shortGiven: number;
  shortRight: number;
}

/** The per-question failure breakdown of answerable questions (see Failures). */
export function failures(rows: Pick<QuestionResult, 'impossible' | 'rank' | 'found' | 'hit' | 'short' | 'shortHit'>[]): Failures {
  const ans = rows.filter((r) => !r.impossible);
  const inTop5 = (r: (typeof ans)[number]) => r.rank > 0 && r.rank <= 5;
  return {
    notRetrieved: ans.filter((r) => !inTop5(r)).length,
    otherSentence: ans.filter((r) => inTop5(r) && r.found && !r.hit).length,
    refusedThoughFound: ans.filter((r) => inTop5(r) && !r.found).length,
    shortGiven: ans.filter((r) => r.short !== undefined).length,
    shortRight: ans.filter((r) => r.shortHit).length,
  };
}

/** Scores one configuration of ours. `keep` collects per-question rows for the JSON report. */
export async function evaluateArchive(archive: Archive, set: EvalSet, mode: RetrievalMode, keep?: QuestionResult[]): Promise<Scores> {
  const t0 = performance.now();
  const rows: (QuestionResult & { fidelity: number[]; spanF1: number; spanEM: number; shortExact: boolean })[] = [];
  const texts = new Map<string, string>();
  const gen = { answers: 0, fallbacks: 0, quotes: 0, verified: 0, removed: 0 };
  const goldLines = new Set(set.gold?.boilerplate ?? []);
  const stageMs = new Map<string, number>();
  for (const q of set.questions) {
    const t = performance.now();
    const r: AskResult = await archive.ask({ question: q.question, history: q.history, asOf: q.asOf, mode });
    const ms = performance.now() - t;
    if (r.generator === 'openai') gen.answers++;
    if (r.warning && r.generator === 'extractive') gen.fallbacks++;
    gen.quotes += r.verification?.quotes ?? 0;
    gen.verified += r.verification?.verified ?? 0;
    gen.removed += r.verification?.removed ?? 0;
    const fidelity: number[] = [];
    let boilerplateQuotes = 0;
    for (const quote of r.quotes) {
      if (!texts.has(quote.articleId)) texts.set(quote.articleId, (await archive.get(quote.articleId))?.text ?? '');
      const text = texts.get(quote.articleId)!;
      fidelity.push(text.slice(quote.start, quote.end) === quote.text && text.includes(quote.text) ? 1 : 0);
      if (goldLines.size && overlapsAny(quote, goldBoilerplateSpans(text, goldLines))) boilerplateQuotes++;
    }
    let articleRank = 0;
    if (!q.impossible) {
      const ids = [...new Set(r.passages.map((p) => p.articleId))];
      for (const [i, id] of ids.entries()) {
        if (!texts.has(id)) texts.set(id, (await archive.get(id))?.text ?? '');
        if (containsAnswer(texts.get(id)!, q.answers)) {
          articleRank = i + 1;
          break;
        }
      }
    }
    const stages = Object.entries(r.timings.stages ?? {}).map(([k, v]) => [`stage ${k}`, v] as const);
    for (const [k, v] of [...Object.entries(r.timings), ...stages]) if (typeof v === 'number') stageMs.set(k, (stageMs.get(k) ?? 0) + v);
    const prediction = r.found ? (r.short?.text ?? r.quotes[0]?.text ?? '') : '';
    rows.push({
      id: q.id,
      impossible: q.impossible,
      rank: passageRank(
        q,
        r.passages.map((p) => p.text),
      ),
      articleRank,
      found: r.found,
      shortHit: !q.impossible && !!r.short && containsAnswer(r.short.text, q.answers),
      hit: !q.impossible && containsAnswer(r.quotes.map((x) => x.text).join(' \n '), q.answers),
      short: r.short?.text,
      quotes: r.quotes.map((x) => x.text),
      evidence: Number(r.evidence.toFixed(4)),
      boilerplateQuotes,
      duplicateQuotes: duplicateQuotes(r.quotes, set.gold),
      rightDate: rightDate(r.found, r.quotes, q.dates),
      ms,
      fidelity,
      spanEM: q.impossible ? 0 : exactMatch(prediction, q.answers),
      shortExact: !q.impossible && !!r.short && exactMatch(r.short.text, q.answers) === 1,
      spanF1: q.impossible ? 0 : f1(prediction, q.answers),
    });
  }
  keep?.push(...rows.map(({ fidelity: _f, spanEM: _e, spanF1: _s, shortExact: _x, ...row }) => row));
  const ans = rows.filter((r) => !r.impossible);
  const imp = rows.filter((r) => r.impossible);
  const quotes = rows.flatMap((r) => r.fidelity);
  const retrieval = retrievalScores(
    set.questions,
    rows.map((r) => r.rank),
    rows.map((r) => r.ms),
  );
  const answerHit = mean(ans.map((r) => (r.hit ? 1 : 0)));
  const foundInTop5 = ans.filter((r) => r.rank > 0 && r.rank <= 5);
  const timed = rows.filter((r) => r.rightDate !== undefined);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  return {
    ...retrieval,
    answerHit,
    hitPerRecall: retrieval.recallAt5 ? answerHit / retrieval.recallAt5 : 0,
    articleRecallAt5: mean(ans.map((r) => (r.articleRank && r.articleRank <= 5 ? 1 : 0))),
    shortHit: mean(ans.map((r) => (r.shortHit ? 1 : 0))),
    shortExact: mean(ans.map((r) => (r.shortExact ? 1 : 0))),
    failures: failures(rows),
    stageMs: Object.fromEntries([...stageMs].map(([k, v]) => [k, Number((v / (rows.length || 1)).toFixed(1))])),
    refusalOfFound: mean(foundInTop5.map((r) => (r.found ? 0 : 1))),
    boilerplateQuotes: sum(rows.map((r) => r.boilerplateQuotes ?? 0)),
    duplicateQuotes: sum(rows.map((r) => r.duplicateQuotes ?? 0)),
    ...(timed.length ? { rightDates: mean(timed.map((r) => r.rightDate!)) } : {}),
    refusal: mean(imp.map((r) => (r.found ? 0 : 1))),
    falseRefusal: mean(ans.map((r) => (r.found ? 0 : 1))),
    quoteFidelity: quotes.length ? mean(quotes) : 1,
    spanEM: mean(ans.map((r) => r.spanEM)),
    spanF1: mean(ans.map((r) => r.spanF1)),
    totalSec: (performance.now() - t0) / 1000,
    ...(archive.generatorStatus().kind === 'openai' ? { generated: gen } : {}),
  };
}

/**
 * Scores retrieval alone: each question through the ask path's own first stages (understand
 * time → rewrite → retrieve), no answer built, so a change to retrieval is measured in seconds.
 * The retriever's topK decides the deepest recall measured (20 for recall@20).
 */
export async function evaluateRetrieval(retriever: Retriever, set: EvalSet, mode: RetrievalMode, keep?: QuestionResult[]): Promise<Scores> {
  const t0 = performance.now();
  const stages = [understand, rewrite, retrieveStage(retriever)];
  const rows: QuestionResult[] = [];
  for (const q of set.questions) {
    const t = performance.now();
    const out = await runStages(newQuestion({ question: q.question, history: q.history, asOf: q.asOf, mode }), stages);
    const ms = performance.now() - t;
    const passages = out.retrieval?.passages ?? [];
    let articleRank = 0;
    if (!q.impossible) {
      const articles = [...new Map(passages.map((p) => [p.article.id, p.article])).values()];
      articleRank = articles.findIndex((a) => containsAnswer(a.text, q.answers)) + 1;
    }
    rows.push({
      id: q.id,
      impossible: q.impossible,
      rank: passageRank(
        q,
        passages.map((p) => p.text),
      ),
      articleRank,
      ms,
    });
  }
  keep?.push(...rows);
  const ans = rows.filter((r) => !r.impossible);
  const retrieval = retrievalScores(
    set.questions,
    rows.map((r) => r.rank),
    rows.map((r) => r.ms),
  );
  const r20 = ans.map((r) => (r.rank > 0 && r.rank <= 20 ? 1 : 0));
  return {
    ...retrieval,
    recallAt20: mean(r20),
    articleRecallAt5: mean(ans.map((r) => (r.articleRank && r.articleRank <= 5 ? 1 : 0))),
    totalSec: (performance.now() - t0) / 1000,
  };
}

/** Recall@k and MRR over answerable questions, from the 1-based rank of the first hit (0 = none). */
export function retrievalScores(questions: EvalQuestion[], ranks: number[], ms: number[]) {
  const r = ranks.filter((_, i) => !questions[i].impossible);
  const at = (k: number) => mean(r.map((x) => (x > 0 && x <= k ? 1 : 0)));
  return {
    questions: questions.length,
    answerable: r.length,
    unanswerable: questions.length - r.length,
    recallAt1: at(1),
    recallAt5: at(5),
    recallAt10: at(10),
    mrr: mean(r.map((x) => (x > 0 ? 1 / x : 0))),
    p50Ms: percentile(ms, 50),
    p95Ms: percentile(ms, 95),
  };
}

/** Scores the stock recipe's retrieval (it has no answer step). */
export async function evaluateSearch(search: (q: string, k: number) => Promise<{ text: string }[]>, set: EvalSet): Promise<Scores> {
  const t0 = performance.now();
  const ranks: number[] = [];
  const ms: number[] = [];
  for (const q of set.questions) {
    const t = performance.now();
    const docs = await search(q.question, 10);
    ms.push(performance.now() - t);
    ranks.push(
      passageRank(
        q,
        docs.map((d) => d.text),
      ),
    );
  }
  return { ...retrievalScores(set.questions, ranks, ms), totalSec: (performance.now() - t0) / 1000 };
}
