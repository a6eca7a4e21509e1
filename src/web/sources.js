// @ts-check
// The sources panel (GET /api/sources): each feed, sitemap or page source with its last sync,
// the articles it added then and any error. Hidden when the server does not sync sources.

import { api, onToken } from './api.js';
import { el, externalLink, plural } from './render.js';

const REFRESH_MS = 60_000;
const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/**
 * @typedef {{ id: string, name: string | null, url: string, kind: string, interval: string,
 *   lastSuccess: string | null, lastAttempt: string | null, lastError: string | null,
 *   added: number, lastAdded: number, running: boolean }} SourceItem
 */

/** "Synced 14 Oct 2024, 10:00" or "Not synced yet". @param {SourceItem} s */
function lastSync(s) {
  if (!s.lastAttempt) return 'Not synced yet';
  const at = new Date(s.lastSuccess ?? s.lastAttempt);
  const time = el('time', { datetime: at.toISOString() }, timeFormat.format(at));
  return el('span', {}, s.lastSuccess ? 'Synced ' : 'Tried ', time);
}

/** @param {SourceItem} s */
function sourceItem(s) {
  return el(
    'li',
    { class: 'feed-source', 'data-id': s.id },
    externalLink(s.url, s.name || s.url, 'feed-source-title'),
    el(
      'span',
      { class: 'feed-source-meta' },
      lastSync(s),
      ' · ',
      s.lastAttempt ? `${s.lastAdded} new` : `every ${s.interval}`,
      s.added ? ` · ${plural(s.added, 'article')} in all` : '',
    ),
    s.lastError ? el('span', { class: 'feed-source-error' }, s.lastError) : null,
  );
}

/**
 * Loads the list into the panel now, again when it is opened, and every minute while it is open.
 * @param {{ panel: HTMLDetailsElement, list: HTMLElement, status: HTMLElement, count: HTMLElement }} nodes
 */
export function createSourcesPanel({ panel, list, status, count }) {
  async function load() {
    try {
      const res = await api('/api/sources', { headers: { accept: 'application/json' } }, { background: true });
      if (!res.ok) throw new Error(`The server answered ${res.status}`);
      /** @type {{ enabled: boolean, sources: SourceItem[] }} */
      const body = await res.json();
      if (!body.enabled) return; // this server does not sync sources: the panel stays hidden
      panel.hidden = false;
      list.replaceChildren(...body.sources.map(sourceItem));
      count.textContent = `(${body.sources.length})`;
      const failing = body.sources.filter((s) => s.lastError).length;
      status.textContent = !body.sources.length
        ? 'No sources yet: list feeds in SOURCES_FILE or add one through POST /api/sources.'
        : failing
          ? `${plural(failing, 'source')} with problems`
          : '';
    } catch (err) {
      status.textContent = `Could not load the sources: ${err instanceof Error ? err.message : err}`;
    }
  }
  onToken(() => load());
  panel.addEventListener('toggle', () => {
    if (panel.open) load();
  });
  setInterval(() => {
    if (panel.open && !document.hidden) load();
  }, REFRESH_MS);
  return load;
}
