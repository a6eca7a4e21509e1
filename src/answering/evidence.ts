/**
 * Evidence: the candidate quotes a set of passages offers for a question, and the cheap signals
 * each carries (stemmed word overlap weighted by rarity, the kind of thing the question asks
 * for). The answerer adds embedding similarity to a shortlist of them and decides.
 */
import type { Article } from '../corpus/article.js';
import type { Passage } from './retrieve.js';
import { nearest, NEAR_CHARS, shortAnswerCandidates, type QuestionType, type ShortAnswerHit } from './shortAnswer.js';
import { isStrong, sentences, strongWords, terms, words, type Span } from '../text.js';
import { inBoilerplate } from '../ingest/boilerplate.js';

export const MIN_QUOTE_WORDS = 5;
/** A neighbour joins the quote when it adds this much of the question's weight. */
const NEIGHBOUR_GAIN = 0.15;
/** Attribution that leans on the sentence before for its speaker: "…, he said, …". */
const LEANS_BACK = /\b(he|she|they)\s+(said|says|added|told|noted|stressed|argued|continued|warned|wrote|insisted)\b/i;

/** A sentence that continues the one before it: "Such problems …", "Usually, the …", "This solves …". */
const LEANS_FORWARD =
  /^\W*(this|these|those|such|thus|hence|usually|typically|instead|that is|in other words|for (example|instance)|in fact|indeed|what all|the answer)\b/i;
/** Longest quote a forward join may make. */
const MAX_JOIN_CHARS = 450;

export interface Candidate extends Span {
  article: Article;
  passageRank: number;
  text: string;
  terms: Set<string>;
  overlap: number;
  cue: number;
  /** The candidates of the asked-for kind in the quote (`shortAnswerCandidates`), read once for the cue and the short answer. */
  answers: (ShortAnswerHit & { gap: number })[];
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
  const weightOf = new Map<string, number>();
  for (const w of words(question)) {
    const [t] = terms(w);
    if (!t) continue;
    const strong = isStrong(w);
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
  return strongWords(question).filter((w) => {
    const [t] = terms(w);
    return t && !have.has(t);
  });
}

/** Page furniture that is never evidence: link lines, "Related article:", "Read more", bare urls. */
const FURNITURE = /\]\(|^\s*<?https?:\/\/\S+>?\s*$|^\s*(related( article| stories)?|read more|see also|original url|sign up|subscribe)\b\s*:?/i;
export const isFurniture = (line: string) => FURNITURE.test(line);
/** A sentence that ends in a question mark (before any closing quote or bracket). */
const ASKS = /\?["”'’)\]]*$/;

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
  return sentences(text, from, span.start)
    .filter((s) => s.end <= span.start)
    .at(-1);
}

/**
 * Candidate quotes from the passages: each sentence, widened to its neighbour when the two
 * together answer clearly more of the question (a name in one sentence, the fact in the next).
 */
export function candidates(focus: string, passages: Passage[], type: QuestionType, query = focus, subjects?: Set<string>): Candidate[] {
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
  // A sentence is read again as its neighbour's partner: what it holds is read once per article.
  const found = new Map<string, (ShortAnswerHit & { gap: number })[]>();
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
      // Marked boilerplate (bylines, sign-ups, credits) is never evidence.
      // A question ("Which NBA players have led the league …?", a subhead or a rhetorical one)
      // asks; it states nothing to quote as an answer.
      if (
        seen.has(key) ||
        text.split(/\s+/).length < MIN_QUOTE_WORDS ||
        isFurniture(text) ||
        ASKS.test(text) ||
        inBoilerplate(p.article.boilerplate, s.start, s.end)
      )
        return;
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
        if (!n || inBoilerplate(p.article.boilerplate, n.start, n.end)) continue;
        // Within a paragraph; across one only when the later sentence leans on the earlier for
        // its speaker (news paragraphs are short: "Military cooperation …, he said, …").
        const [first, second] = n.start < s.start ? [n, s] : [s, n];
        const between = p.article.text.slice(first.end, second.start);
        const leans = LEANS_BACK.test(p.article.text.slice(second.start, second.end));
        const nText = p.article.text.slice(n.start, n.end);
        if ((between.includes('\n') && !(leans && between.split('\n').length <= 3)) || isFurniture(nText)) continue;
        const both = new Set([...own, ...(nTerms ?? terms(nText))]);
        // Judged on the standalone query: joining is how "he" in one sentence gets its name.
        if (score(both, query) - score(own, query) >= NEIGHBOUR_GAIN) {
          span = { start: Math.min(s.start, n.start), end: Math.max(s.end, n.end) };
          t = both;
          best = Math.max(best, score(both));
          break;
        }
      }
      // How clearly a sentence holds the asked-for kind of thing: fully when the candidate stands
      // next to the question's own words, less the further away it is.
      const answersIn = (x: string) => {
        const key = `${p.article.id}\0${x}`;
        let f = found.get(key);
        if (!f) found.set(key, (f = type === 'other' ? [] : shortAnswerCandidates(query, x, type, vocabulary(p.article), subjects)));
        return f;
      };
      const holds = (x: string) => {
        const hit = nearest(answersIn(x), x.length);
        // A name of some kind ("which X") is the loosest candidate (most sentences hold a capitalised phrase): it counts half.
        return hit ? (type === 'name' ? 0.5 : 1) / (1 + (hit.gap ?? 0) / NEAR_CHARS) : 0;
      };
      let cue = holds(text);
      // The answer often sits just after the words the question shares: "… a string over an
      // alphabet. Usually, the alphabet is taken to be the binary alphabet". The next sentence
      // of the paragraph joins when it leans back on this one, or holds the asked-for kind of
      // thing this one lacks.
      const next = spans[i + 1];
      if (span === s && next && !p.article.text.slice(s.end, next.start).includes('\n') && next.end - s.start <= MAX_JOIN_CHARS) {
        const nText = p.article.text.slice(next.start, next.end);
        if (!isFurniture(nText) && !inBoilerplate(p.article.boilerplate, next.start, next.end) && (LEANS_FORWARD.test(nText) || (!cue && holds(nText)))) {
          span = { start: s.start, end: next.end };
          t = new Set([...own, ...termsOf[i + 1]]);
          cue = Math.max(cue, holds(p.article.text.slice(span.start, span.end)));
        }
      }
      const quote = p.article.text.slice(span.start, span.end);
      out.push({
        ...span,
        article: p.article,
        passageRank,
        text: quote,
        terms: t,
        overlap: best,
        cue,
        answers: answersIn(quote),
        querySimilarity: 0,
        similarity: 0,
        score: 0,
      });
    });
  });
  return out;
}

const vocabularies = new WeakMap<Article, Set<string>>();
/** Words an article uses in lower case (computed once per article object). */
export function vocabulary(article: Article): Set<string> {
  let v = vocabularies.get(article);
  if (!v) {
    v = new Set(article.text.match(/(?<![.!?]\s)\b\p{Ll}[\p{L}'’-]*/gu) ?? []);
    vocabularies.set(article, v);
  }
  return v;
}
