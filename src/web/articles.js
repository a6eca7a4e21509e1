// @ts-check
// The articles panel (GET /api/articles, a page at a time) and article texts for quote contexts
// (GET /api/articles/:id, fetched once per article).

import { api, onToken } from './api.js';
import { withoutBoilerplate } from './context.js';
import { dateNode, el, externalLink, plural } from './render.js';

const ARTICLES_PAGE = 25;
const JSON_ACCEPT = { headers: { accept: 'application/json' } };

/**
 * @typedef {{ id: string, title?: string, url?: string, date?: string, chunks?: number }} ArticleItem
 * @typedef {{ items: ArticleItem[], total: number }} ArticlePage
 */

/**
 * Fills the panel's list a page at a time; "Show more" loads the next page.
 * @param {{ list: HTMLElement, status: HTMLElement, count: HTMLElement, more: HTMLButtonElement }} nodes
 * @returns {() => Promise<void>} loads the next page
 */
export function createArticlesPanel({ list, status, count, more }) {
  let offset = 0;
  let failed = false;
  async function loadMore() {
    status.textContent = 'Loading…';
    more.hidden = true;
    try {
      const res = await api(`/api/articles?offset=${offset}&limit=${ARTICLES_PAGE}`, JSON_ACCEPT, { background: true });
      if (!res.ok) throw new Error(`The server answered ${res.status}`);
      /** @type {ArticlePage} */
      const page = await res.json();
      for (const a of page.items) {
        list.append(
          el(
            'li',
            { class: 'article' },
            externalLink(a.url, a.title || a.id, 'article-title'),
            el('span', { class: 'article-meta' }, dateNode(a.date), a.date && a.chunks ? ' · ' : '', a.chunks ? plural(a.chunks, 'passage') : ''),
          ),
        );
      }
      offset += page.items.length;
      count.textContent = `(${page.total})`;
      status.textContent = page.total ? `${plural(page.total, 'article')} indexed` : 'No articles are indexed yet.';
      more.hidden = offset >= page.total || !page.items.length;
      failed = false;
    } catch (err) {
      failed = true;
      status.textContent = `Could not load the articles: ${err instanceof Error ? err.message : err}`;
    }
  }
  more.addEventListener('click', loadMore);
  // A load refused for want of a token (the dialog was cancelled) is tried again once one is entered.
  onToken(() => {
    if (failed) loadMore();
  });
  return loadMore;
}

/**
 * A cached fetcher of article texts, furniture lines blanked (see `withoutBoilerplate`): null
 * when the article is gone or the request failed.
 * @returns {(id: string) => Promise<string | null>}
 */
export function createArticleTexts() {
  /** @type {Map<string, Promise<string | null>>} */
  const texts = new Map();
  return (id) => {
    let text = texts.get(id);
    if (!text) {
      text = api(`/api/articles/${encodeURIComponent(id)}`, JSON_ACCEPT)
        .then(async (res) => {
          if (!res.ok) return null;
          const body = await res.json();
          return typeof body?.text === 'string' ? withoutBoilerplate(body.text, body.boilerplate) : null;
        })
        .catch(() => null);
      texts.set(id, text);
    }
    return text;
  };
}
