// @ts-check
// The actions of a kept answer, on the chat page and on the answer's own page: "Copy as
// Markdown" (GET /api/answers/<id>?format=markdown), "Copy link" (/a/<id>), and thumbs up or
// down with an optional reason (POST /api/answers/<id>/feedback; a later judgment replaces it).

import { api } from './api.js';
import { el } from './render.js';

export const REASON_CHARS = 1000;

/** @param {string} id */
export const permalink = (id) => `${location.origin}/a/${encodeURIComponent(id)}`;

/** @param {string} text */
async function copy(text) {
  await navigator.clipboard.writeText(text);
}

/**
 * @param {string} id the answer's id
 * @param {string | null} [rating] the judgment already given, if any
 * @returns {HTMLElement}
 */
export function answerActions(id, rating) {
  const status = el('span', { class: 'keep-status', role: 'status' });
  /** @param {string} text */
  const say = (text) => {
    status.textContent = text;
  };
  /** @param {string} label @param {string} cls @param {() => Promise<void>} run */
  const button = (label, cls, run) => {
    const b = el('button', { type: 'button', class: `secondary keep-action ${cls}` }, label);
    b.addEventListener('click', () => void run().catch((err) => say(err instanceof Error ? err.message : String(err))));
    return b;
  };

  const reason = /** @type {HTMLTextAreaElement} */ (
    el('textarea', { class: 'keep-reason', rows: '2', maxlength: String(REASON_CHARS), 'aria-label': 'Why? (optional)', placeholder: 'Why? (optional)' })
  );
  const form = el('form', { class: 'keep-form', hidden: true }, reason, el('button', { type: 'submit', class: 'secondary' }, 'Send'));
  /** @type {'up' | 'down' | null} */
  let pending = null;

  /** @param {'up' | 'down'} value @param {string} text */
  async function judge(value, text) {
    const res = await api(`/api/answers/${encodeURIComponent(id)}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(text.trim() ? { rating: value, reason: text.trim() } : { rating: value }),
    });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(body?.error?.message ?? `The server answered ${res.status}`);
    up.setAttribute('aria-pressed', String(value === 'up'));
    down.setAttribute('aria-pressed', String(value === 'down'));
    say(value === 'up' ? 'Thanks: marked as a good answer.' : 'Thanks: marked as a wrong answer.');
  }

  /** @param {'up' | 'down'} value */
  const thumb = (value) => async () => {
    pending = value;
    form.hidden = false;
    await judge(value, '');
    reason.focus();
  };
  const up = button('👍', 'keep-up', thumb('up'));
  const down = button('👎', 'keep-down', thumb('down'));
  up.setAttribute('aria-label', 'Good answer');
  down.setAttribute('aria-label', 'Wrong answer');
  up.setAttribute('aria-pressed', String(rating === 'up'));
  down.setAttribute('aria-pressed', String(rating === 'down'));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!pending) return;
    void judge(pending, reason.value).then(
      () => {
        form.hidden = true;
      },
      (err) => say(err instanceof Error ? err.message : String(err)),
    );
  });

  const markdown = button('Copy as Markdown', 'keep-markdown', async () => {
    const res = await api(`/api/answers/${encodeURIComponent(id)}?format=markdown`, { headers: { accept: 'text/markdown' } });
    if (!res.ok) throw new Error(`The server answered ${res.status}`);
    await copy(await res.text());
    say('Copied as Markdown.');
  });
  const link = button('Copy link', 'keep-link', async () => {
    await copy(permalink(id));
    say('Link copied.');
  });
  return el(
    'div',
    { class: 'keep-actions', 'data-answer-id': id },
    markdown,
    link,
    el('a', { href: `/a/${encodeURIComponent(id)}`, class: 'keep-permalink' }, 'Permalink'),
    up,
    down,
    status,
    form,
  );
}
