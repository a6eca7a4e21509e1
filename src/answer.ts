/**
 * The extractive answerer: no generative model runs here, so an answer is built only from the
 * articles' own sentences. Candidate sentences from the best passages are scored on three
 * signals (embedding similarity, stemmed keyword overlap, and whether they hold the kind of
 * thing the question asks for); the best become quotes, each checked to be a verbatim slice of
 * its article. When the evidence is weak the answer says so and quotes nothing.
 */
import type { Article } from './corpus/article.js';
import type { Embedder } from './embed.js';
import type { Passage, Retrieval } from './retrieve.js';
import { terms } from './store/keyword.js';
import { sentences, type Span } from './text.js';
import { findSpan, questionType, type QuestionType } from './span.js';

export const NOT_FOUND = "I couldn't find that in the articles.";

export interface Quote {
  n: number;
  text: string;
  articleId: string;
  title: string;
  url?: string;
  date?: string;
  start: number;
  end: number;
  score: number;
}

export interface Answer {
  answer: string;
  found: boolean;
  /** The short answer (a name, date, place or number), a verbatim piece of the first quote's article. */
  short?: { text: string; articleId: string; start: number; end: number };
  quotes: Quote[];
  query: string;
  /** How well the best sentence supports the answer (0–1); below MIN_EVIDENCE_SCORE → not found. */
  evidence: number;
  /** The signals behind `evidence`, for tuning and the evaluation report. */
  signals?: { similarity: number; overlap: number; cue: number; missing: number };
}

export interface AnswerOptions {
  minEvidenceScore: number;
  maxQuotes: number;
  /** Passages whose sentences are considered. */
  passages?: number;
  /** Sentences (the lexical best) that are embedded and re-ranked; each costs ~3 ms of model time. */
  rerank?: number;
  weights?: { similarity: number; overlap: number; cue: number; rank: number };
}

export const DEFAULT_WEIGHTS = { similarity: 0.5, overlap: 0.35, cue: 0.1, rank: 0.05 };
const MIN_QUOTE_WORDS = 5;
/** A neighbour joins the quote when it adds this much of the question's weight. */
const NEIGHBOUR_GAIN = 0.2;
/** Evidence lost for each name or number of the question that no passage mentions. */
const MISSING_PENALTY = 0.2;

interface Candidate extends Span {
  article: Article;
  passageRank: number;
  text: string;
  terms: Set<string>;
  overlap: number;
  cue: number;
  similarity: number;
  score: number;
}

/**
 * Share of the question's terms found in `have`, each term weighted by how telling it is:
 * names and numbers (the words a question pins its answer on) count double.
 * @example overlap('When did Belousov visit?', new Set(['belousov', 'visit'])) // 1
 */
