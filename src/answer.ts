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
const NEIGHBOUR_GAIN = 0.15;
/** Attribution that leans on the sentence before for its speaker: "…, he said, …". */
const LEANS_BACK = /\b(he|she|they)\s+(said|says|added|told|noted|stressed|argued|continued|warned|wrote|insisted)\b/i;
/** Evidence lost for each name or number of the question that no passage mentions. */
const MISSING_PENALTY = 0.2;

interface Candidate extends Span {
  article: Article;
  passageRank: number;
  text: string;
  terms: Set<string>;
  overlap: number;
  cue: number;
  /** To the standalone query: what evidence is judged on, as calibrated. */
  querySimilarity: number;
  /** For ranking: in a follow-up, also to the user's own words. */
  similarity: number;
  score: number;
}

/**
 * Share of the question's terms found in `have`, each term weighted by how telling it is:
 * names and numbers (the words a question pins its answer on) count double.
 * @example overlap('When did Belousov visit?', new Set(['belousov', 'visit'])) // 1
 */
export function overlap(question: string, have: Set<string>, idf?: (term: string) => number): number {
  const raw = question.match(/[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu) ?? [];
  const weightOf = new Map<string, number>();
  for (const w of raw) {
    const [t] = terms(w);
    if (!t) continue;
    const strong = /^\p{Lu}/u.test(w) || /\p{N}/u.test(w);
    weightOf.set(t, Math.max(weightOf.get(t) ?? 0, (strong ? 2 : 1) * (idf?.(t) ?? 1)));
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

/** The sentence just before `span` in its article (across one paragraph break), if any. */
function sentenceBefore(text: string, span: Span): Span | undefined {
  const from = Math.max(0, span.start - 600);
  return sentences(text, from, span.start).filter((s) => s.end <= span.start).at(-1);
}

/**
 * Candidate quotes from the passages: each sentence, widened to its neighbour when the two
 * together answer clearly more of the question (a name in one sentence, the fact in the next).
 */
export function candidates(focus: string, passages: Passage[], type: QuestionType, query = focus): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  const all = passages.map((p) => {
    const spans = passageSentences(p);
    return { spans, termsOf: spans.map((s) => terms(p.article.text.slice(s.start, s.end))) };
  });
  // Inverse document frequency over the candidate sentences: the article's subject ("Belousov"
  // in every sentence) tells sentences apart less than the word only one of them has.
  const df = new Map<string, number>();
  let n = 0;
  for (const { termsOf } of all) {
    for (const t of termsOf) {
      n++;
      for (const term of new Set(t)) df.set(term, (df.get(term) ?? 0) + 1);
    }
  }
  const idf = (t: string) => Math.log(1 + (n + 1) / ((df.get(t) ?? 0) + 1));
  passages.forEach((p, passageRank) => {
    const { spans, termsOf } = all[passageRank];
    const titleTerms = terms(p.article.title);
    // The headline speaks for every sentence of its article, so it counts for half: otherwise
    // each sentence would match the words of the title equally and the choice would be lost.
    const score = (own: Set<string>, words = focus) => {
      const alone = overlap(words, own, idf);
      return alone + 0.5 * (overlap(words, new Set([...own, ...titleTerms]), idf) - alone);
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
      // The sentence before may lie outside the chunk: its speaker is still the speaker here.
      const prev = i > 0 ? spans[i - 1] : sentenceBefore(p.article.text, s);
      const neighbours: [Span | undefined, string[] | undefined][] = [
        [prev, i > 0 ? termsOf[i - 1] : undefined],
        [spans[i + 1], termsOf[i + 1]],
      ];
      for (const [n, nTerms] of neighbours) {
        if (!n) continue;
        // Within a paragraph; across one only when the later sentence leans on the earlier for
        // its speaker (news paragraphs are short: "Military cooperation …, he said, …").
        const [first, second] = n.start < s.start ? [n, s] : [s, n];
        const between = p.article.text.slice(first.end, second.start);
        const leans = LEANS_BACK.test(p.article.text.slice(second.start, second.end));
        const nText = p.article.text.slice(n.start, n.end);
        if ((between.includes('\n') && !(leans && between.split('\n').length <= 3)) || nText.includes('](')) continue;
        const both = new Set([...own, ...(nTerms ?? terms(nText))]);
        // Judged on the standalone query: joining is how "he" in one sentence gets its name.
        if (score(both, query) - score(own, query) >= NEIGHBOUR_GAIN) {
          span = { start: Math.min(s.start, n.start), end: Math.max(s.end, n.end) };
          t = both;
          best = Math.max(best, score(both));
          break;
        }
      }
      const quote = p.article.text.slice(span.start, span.end);
      const cue = type !== 'other' && findSpan(query, text, type, vocabulary(p.article)) ? 1 : 0;
      out.push({ ...span, article: p.article, passageRank, text: quote, terms: new Set([...t, ...titleTerms]), overlap: best, cue, querySimilarity: 0, similarity: 0, score: 0 });
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
  const rerank = options.rerank ?? 8;
  const cache = lru<Float32Array>(5000);

  async function similarities(cands: Candidate[], question: string, query: string, queryVector: Float32Array) {
    const key = (c: Candidate) => `${c.article.hash}:${c.start}:${c.end}`;
    const missing = cands.filter((c) => !cache.get(key(c)));
    // A follow-up is also compared with the user's own words, which the carried topic would
    // otherwise drown ("And the navy?" must find the warships, not the drills in general).
    const followUp = question !== query;
    const texts = [...missing.map((c) => c.text), ...(followUp ? [question] : [])];
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
      const cands = candidates(question, passages, type, query);
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
