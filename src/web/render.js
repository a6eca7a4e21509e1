// @ts-check
// Rendering. Every piece of article or user text goes in through text nodes, never as HTML.
// A turn is re-rendered whole when its phase changes; deltas are appended in place.

import { answerActions } from './keep.js';
import { appendMarked, generatorNote, renderRemoved, verifiedBadge, warningNote } from './verified.js';

/** @typedef {import('./conversation.js').Turn} Turn */
/** @typedef {Node | string | number | null | undefined | false} Child */

/**
 * el('a', { href, class: 'x' }, 'text', child): strings become text nodes, never markup.
 * @param {string} tag
 * @param {Record<string, string | boolean | null | undefined>} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) node.append(typeof c === 'number' ? String(c) : c);
  return node;
}

/**
 * Only http(s) links from article data become hrefs; anything else (javascript:, data:) is dropped.
 * @param {string | undefined} url
 */
export function safeUrl(url) {
  try {
    const u = new URL(url ?? '');
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A link that opens the article elsewhere, or plain text when its URL is not http(s).
 * @param {string | undefined} url @param {string} text @param {string} cls
 */
export function externalLink(url, text, cls) {
  const href = safeUrl(url);
  // <bdi>: an article title is isolated, so a bidi override inside it cannot reorder the page around it.
  const shown = el('bdi', {}, text);
  return href ? el('a', { href, target: '_blank', rel: 'noopener noreferrer', class: cls }, shown) : el('span', { class: cls }, shown);
}

const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });

/** A <time> for an article date (ISO dates shown in the reader's format), or null. @param {string | undefined} date */
export function dateNode(date) {
  if (!date) return null;
  const iso = /^\d{4}-\d{2}-\d{2}/.exec(date)?.[0];
  const shown = iso ? dateFormat.format(new Date(`${iso}T00:00:00Z`)) : date;
  return el('time', iso ? { datetime: iso } : {}, shown);
}

/** "1 article", "3 articles". @param {number} n @param {string} one @param {string} [many] */
export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** @param {Turn} turn @param {number} n */
const quoteId = (turn, n) => `${turn.id}-q${n}`;

/**
 * One question and its reply, as a list item.
 * @param {Turn} turn
 */
export function renderTurn(turn) {
  const busy = turn.status === 'searching' || turn.status === 'answering';
  const notFound = turn.status === 'done' && turn.found === false;
  const reply = el('article', {
    class: `reply${notFound ? ' not-found' : ''}${turn.status === 'error' ? ' failed' : ''}`,
    'aria-busy': busy ? 'true' : 'false',
    'aria-label': 'Archivist’s answer',
  });

  if (busy) {
    reply.append(
      el(
        'p',
        { class: 'status' },
        el('span', { class: 'spinner', 'aria-hidden': 'true' }),
        el(
          'span',
          { class: 'status-text' },
          turn.status === 'searching' ? 'Searching the articles…' : turn.answer ? 'Writing the answer…' : 'Reading the passages…',
        ),
      ),
    );
  }
  // Sources come first while answering; under a "not found" they are only what was looked at.
  if (turn.sources.length && turn.status !== 'error' && !notFound) reply.append(renderSources(turn, notFound));

  if (turn.status === 'done') {
    reply.append(renderAnswer(turn));
    if (turn.quotes.length) reply.append(renderQuotes(turn));
    const removed = renderRemoved(turn);
    if (removed) reply.append(removed);
    if (notFound && turn.sources.length) reply.append(renderSources(turn, notFound));
  } else if (busy) {
    reply.append(el('p', { class: 'answer-text streaming' }, turn.answer));
  } else if (turn.status === 'error') {
    reply.append(
      el('p', { class: 'badge error-badge' }, 'Something went wrong'),
      el('p', { class: 'error-text', role: 'alert' }, turn.error ?? 'Unknown error'),
    );
  } else if (turn.status === 'stopped') {
    if (turn.answer) reply.append(el('p', { class: 'answer-text' }, turn.answer));
    reply.append(el('p', { class: 'muted' }, 'Stopped before the answer was finished.'));
  }
  if (turn.status === 'done') reply.append(renderMeta(turn));
  // A kept answer (the server gave it an id): copy, link and judge it.
  if (turn.status === 'done' && turn.answerId) reply.append(answerActions(turn.answerId));

  return el(
    'li',
    { class: 'turn', 'data-turn': turn.id, 'data-state': turn.status },
    el('div', { class: 'question' }, el('span', { class: 'visually-hidden' }, 'You asked: '), el('p', { class: 'question-text' }, turn.question)),
    reply,
  );
}

