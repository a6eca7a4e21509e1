/**
 * Checks a model's answer in code. Every string it puts in double quotes is looked up verbatim,
 * after normalising only quote marks, dashes and white space, first in the passages it cites,
 * then in any retrieved passage. A quote found becomes a `Quote` whose text is the article's own
 * `text.slice(start, end)`, as the extractive answers' are. One not found is never a source, and
 * the sentence holding it is taken out of the answer text (listed in `unverified`), so a client
 * that shows only the text never shows a made-up claim as if it were sourced. Citation numbers
 * are rewritten to the quote numbers the reader sees; a number that names no passage, or leads
 * to no verified quote, is removed.
 */
import { AppError } from '../errors.js';
import { citation, type Quote } from './answer.js';
import type { Passage } from './retrieve.js';

export interface Verification {
  /** Quoted strings in the model's answer. */
  quotes: number;
  verified: number;
  /** Quotes not found in the passages: never a source, their sentences left out of the answer. */
  removed: number;
  /** Citation numbers taken out: naming no passage, or a passage no verified quote came from. */
  citationsRemoved: number;
  /** The sentences left out, as the model wrote them: each quoted words not found in the articles. */
  unverified: string[];
}

const QUOTE_MARKS: Record<string, string> = {
  '“': '"',
  '”': '"',
  '„': '"',
  '‟': '"',
  '″': '"',
  '«': '"',
  '»': '"',
  '‘': "'",
  '’': "'",
  '‚': "'",
  '‛': "'",
  '′': "'",
};
const DASHES = /[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D]/;

/** The normalised text and, for each of its characters, the index it came from. */
export function normalise(text: string): { text: string; from: number[] } {
  let out = '';
  const from: number[] = [];
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (/\s/.test(ch)) {
      if (!space && out) {
        out += ' ';
        from.push(i);
      }
      space = true;
      continue;
    }
    space = false;
    out += QUOTE_MARKS[ch] ?? (DASHES.test(ch) ? '-' : ch);
    from.push(i);
  }
  return { text: out, from };
}

/** Where `quote` sits in the passage, as article offsets, or undefined. */
function locate(quote: string, p: Passage): { start: number; end: number } | undefined {
  const needle = normalise(quote).text.trim();
  if (!needle) return undefined;
  const hay = normalise(p.text);
  const at = hay.text.indexOf(needle);
  if (at < 0) return undefined;
  return { start: p.start + hay.from[at], end: p.start + hay.from[at + needle.length - 1] + 1 };
}

