// @ts-check
// Quotes in context: a little of the article around each quote, cut at sentence boundaries.

/** Surrounding text shown on each side of a quote, in characters. */
export const CONTEXT_CHARS = 240;

/** @typedef {{ before: string, after: string }} QuoteContext */

/**
 * The article's text with the lines ingest marked as furniture (photo credits, "Related article"
 * links, sign-ups) blanked out as line breaks: offsets stay those of the article, so quotes still
 * match, and the context around a quote never shows them (a line break is also where the cut stops).
 * @param {string} text
 * @param {unknown} ranges the article's `boilerplate`: [start, end) pairs
 * @returns {string}
 */
export function withoutBoilerplate(text, ranges) {
  if (!Array.isArray(ranges) || !ranges.length) return text;
  let out = '';
  let at = 0;
  for (const r of [...ranges].sort((a, b) => a[0] - b[0])) {
    if (!Array.isArray(r) || typeof r[0] !== 'number' || typeof r[1] !== 'number') continue;
    const from = Math.max(at, Math.min(r[0], text.length));
    const to = Math.max(from, Math.min(r[1], text.length));
    out += text.slice(at, from) + '\n'.repeat(to - from);
    at = to;
  }
  return out + text.slice(at);
}

/**
 * A little text around [start, end): whole sentences within `chars` on each side when there are
 * any, else words with an ellipsis. `base` is where `text` starts in the article.
 * @param {string} text
 * @param {number} start
 * @param {number} end
 * @param {number} [base]
 * @param {number} [chars]
 * @returns {QuoteContext}
 */
export function cutContext(text, start, end, base = 0, chars = CONTEXT_CHARS) {
  const s = start - base;
  const e = end - base;
  const from = Math.max(0, s - chars);
  const to = Math.min(text.length, e + chars);
  let before = text.slice(from, s);
  let after = text.slice(e, to);
  if (from > 0) {
    const boundary = /(?:[.!?][\u201d"\u2019')\]]*\s+|\n+)(?=\S)/.exec(before);
    before = boundary ? before.slice(boundary.index + boundary[0].length) : `…${before.replace(/^\S*\s+/, '')}`;
  }
  if (to < text.length) {
    const ends = [...after.matchAll(/[.!?][\u201d"\u2019')\]]*(?=\s)/g)];
    const last = ends.at(-1);
    after = last ? after.slice(0, (last.index ?? 0) + last[0].length) : `${after.replace(/\s+\S*$/, '')}…`;
  }
  /** @param {string} t */
  const tidy = (t) => t.replace(/[ \t]*\n\s*/g, '\n').replace(/[ \t]+/g, ' ');
  return { before: tidy(before).trimStart(), after: tidy(after).trimEnd() };
}

/**
 * Sets `context` on each quote of a finished turn: from the whole article text when `articleText`
 * returns it and it still holds the quote at its offsets, else from the passage the quote came
 * from (the sources event carried passage texts), e.g. when the article was removed meanwhile.
 * @param {import('./conversation.js').Turn} turn
 * @param {(id: string) => Promise<string | null>} articleText
 */
export async function addContexts(turn, articleText) {
  await Promise.all(
    turn.quotes.map(async (q) => {
      const text = await articleText(q.articleId);
      if (text && text.slice(q.start, q.end) === q.text) {
        q.context = cutContext(text, q.start, q.end);
        return;
      }
      const p = (turn.passages ?? []).find((x) => x.articleId === q.articleId && x.start <= q.start && q.end <= x.end);
      if (p && p.text.slice(q.start - p.start, q.end - p.start) === q.text) q.context = cutContext(p.text, q.start, q.end, p.start);
    }),
  );
}