/**
 * The articles behind a turn. While it answers, every passage being read; once answered, only the
 * articles its quotes come from (the others were read and not used, so they are counted, not
 * listed as if they had been); under a "not found", what was looked at.
 * @param {Turn} turn @param {boolean} notFound
 */
function renderSources(turn, notFound) {
  /** @type {Map<string, import('./conversation.js').PassageRef & { count: number }>} */
  const byArticle = new Map();
  for (const p of turn.sources) {
    const seen = byArticle.get(p.articleId);
    if (seen) seen.count += 1;
    else byArticle.set(p.articleId, { ...p, count: 1 });
  }
  const read = `${plural(turn.sources.length, 'passage')} from ${plural(byArticle.size, 'article')}`;
  const quoted = new Set(turn.status === 'done' && !notFound ? turn.quotes.map((q) => q.articleId) : []);
  const used = [...byArticle.values()].filter((s) => quoted.has(s.articleId));
  const shown = used.length ? used : [...byArticle.values()];
  const heading = notFound
    ? `Looked at ${plural(turn.sources.length, 'passage')}; none of them answers this`
    : used.length
      ? `Quoted from ${plural(used.length, 'article')} · read ${read}`
      : `Read ${read}`;
  return el(
    'section',
    { class: 'sources', 'aria-label': 'Sources' },
    el('p', { class: 'sources-title' }, heading),
    el(
      'ul',
      { class: 'source-list' },
      shown.map((s) =>
        el(
          'li',
          { class: 'source' },
          externalLink(s.url, s.title, 'source-title'),
          el('span', { class: 'source-meta' }, dateNode(s.date), s.count > 1 ? ` · ${s.count} passages` : ''),
        ),
      ),
    ),
  );
}

/** The answer text, short answer first, with each [n] a link to its quote. @param {Turn} turn */
function renderAnswer(turn) {
  const box = el('div', { class: 'answer' }, generatorNote(turn), warningNote(turn));
  if (turn.found === false) {
    box.append(el('p', { class: 'badge' }, 'Not found in the articles'), el('p', { class: 'answer-text' }, turn.answer));
    box.append(el('p', { class: 'muted' }, 'Nothing in the indexed articles supports an answer. Try other words, or check the articles list.'));
    return box;
  }
  let rest = turn.answer;
  if (turn.short?.text && rest.startsWith(turn.short.text)) {
    box.append(el('p', { class: 'short-answer' }, turn.short.text));
    rest = rest.slice(turn.short.text.length).replace(/^[\s.:;,–—-]+/, '');
  }
  const text = el('p', { class: 'answer-text' });
  const numbers = new Set(turn.quotes.map((q) => q.n));
  /** @param {HTMLElement} into @param {string} part */
  const withRefs = (into, part) => {
    let last = 0;
    for (const m of part.matchAll(/\[(\d+)\]/g)) {
      const n = Number(m[1]);
      if (!numbers.has(n)) continue;
      const at = m.index ?? 0;
      into.append(part.slice(last, at));
      into.append(el('a', { class: 'ref', href: `#${quoteId(turn, n)}`, 'aria-label': `Quote ${n}` }, `[${n}]`));
      last = at + m[0].length;
    }
    into.append(part.slice(last));
  };
  // A model's quotes are marked verified or unverified; other text just gets its [n] links.
  appendMarked(text, rest, turn, withRefs);
  box.append(text);
  return box;
}