// A quoted string, or a citation such as [2] or [1, 3]. Straight quotes inside curly ones stay part of the quote.
const TOKENS = /“([^”]*)”|"([^"]*)"|\[(\d+(?:\s*,\s*\d+)*)\]/g;
// The end of a sentence: its mark, closing quotes or brackets, its citations, then white space;
// or citations followed by a capital (models often leave out the full stop after "[1]").
const SENTENCE_END = /[.!?]+["”’)]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*(?:\s+|$)|\[\d+(?:\s*,\s*\d+)*\]\s+(?=[A-Z])|\n\s*/g;
const CITATIONS = /^(?:\s*\[\d+(?:\s*,\s*\d+)*\])*[.!?]*\s*/;

/** The sentence of `text` that holds the quote at `[start, end)`, with the white space after it. */
function sentenceAround(text: string, start: number, end: number, quote: string): { start: number; end: number } {
  let from = 0;
  for (const m of text.slice(0, start).matchAll(SENTENCE_END)) from = m.index + m[0].length;
  // A quote that ends its sentence ("… invented.” [2]) ends it with its citations.
  if (/[.!?]\s*$/.test(quote)) return { start: from, end: end + CITATIONS.exec(text.slice(end))![0].length };
  const next = new RegExp(SENTENCE_END.source, 'g');
  next.lastIndex = end;
  const m = next.exec(text);
  return { start: from, end: m ? m.index + m[0].length : text.length };
}

/**
 * @param answer the model's answer
 * @param cited the passages in the numbering the model saw ([1] is cited[0])
 * @param retrieved every retrieved passage, searched when the cited ones lack a quote
 * @example verifyAnswer('Dong Jun met him: “deepen strategic collaboration” [1]', sent, all)
 */
export function verifyAnswer(answer: string, cited: Passage[], retrieved: Passage[]): { answer: string; quotes: Quote[]; verification: Verification } {
  const tokens = [...answer.matchAll(TOKENS)].map((m) => ({
    index: m.index,
    end: m.index + m[0].length,
    raw: m[0],
    quote: m[1] ?? m[2],
    numbers: m[3]?.split(',').map(Number),
  }));
  const quotes: Quote[] = [];
  const unverified: string[] = [];
  const quoteOf = new Map<Passage, Quote>();
  let citationsRemoved = 0;
  let quoted = 0;
  // What each token becomes in the answer the reader sees, and the sentences left out of it.
  const replace = new Map<number, string>();
  const drops: { start: number; end: number }[] = [];

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.quote === undefined) continue;
    quoted++;
    // The citations right after a quote are the ones it claims to come from.
    const chain: typeof tokens = [];
    for (let j = i + 1; j < tokens.length && tokens[j].numbers && /^[\s.,;:!?)]*$/.test(answer.slice(tokens[j - 1].end, tokens[j].index)); j++)
      chain.push(tokens[j]);
    const claimed = chain
      .flatMap((c) => c.numbers!)
      .map((n) => cited[n - 1])
      .filter(Boolean);
    // Models often end a quote with the sentence's comma or full stop; try once without it.
    const trimmed = t.quote.replace(/[\s.,;:!?]+$/, '');
    let found: { p: Passage; start: number; end: number; matched: string } | undefined;
    search: for (const matched of trimmed && trimmed !== t.quote ? [t.quote, trimmed] : [t.quote]) {
      for (const p of [...claimed, ...cited, ...retrieved]) {
        const at = locate(matched, p);
        if (at) {
          found = { p, ...at, matched };
          break search;
        }
      }
    }
    for (const c of chain) replace.set(c.index, '');
    if (!found) {
      const sentence = sentenceAround(answer, t.index, t.end, t.quote);
      drops.push(sentence);
      unverified.push(answer.slice(sentence.start, sentence.end).trim());
      citationsRemoved += chain.reduce((s, c) => s + c.numbers!.length, 0);
      continue;
    }
    // The quote's own number replaces its citations; those that named no passage are counted.
    citationsRemoved += chain.flatMap((c) => c.numbers!).filter((n) => !cited[n - 1]).length;
    const text = found.p.article.text.slice(found.start, found.end);
    let q = quotes.find((x) => x.articleId === found.p.article.id && x.start === found.start && x.end === found.end);
    if (!q) {
      q = { n: quotes.length + 1, text, ...citation(found.p.article), start: found.start, end: found.end, score: Number(found.p.score.toFixed(5)) };
      if (found.p.article.text.slice(q.start, q.end) !== q.text || !q.text) throw new AppError('internal', 'verify: a verified quote is not a verbatim slice');
      quotes.push(q);
    }
    if (!quoteOf.has(found.p)) quoteOf.set(found.p, q);
    // The reader sees the article's own words, then the number of the quote they come from.
    const punctuation = t.quote.slice(found.matched.length).trim();
    replace.set(t.index, `“${text}”${punctuation} [${q.n}]`);
  }

  // Citations not attached to a quote: to the quote from the same passage, or article, or gone.
  for (const t of tokens) {
    if (!t.numbers || replace.has(t.index)) continue;
    const refs = new Set<number>();
    for (const n of t.numbers) {
      const p = cited[n - 1];
      const q = p && (quoteOf.get(p) ?? quotes.find((x) => x.articleId === p.article.id));
      if (q) refs.add(q.n);
      else citationsRemoved++;
    }
    replace.set(t.index, [...refs].map((n) => `[${n}]`).join(''));
  }

  const edits = [
    ...drops.map((d) => ({ ...d, by: '', sentence: true })),
    ...tokens.filter((t) => replace.has(t.index)).map((t) => ({ start: t.index, end: t.end, by: replace.get(t.index)!, sentence: false })),
  ].sort((a, b) => a.start - b.start || Number(b.sentence) - Number(a.sentence));
  let out = '';
  let last = 0;
  for (const e of edits) {
    if (e.start < last) continue; // inside a sentence already left out
    const before = answer.slice(last, e.start);
    // A removed citation takes the space before it along (" [7]." → ".").
    out += e.by || e.sentence ? before : before.replace(/[ \t]+$/, '');
    out += e.by;
    last = e.end;
  }
  out += answer.slice(last);
  return {
    answer: out.trim(),
    quotes,
    verification: { quotes: quoted, verified: quoted - unverified.length, removed: unverified.length, citationsRemoved, unverified },
  };
}
