/**
 * The "choose" stage: the quotes that answer, the short answer inside the lead one, or a
 * refusal when the evidence is weak. Cheap signals (overlap, cue, passage rank) shortlist the
 * candidates; only the shortlist is compared with the query by the embedding model.
 */
import type { Embedder } from '../embed.js';
import { strongWords, terms } from '../text.js';
import type { AnswerOptions } from './extractive.js';
import { vocabulary, type Candidate } from './evidence.js';
import { sameStory } from './copies.js';
import { needs, type Choice, type Question, type Stage } from './question.js';
import { chooseShortAnswer, supportedAnswers } from './shortAnswer.js';
import { AppError } from '../errors.js';
import { sentenceText } from '../ingest/sentences.js';

// Fixed, not settings: measured on the evaluation sets (docs/quality.md) and never varied per
// deployment. Changing one is a code change that `npm run eval` must confirm.
/** How much each signal counts in a sentence's evidence score. */
const WEIGHTS = { similarity: 0.5, overlap: 0.35, cue: 0.1, rank: 0.05 };
/**
 * Sentences (the lexical best) compared with the query by their vectors and re-ranked. Their
 * vectors are the store's (made at ingest), so a longer list costs little (choose 12.7 → 15.2 ms
 * per question on real news); on real news the sentence holding the answer often shares few of
 * the question's words and was left off a list of 6 (docs/quality.md).
 */
const RERANK = 12;
/** Evidence lost for each name or number of the question that no passage mentions … */
const MISSING_PENALTY = 0.2;
/**
 * … in full when the question names at most this many things, shared out when it names more: a
 * news-quiz question carries a sentence of context ("Graham Norton will co-host Eurovision 2023
 * with which star of Ted Lasso?"), and one of its six names missing from the passages says less
 * than the only name of a short question missing ("… the 1066 treaty of Paris").
 */
const MISSING_NAMES_IN_FULL = 2;

/** Evidence lost per missing name or number of `question`. */
export function missingPenalty(question: string): number {
  const named = new Set(strongWords(question).flatMap((w) => terms(w))).size;
  return MISSING_PENALTY * Math.min(1, MISSING_NAMES_IN_FULL / Math.max(1, named));
}
/**
 * A further quote must score at least this share of the best one's score. On real news the
 * answer is often in the runner-up sentence (the best one is the topical one), so the second
 * quote is let in a little further down (docs/quality.md, "A second quote a little further down").
 */
const FURTHER_QUOTE = 0.75;
/** Share of the question's words a sentence (with its headline) must carry to answer on its short answer alone. */
const PLAIN_COVERAGE = 0.75;
/**
 * A sentence supports the short answers it holds by how far its score rises above this share of
 * the best sentence's: the story's other sentences count, the ones far off the question do not.
 */
const SUPPORT_FROM = 0.7;
/** The short answer by redundancy needs this many times the runner-up's support. */
const CLEAR_WINNER = 1.2;
/** Failing a clear winner, sentences scoring within this share of the best may offer the short answer … */
const SHORT_WINDOW = 0.85;
/** … up to this many of them. */
const SHORT_SENTENCES = 3;

/** Share of the question's distinct terms found in `have` (unweighted: every word of the question must count). */
function coverage(question: string, have: Set<string>): number {
  const want = new Set(terms(question));
  let n = 0;
  for (const t of want) if (have.has(t)) n++;
  return want.size ? n / want.size : 0;
}

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

/** The vectors of candidate sentences: the one place evidence calls the model at query time. */
export type SentenceVectors = (cands: Candidate[], extra: string[]) => Promise<{ sentences: Float32Array[]; extra: Float32Array[] }>;

/** Sentence vectors from the embedding model, with a small cache keyed by article hash and offsets (cut as at ingest). */
export function embeddedSentences(embedder: Embedder): SentenceVectors {
  const cache = lru<Float32Array>(5000);
  const key = (c: Candidate) => `${c.article.hash}:${c.start}:${c.end}`;
  return async (cands, extra) => {
    const missing = cands.filter((c) => !cache.get(key(c)));
    const texts = [...missing.map((c) => sentenceText(c.article.text, c)), ...extra];
    const vectors = texts.length ? await embedder.vectors(texts) : [];
    missing.forEach((c, i) => cache.set(key(c), vectors[i]));
    return { sentences: cands.map((c) => cache.get(key(c))!), extra: vectors.slice(missing.length) };
  };
}

