// @ts-check
// The page of one kept answer (/a/<id>): the question, the answer and each quote highlighted in a
// little of its article, with title, date and link. Read-only: it reads GET /api/answers/<id> and
// the quoted articles; a quote whose article changed or went since is shown as such, not in context.

import { api } from './api.js';
import { cutContext } from './context.js';
import { createArticleTexts } from './articles.js';
import { answerActions } from './keep.js';
import { dateNode, el, externalLink, quoteInContext } from './render.js';

/**
 * @typedef {{ n: number, articleId: string, title: string, url?: string, date?: string, start: number, end: number,
 *   text: string, state: 'current' | 'changed' | 'gone', note?: string }} KeptQuote
 * @typedef {{ id: string, at: string, question: string, answer: string, found: boolean, short: { text: string } | null,
 *   quotes: KeptQuote[], by: { generator: string, model?: string }, feedback: { rating: string } | null }} KeptAnswer
 */

/** @param {KeptAnswer} a @param {(id: string) => Promise<string | null>} articleText */
export async function renderKept(a, articleText) {
  const quotes = await Promise.all(
    a.quotes.map(async (q) => {
      const text = q.state === 'current' ? await articleText(q.articleId) : null;
      const ctx = text && text.slice(q.start, q.end) === q.text ? cutContext(text, q.start, q.end) : { before: '', after: '' };
      return el(
        'li',
        { class: `quote quote-${q.state}`, id: `q${q.n}`, 'data-state': q.state },
        el('span', { class: 'quote-n', 'aria-hidden': 'true' }, String(q.n)),
        el(
          'div',
          { class: 'quote-body' },
          quoteInContext(q.url, q.text, ctx),
          q.note ? el('p', { class: 'quote-note', role: 'note' }, q.note) : null,
          el('p', { class: 'quote-cite' }, externalLink(q.url, q.title, 'quote-title'), q.date ? ' · ' : '', dateNode(q.date)),
        ),
      );
    }),
  );
  const by = a.by.generator === 'openai' ? `Written by ${a.by.model ?? 'a language model'} from the articles` : 'Built from the articles’ own sentences';
  return [
    el('div', { class: 'question' }, el('span', { class: 'visually-hidden' }, 'Question: '), el('p', { class: 'question-text' }, a.question)),
    a.found ? null : el('p', { class: 'badge' }, 'Not found in the articles'),
    a.short?.text ? el('p', { class: 'short-answer' }, a.short.text) : null,
    el('p', { class: 'answer-text' }, a.answer),
    quotes.length ? el('ol', { class: 'quotes', 'aria-label': 'Quotes' }, quotes) : null,
    el('p', { class: 'meta' }, `${by}; quotes are verbatim. Answered `, el('time', { datetime: a.at }, a.at.slice(0, 10)), '.'),
    answerActions(a.id, a.feedback?.rating),
  ];
}

async function start() {
  const status = /** @type {HTMLElement} */ (document.getElementById('answer-status'));
  const box = /** @type {HTMLElement} */ (document.getElementById('kept-answer'));
  const id = decodeURIComponent(location.pathname.replace(/^\/a\//, ''));
  try {
    const res = await api(`/api/answers/${encodeURIComponent(id)}`, { headers: { accept: 'application/json' } });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.error?.message ?? `The server answered ${res.status}`);
    box.replaceChildren(...(await renderKept(body, createArticleTexts())).filter((n) => n !== null));
    document.title = `${body.question} · Archivist`;
    box.hidden = false;
    status.hidden = true;
  } catch (err) {
    status.textContent = `Could not show this answer: ${err instanceof Error ? err.message : err}`;
  }
}

start();