/**
 * Syndicated copies of the quoted story: "Also reported by" and a link to each, or null.
 * @param {{ title: string, source: string, url?: string }[] | undefined} also
 */
function renderAlso(also) {
  if (!also?.length) return null;
  const items = also.map((a, i) => [i ? ', ' : '', externalLink(a.url, a.title, 'also-title'), ` (${a.source})`]);
  return el('p', { class: 'quote-also' }, 'Also reported by ', ...items.flat());
}

/**
 * A quote marked in the text around it (bidirectional text isolated), citing its article: the
 * chat page and the page of a kept answer show a quote the same way.
 * @param {string | undefined} url @param {string} text @param {{ before: string, after: string } | undefined} context
 */
export function quoteInContext(url, text, context) {
  return el(
    'blockquote',
    { class: 'quote-context', cite: safeUrl(url), dir: 'auto' },
    el('bdi', {}, context?.before ?? ''),
    el('mark', {}, el('bdi', {}, text)),
    el('bdi', {}, context?.after ?? ''),
  );
}

/** @param {Turn} turn */
function renderQuotes(turn) {
  return el(
    'ol',
    { class: 'quotes', 'aria-label': 'Quotes' },
    turn.quotes.map((q) =>
      el(
        'li',
        { class: 'quote', id: quoteId(turn, q.n), tabindex: '-1' },
        el('span', { class: 'quote-n', 'aria-hidden': 'true' }, String(q.n)),
        el(
          'div',
          { class: 'quote-body' },
          quoteInContext(q.url, q.text, q.context),
          el('p', { class: 'quote-cite' }, externalLink(q.url, q.title, 'quote-title'), q.date ? ' · ' : '', dateNode(q.date), verifiedBadge(turn)),
          renderAlso(q.alsoReportedBy),
        ),
      ),
    ),
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** @param {string} iso YYYY-MM-DD @returns {[number, string, number]} day, month, year */
const parts = (iso) => [Number(iso.slice(8, 10)), MONTHS[Number(iso.slice(5, 7)) - 1], Number(iso.slice(0, 4))];

/**
 * What the server understood of time in the question, in words, or '' when nothing.
 * @example describeTime({ asOf: '2024-10-16', since: '2024-10-07', until: '2024-10-13', recency: false })
 *   // 'searched articles from 7–13 Oct 2024'
 * @param {Turn['time']} time
 */
export function describeTime(time) {
  if (!time) return '';
  const { since, until } = time;
  let range = '';
  if (since && until) {
    const [d1, m1, y1] = parts(since);
    const [d2, m2, y2] = parts(until);
    if (since === until) range = `searched articles from ${d1} ${m1} ${y1}`;
    else if (y1 === y2 && m1 === m2) range = `searched articles from ${d1}–${d2} ${m2} ${y2}`;
    else if (y1 === y2) range = `searched articles from ${d1} ${m1} – ${d2} ${m2} ${y2}`;
    else range = `searched articles from ${d1} ${m1} ${y1} – ${d2} ${m2} ${y2}`;
  } else if (since) range = `searched articles from ${parts(since).join(' ')} on`;
  else if (until) range = `searched articles up to ${parts(until).join(' ')}`;
  const recency = time.recency ? 'newer articles first' : '';
  return [range, recency].filter(Boolean).join('; ');
}

/** @param {Turn} turn */
function renderMeta(turn) {
  const meta = el('p', { class: 'meta' });
  const time = describeTime(turn.time);
  if (time) meta.append(el('span', { class: 'time-frame' }, time), turn.query ? ' · ' : '');
  if (turn.query) meta.append('Searched for: ', el('q', { class: 'query' }, turn.query));
  if (turn.timings?.totalMs !== undefined) meta.append(el('span', { class: 'timing' }, ` · ${(turn.timings.totalMs / 1000).toFixed(2)} s`));
  return meta;
}