export function createChoose(deps: { vectors: SentenceVectors; options: AnswerOptions }): Stage {
  const { vectors, options } = deps;
  const w = WEIGHTS;

  /** Similarity of each candidate to the query; in a follow-up, also to the user's own words. */
  async function similarities(cands: Candidate[], q: Question, queryVector: Float32Array) {
    // The carried topic would otherwise drown the follow-up ("And the navy?" must find the
    // warships, not the drills in general).
    const followUp = q.focus !== q.query;
    const v = await vectors(cands, followUp ? [q.focus] : []);
    const own = v.extra[0];
    cands.forEach((c, i) => {
      c.querySimilarity = dot(v.sentences[i], queryVector);
      c.similarity = own ? (c.querySimilarity + dot(v.sentences[i], own)) / 2 : c.querySimilarity;
    });
  }

  return {
    name: 'choose',
    async run(q: Question): Promise<Question> {
      const retrieval = needs(q, 'retrieval', 'choose');
      const { type, subjects, candidates: cands, missing } = needs(q, 'reading', 'choose');
      const refuse = (evidence: number, signals?: Choice['signals']): Question => ({ ...q, choice: { found: false, evidence, signals, chosen: [] } });
      if (!cands.length) return refuse(0);

      const prior = (c: Candidate) => w.overlap * c.overlap + w.cue * c.cue + w.rank / (1 + c.passageRank);
      const copies = new Map<Candidate, Candidate>();
      const shortlist = [...cands]
        .sort((a, b) => prior(b) - prior(a))
        .slice(0, RERANK)
        .map((c) => {
          const copy = { ...c };
          copies.set(c, copy);
          return copy;
        });
      await similarities(shortlist, q, retrieval.queryVector);
      for (const c of shortlist) c.score = w.similarity * c.similarity + prior(c);
      const ranked = shortlist.sort((a, b) => b.score - a.score);
      const best = ranked[0];
      const signals = { similarity: best.querySimilarity, overlap: best.overlap, cue: best.cue, missing };
      // Evidence is not the ranking score: lexical overlap picks the sentence but says little
      // about answerability (unanswerable questions are often written with the passage's own
      // words). Similarity, less a penalty per name or number no passage mentions, separates
      // them best on the evaluation data (docs/quality.md).
      const evidence = Math.max(0, best.querySimilarity - missingPenalty(q.query) * missing);
      /**
       * The short answer by redundancy: the candidate of the asked-for kind that the sentences of
       * every shown passage repeat near the question's words, when it clearly outweighs the next
       * (the sentence holding it leads, so the quote says it).
       */
      const redundantPick = async (): Promise<{ lead: Candidate; hit: { text: string; start: number } } | undefined> => {
        // Sentences off the shortlist were not compared by vectors: taken as no closer than the least close one on it.
        const floor = Math.min(...shortlist.map((c) => c.similarity));
        const pool = cands.map((c) => copies.get(c) ?? c);
        const onList = new Set(shortlist);
        const base = (c: Candidate) => (onList.has(c) ? c.score : w.similarity * floor + prior(c));
        const [first, second] = supportedAnswers(
          q.query,
          pool.map((c) => ({ text: c.text, score: Math.max(0, base(c) - best.score * SUPPORT_FROM), key: c.article.id, offset: c.start, answers: c.answers })),
          type,
          subjects,
        );
        if (!first || !first.support || (second && first.support < CLEAR_WINNER * second.support)) return undefined;
        const listed = first.holders.filter((h) => onList.has(pool[h.index])).sort((a, b) => pool[b.index].score - pool[a.index].score)[0];
        const h = listed ?? first.holders[0];
        let lead = pool[h.index];
        if (!listed) {
          // Its sentence joins the ranked ones, scored as they are.
          lead = { ...lead };
          await similarities([lead], q, retrieval.queryVector);
          lead.score = w.similarity * lead.similarity + prior(lead);
          ranked.push(lead);
          ranked.sort((a, b) => b.score - a.score);
        }
        return { lead, hit: h.hit };
      };
      // The short answer may come from any of the close best sentences; its sentence leads.
      const close = ranked.filter((c) => c.score >= best.score * SHORT_WINDOW).slice(0, SHORT_SENTENCES);
      let pick = await redundantPick();
      if (!pick) {
        const p = chooseShortAnswer(
          q.query,
          close.map((c) => ({ text: c.text, score: c.score, commonWords: vocabulary(c.article), key: `${c.article.id}:${c.start}` })),
          type,
          subjects,
        );
        if (p) pick = { lead: close[p.index], hit: p.hit };
      }
      const lead = pick ? pick.lead : best;
      // Calibrated for archives: a sentence that carries the question's words (its names and
      // numbers all found) and a clear candidate of the asked-for kind answers the question,
      // however the embedding rates its phrasing ("Who is the Russian defense minister?").
      const plain = !!pick && missing === 0 && coverage(q.query, new Set([...lead.terms, ...terms(lead.article.title)])) >= PLAIN_COVERAGE;
      if (evidence < options.minEvidenceScore && !plain) return refuse(evidence, signals);

      const chosen = [lead];
      for (const c of ranked) {
        if (c === lead) continue;
        if (chosen.length >= options.maxQuotes) break;
        if (c.score < best.score * FURTHER_QUOTE) break;
        // One quote per story: a syndicated copy that carries the chosen sentence adds nothing.
        if (chosen.some((x) => redundant(x, c) || sameStory(x.article, c.article, x.text))) continue;
        chosen.push(c);
      }
      const span = pick?.hit;
      const short = span
        ? { text: span.text, articleId: lead.article.id, start: lead.start + span.start, end: lead.start + span.start + span.text.length }
        : undefined;
      if (short && lead.article.text.slice(short.start, short.end) !== short.text) throw new AppError('internal', 'answer: short answer is not verbatim');
      return { ...q, choice: { found: true, evidence, signals, chosen, ...(short ? { short } : {}) } };
    },
  };
}
