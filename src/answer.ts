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
  evidence: number;
}

export interface AnswerOptions {
  minEvidenceScore: number;
  maxQuotes: number;
  /** Passages whose sentences are considered. */
  passages?: number;
  weights?: { similarity: number; overlap: number; cue: number; rank: number };
}

const MIN_QUOTE_WORDS = 5;
const DEFAULT_WEIGHTS = { similarity: 0.45, overlap: 0.4, cue: 0.1, rank: 0.05 };

interface Candidate extends Span {
  article: Article;
  passageRank: number;
  text: string;
  terms: Set<string>;
  similarity: number;
  overlap: number;
  cue: number;
  score: number;
}

/**
 * Share of the question's terms found in `have`, each term weighted by how telling it is:
 * names and numbers (the words a question pins its answer on) count double.
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

/** Candidate sentences, unique per article position, in passage order. */
function candidates(question: string, passages: Passage[], type: QuestionType): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  passages.forEach((p, passageRank) => {
    for (const s of passageSentences(p)) {
      const key = `${p.article.id}:${s.start}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const text = p.article.text.slice(s.start, s.end);
      // Captions and datelines ("Russian Defense Ministry") are not statements worth quoting.
      if (text.split(/\s+/).length < MIN_QUOTE_WORDS) continue;
      const t = new Set([...terms(text), ...terms(p.article.title)]);
      const cue = type === 'other' ? 0 : findSpan(question, text, type) ? 1 : 0;
      out.push({ ...s, article: p.article, passageRank, text, terms: t, similarity: 0, overlap: overlap(question, t), cue, score: 0 });
    }
  });
  return out;
}

/** True when two sentences say much the same (a second quote must add something). */
function redundant(a: Candidate, b: Candidate): boolean {
  let inter = 0;
  for (const t of a.terms) if (b.terms.has(t)) inter++;
  return inter / Math.min(a.terms.size, b.terms.size || 1) > 0.6;
}

export function createAnswerer(deps: { embedder: Embedder; options: AnswerOptions }) {
  const { embedder, options } = deps;
  const w = options.weights ?? DEFAULT_WEIGHTS;
  const maxPassages = options.passages ?? 4;

  return {
    /**
     * @param question what the user asked (its words drive overlap and the question type)
     * @param query the standalone query that was searched (after follow-up rewriting)
     */
    async answer(question: string, query: string, retrieval: Retrieval): Promise<Answer & { timings: { evidenceMs: number } }> {
      const t0 = performance.now();
      const type = questionType(question);
      // Overlap is measured against the rewritten query, so a follow-up's carried subject counts.
      const cands = candidates(query, retrieval.passages.slice(0, maxPassages), type);
      const refuse = (evidence: number) => ({
        answer: NOT_FOUND, found: false, quotes: [], query, evidence, timings: { evidenceMs: performance.now() - t0 },
      });
      if (!cands.length) return refuse(0);

      const vectors = await embedder.vectors(cands.map((c) => c.text));
      for (const [i, c] of cands.entries()) {
        c.similarity = dot(vectors[i], retrieval.queryVector);
        c.score = w.similarity * c.similarity + w.overlap * c.overlap + w.cue * c.cue + w.rank / (1 + c.passageRank);
      }
      const ranked = [...cands].sort((a, b) => b.score - a.score);
      const best = ranked[0];
      if (best.score < options.minEvidenceScore) return refuse(best.score);

      const chosen = [best];
      for (const c of ranked.slice(1)) {
        if (chosen.length >= options.maxQuotes) break;
        if (c.score < best.score * 0.9) break;
        if (chosen.some((q) => redundant(q, c))) continue;
        chosen.push(c);
      }
      const quotes: Quote[] = chosen.map((c, i) => toQuote(c, i + 1));
      const span = type === 'other' ? undefined : findSpan(question, best.text, type);
      const short = span ? { text: span.text, articleId: best.article.id, start: best.start + span.start, end: best.start + span.start + span.text.length } : undefined;
      if (short && best.article.text.slice(short.start, short.end) !== short.text) throw new Error('answer: short answer is not verbatim');
      const body = quotes.map((q) => `“${q.text}” [${q.n}]`).join(' ');
      return {
        answer: short ? `${short.text}. ${body}` : body,
        found: true,
        ...(short ? { short } : {}),
        quotes,
        query,
        evidence: best.score,
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