export function overlap(question: string, have: Set<string>): number {
  const raw = question.match(/[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu) ?? [];
  const weightOf = new Map<string, number>();
  for (const w of raw) {
    const [t] = terms(w);
    if (!t) continue;
    const strong = /^\p{Lu}/u.test(w) || /\p{N}/u.test(w);
    weightOf.set(t, Math.max(weightOf.get(t) ?? 0, strong ? 2 : 1));
  }
  let total = 0;
  let hit = 0;
  for (const [t, w] of weightOf) {
    total += w;
    if (have.has(t)) hit += w;
  }
  return total ? hit / total : 0;
}

/**
 * Names and numbers of the question that none of the passages mention. A question about
 * "the 1066 treaty of Paris" that the passages only know as "the 1066 treaty of Rouen" is the
 * typical unanswerable question: everything else matches.
 */
export function missingNames(question: string, passages: Pick<Passage, 'text' | 'article'>[]): string[] {
  const have = new Set(passages.flatMap((p) => [...terms(p.text), ...terms(p.article.title)]));
  const words = question.match(/[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu) ?? [];
  return words.filter((w, i) => {
    const strong = (i > 0 && /^\p{Lu}/u.test(w)) || /\p{N}/u.test(w);
    const [t] = terms(w);
    return strong && t && !have.has(t);
  });
}

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** The sentences a passage holds, widened to whole sentences at its edges. */
function passageSentences(p: Passage): Span[] {
  const text = p.article.text;
  const from = Math.max(0, text.lastIndexOf('\n', p.start));
  const to = text.indexOf('\n', p.end);
  return sentences(text, from, to < 0 ? text.length : to).filter((s) => s.end > p.start && s.start < p.end);
}

/**
 * Candidate quotes from the passages: each sentence, widened to its neighbour when the two
 * together answer clearly more of the question (a name in one sentence, the fact in the next).
 */
export function candidates(query: string, passages: Passage[], type: QuestionType): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  passages.forEach((p, passageRank) => {
    const spans = passageSentences(p);
    const titleTerms = terms(p.article.title);
    const termsOf = spans.map((s) => terms(p.article.text.slice(s.start, s.end)));
    // The headline speaks for every sentence of its article, so it counts for half: otherwise
    // each sentence would match the words of the title equally and the choice would be lost.
    const score = (own: Set<string>) => {
      const alone = overlap(query, own);
      return alone + 0.5 * (overlap(query, new Set([...own, ...titleTerms])) - alone);
    };
    spans.forEach((s, i) => {
      const key = `${p.article.id}:${s.start}`;
      const text = p.article.text.slice(s.start, s.end);
      // Captions, datelines and link lines ("Related article: [...](#)") are not statements.
      if (seen.has(key) || text.split(/\s+/).length < MIN_QUOTE_WORDS || text.includes('](')) return;
      seen.add(key);
      const own = new Set(termsOf[i]);
      let span: Span = s;
      let t = own;
      let best = score(own);
      for (const j of [i - 1, i + 1]) {
        if (j < 0 || j >= spans.length) continue;
        // Only within a paragraph: a line break between sentences means another thought.
        const between = p.article.text.slice(Math.min(s.end, spans[j].end), Math.max(s.start, spans[j].start));
        if (between.includes('\n') || p.article.text.slice(spans[j].start, spans[j].end).includes('](')) continue;
        const both = new Set([...own, ...termsOf[j]]);
        const gain = score(both) - best;
        if (gain >= NEIGHBOUR_GAIN) {
          span = { start: Math.min(s.start, spans[j].start), end: Math.max(s.end, spans[j].end) };
          t = both;
          best += gain;
          break;
        }
      }
      const quote = p.article.text.slice(span.start, span.end);
      const cue = type !== 'other' && findSpan(query, text, type, vocabulary(p.article)) ? 1 : 0;
      out.push({ ...span, article: p.article, passageRank, text: quote, terms: new Set([...t, ...titleTerms]), overlap: best, cue, similarity: 0, score: 0 });
    });
  });
  return out;
}

const vocabularies = new WeakMap<Article, Set<string>>();
/** Words an article uses in lower case (computed once per article object). */
function vocabulary(article: Article): Set<string> {
  let v = vocabularies.get(article);
  if (!v) {
    v = new Set(article.text.match(/(?<![.!?]\s)\b\p{Ll}[\p{L}'’-]*/gu) ?? []);
    vocabularies.set(article, v);
  }
  return v;
}

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
  const w = options.weights ?? DEFAULT_WEIGHTS;
  const maxPassages = options.passages ?? 4;
  const rerank = options.rerank ?? 6;
  const cache = lru<Float32Array>(5000);

  async function similarities(cands: Candidate[], queryVector: Float32Array) {
    const key = (c: Candidate) => `${c.article.hash}:${c.start}:${c.end}`;
    const missing = cands.filter((c) => !cache.get(key(c)));
    const vectors = missing.length ? await embedder.vectors(missing.map((c) => c.text)) : [];
    missing.forEach((c, i) => cache.set(key(c), vectors[i]));
    for (const c of cands) c.similarity = dot(cache.get(key(c))!, queryVector);
  }

  return {
    /**
     * @param question what the user asked (its words decide the question type)
     * @param query the standalone query that was searched (after follow-up rewriting)
     */
    async answer(question: string, query: string, retrieval: Retrieval): Promise<Answer & { timings: { evidenceMs: number } }> {
      const t0 = performance.now();
      const type = questionType(question);
      // Overlap is measured against the rewritten query, so a follow-up's carried subject counts.
      const passages = retrieval.passages.slice(0, maxPassages);
      const cands = candidates(query, passages, type);
      const missing = missingNames(query, passages).length;
      const refuse = (evidence: number, signals?: Answer['signals']) => ({
        answer: NOT_FOUND, found: false, quotes: [], query, evidence, signals, timings: { evidenceMs: performance.now() - t0 },
      });
      if (!cands.length) return refuse(0);

      // Cheap signals pick the few sentences worth a model call.
      const prior = (c: Candidate) => w.overlap * c.overlap + w.cue * c.cue + w.rank / (1 + c.passageRank);
      const shortlist = [...cands].sort((a, b) => prior(b) - prior(a)).slice(0, rerank);
      await similarities(shortlist, retrieval.queryVector);
      for (const c of shortlist) c.score = w.similarity * c.similarity + prior(c);
      const ranked = shortlist.sort((a, b) => b.score - a.score);
      const best = ranked[0];
      const signals = { similarity: best.similarity, overlap: best.overlap, cue: best.cue, missing };
      // Evidence is not the ranking score: lexical overlap picks the sentence but says little
      // about answerability (unanswerable questions are often written with the passage's own
      // words). Similarity, less a penalty per name or number no passage mentions, separates
      // them best on the evaluation data (docs/quality.md).
      const evidence = Math.max(0, best.similarity - MISSING_PENALTY * missing);
      if (evidence < options.minEvidenceScore) return refuse(evidence, signals);

      const chosen = [best];
      for (const c of ranked.slice(1)) {
        if (chosen.length >= options.maxQuotes) break;
        if (c.score < best.score * 0.9) break;
        if (chosen.some((q) => redundant(q, c))) continue;
        chosen.push(c);
      }
      const quotes: Quote[] = chosen.map((c, i) => toQuote(c, i + 1));
      const span = type === 'other' ? undefined : findSpan(query, best.text, type, vocabulary(best.article));
      const short = span ? { text: span.text, articleId: best.article.id, start: best.start + span.start, end: best.start + span.start + span.text.length } : undefined;
      if (short && best.article.text.slice(short.start, short.end) !== short.text) throw new Error('answer: short answer is not verbatim');
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
  if (text !== c.text || !text) throw new Error(`answer: quote ${n} is not a verbatim slice of article ${c.article.id}`);
  return {
    n,
    text,
    articleId: c.article.id,
    title: c.article.title,
    ...(c.article.url ? { url: c.article.url } : {}),
    ...(c.article.date ? { date: c.article.date } : {}),
    start: c.start,
    end: c.end,
    score: Number(c.score.toFixed(4)),
  };
}
