/**
 * The extractive answerer: no generative model runs here, so an answer is built only from the
 * articles' own sentences. Candidate sentences from the best passages are scored on three
 * signals (embedding similarity, stemmed keyword overlap, and whether they hold the kind of
 * thing the question asks for); the best become quotes, each checked to be a verbatim slice of
 * its article. When the evidence is weak the answer says so and quotes nothing.
 */
import { AppError } from '../errors.js';
import { terms } from '../text.js';
import type { Embedder } from '../embed.js';
import { candidates, missingNames, vocabulary, type Candidate } from './evidence.js';
import type { Retrieval } from './retrieve.js';
import { chooseShortAnswer, questionSubjects, questionType } from './shortAnswer.js';
import { citation, NOT_FOUND, type Answer, type Quote } from './answer.js';
import { sameStory } from './copies.js';

export interface AnswerOptions {
  minEvidenceScore: number;
  maxQuotes: number;
}

// Fixed, not settings: measured once on the evaluation set (docs/quality.md) and never varied
// per deployment. Changing one is a code change that `npm run eval` must confirm.
/** How much each signal counts in a sentence's evidence score. */
const WEIGHTS = { similarity: 0.5, overlap: 0.35, cue: 0.1, rank: 0.05 };
/** Passages whose sentences are considered. */
const PASSAGES = 4;
/** Sentences (the lexical best) that are embedded and re-ranked; each costs ~3 ms of model time. */
const RERANK = 6;
/** Evidence lost for each name or number of the question that no passage mentions. */
const MISSING_PENALTY = 0.2;
/** A further quote must score at least this share of the best one's score. */
const FURTHER_QUOTE = 0.8;
/** Share of the question's words a sentence (with its headline) must carry to answer on its short answer alone. */
const PLAIN_COVERAGE = 0.75;

/** Share of the question's distinct terms found in `have` (unweighted: every word of the question must count). */
function coverage(question: string, have: Set<string>): number {
  const want = new Set(terms(question));
  let n = 0;
  for (const t of want) if (have.has(t)) n++;
  return want.size ? n / want.size : 0;
}
/** Sentences scoring within this share of the best may offer the short answer … */
const SHORT_WINDOW = 0.85;
/** … up to this many of them. */
const SHORT_SENTENCES = 3;
/** Characters of a candidate the model reads: the cost of a forward pass grows with length. */
const EMBED_CHARS = 300;

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** True when two sentences say much the same (a second quote must add something). */
function redundant(a: Candidate, b: Candidate): boolean {
  if (a.article.id === b.article.id && a.start < b.end && b.start < a.end) return true;
  let inter = 0;
  for (const t of a.terms) if (b.terms.has(t)) inter++;
  return inter / Math.min(a.terms.size, b.terms.size || 1) > 0.6;
}

/** A small LRU of sentence vectors: follow-up questions keep hitting the same passages. */
function lru<V>(max: number) {
  const m = new Map<string, V>();
  return {
    get(k: string) {
      const v = m.get(k);
      if (v !== undefined) {
        m.delete(k);
        m.set(k, v);
      }
      return v;
    },
    set(k: string, v: V) {
      m.set(k, v);
      if (m.size > max) m.delete(m.keys().next().value!);
    },
  };
}

export function createAnswerer(deps: { embedder: Embedder; options: AnswerOptions }) {
  const { embedder, options } = deps;
  const w = WEIGHTS;
  const maxPassages = PASSAGES;
  const rerank = RERANK;
  const cache = lru<Float32Array>(5000);

  async function similarities(cands: Candidate[], question: string, query: string, queryVector: Float32Array) {
    const key = (c: Candidate) => `${c.article.hash}:${c.start}:${c.end}`;
    const missing = cands.filter((c) => !cache.get(key(c)));
    // A follow-up is also compared with the user's own words, which the carried topic would
    // otherwise drown ("And the navy?" must find the warships, not the drills in general).
    const followUp = question !== query;
    const texts = [...missing.map((c) => c.text.slice(0, EMBED_CHARS)), ...(followUp ? [question] : [])];
    const vectors = texts.length ? await embedder.vectors(texts) : [];
    missing.forEach((c, i) => cache.set(key(c), vectors[i]));
    const own = followUp ? vectors.at(-1)! : undefined;
    for (const c of cands) {
      const v = cache.get(key(c))!;
      c.querySimilarity = dot(v, queryVector);
      c.similarity = own ? (c.querySimilarity + dot(v, own)) / 2 : c.querySimilarity;
    }
  }

  return {
    /**
     * @param question what the user asked (its words decide the question type)
     * @param query the standalone query that was searched (after follow-up rewriting)
     */
    async answer(question: string, query: string, retrieval: Retrieval): Promise<Answer & { timings: { evidenceMs: number } }> {
      const t0 = performance.now();
      const type = questionType(question);
      // Overlap counts the user's own words: in a follow-up, the subject and topic carried over
      // from earlier turns are in every passage retrieval found and tell sentences apart poorly.
      const passages = retrieval.passages.slice(0, maxPassages);
      // Names the question itself describes ("the Russian defense minister" → Belousov).
      const subjects = type === 'person' ? questionSubjects(query, [...new Set(passages.map((p) => p.article))].map((a) => a.text)) : undefined;
      const cands = candidates(question, passages, type, query, subjects);
      const missing = missingNames(query, passages).length;
      const refuse = (evidence: number, signals?: Answer['signals']) => ({
        answer: NOT_FOUND, found: false, quotes: [], query, evidence, signals, timings: { evidenceMs: performance.now() - t0 },
      });
      if (!cands.length) return refuse(0);

      // Cheap signals pick the few sentences worth a model call.
      const prior = (c: Candidate) => w.overlap * c.overlap + w.cue * c.cue + w.rank / (1 + c.passageRank);
      const shortlist = [...cands].sort((a, b) => prior(b) - prior(a)).slice(0, rerank);
      await similarities(shortlist, question, query, retrieval.queryVector);
      for (const c of shortlist) c.score = w.similarity * c.similarity + prior(c);
      const ranked = shortlist.sort((a, b) => b.score - a.score);
      const best = ranked[0];
      const signals = { similarity: best.querySimilarity, overlap: best.overlap, cue: best.cue, missing };
      // Evidence is not the ranking score: lexical overlap picks the sentence but says little
      // about answerability (unanswerable questions are often written with the passage's own
      // words). Similarity, less a penalty per name or number no passage mentions, separates
      // them best on the evaluation data (docs/quality.md).
      const evidence = Math.max(0, best.querySimilarity - MISSING_PENALTY * missing);
      // The short answer may come from any of the close best sentences; its sentence leads.
      const close = ranked.filter((c) => c.score >= best.score * SHORT_WINDOW).slice(0, SHORT_SENTENCES);
      const pick = chooseShortAnswer(query, close.map((c) => ({ text: c.text, score: c.score, commonWords: vocabulary(c.article), key: `${c.article.id}:${c.start}` })), type, subjects);
      const lead = pick ? close[pick.index] : best;
      // Calibrated for archives: a sentence that carries the question's words (its names and
      // numbers all found) and a clear candidate of the asked-for kind answers the question,
      // however the embedding rates its phrasing ("Who is the Russian defense minister?").
      const plain = !!pick && missing === 0 && coverage(query, new Set([...lead.terms, ...terms(lead.article.title)])) >= PLAIN_COVERAGE;
      if (evidence < options.minEvidenceScore && !plain) return refuse(evidence, signals);

      const chosen = [lead];
      for (const c of ranked) {
        if (c === lead) continue;
        if (chosen.length >= options.maxQuotes) break;
        if (c.score < best.score * FURTHER_QUOTE) break;
        // One quote per story: a syndicated copy that carries the chosen sentence adds nothing.
        if (chosen.some((q) => redundant(q, c) || sameStory(q.article, c.article, q.text))) continue;
        chosen.push(c);
      }
      const quotes: Quote[] = chosen.map((c, i) => toQuote(c, i + 1));
      const span = pick?.hit;
      const short = span ? { text: span.text, articleId: lead.article.id, start: lead.start + span.start, end: lead.start + span.start + span.text.length } : undefined;
      if (short && lead.article.text.slice(short.start, short.end) !== short.text) throw new AppError('internal', 'answer: short answer is not verbatim');
      const body = quotes.map((q) => `“${q.text}” [${q.n}]`).join(' ');
      return {
        answer: short ? `${short.text}. ${body}` : body,
        found: true,
        ...(short ? { short } : {}),
        quotes,
        query,
        evidence,
        signals,
        timings: { evidenceMs: performance.now() - t0 },
      };
    },
  };
}

export type Answerer = ReturnType<typeof createAnswerer>;

/** Builds a quote and enforces the rule everything else relies on: it is the article's own text. */
function toQuote(c: Candidate, n: number): Quote {
  const text = c.article.text.slice(c.start, c.end);
  if (text !== c.text || !text) throw new AppError('internal', `answer: quote ${n} is not a verbatim slice of article ${c.article.id}`);
  return { n, text, ...citation(c.article), start: c.start, end: c.end, score: Number(c.score.toFixed(4)) };
}
