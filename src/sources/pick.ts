/**
 * Which entries of a feed or sitemap a sync takes: each key once, none seen by an earlier sync or
 * taken from an earlier document of this one, only those the source's filters want, at most
 * `limit`. It runs in the parse worker beside the parser (parseTask.ts), so a feed of 100,000
 * items is whittled down there and only the few entries a sync fetches cross back to the event
 * loop, which stays free for requests (health and readiness probes too) meanwhile.
 */
import type { FeedEntry, ParsedDocument } from './feeds.js';
import type { SourceDef } from './registry.js';

export interface PickOptions {
  /** Keys seen by earlier syncs of the source. */
  seen: string[];
  /** Keys already taken from earlier documents of this sync (a sitemap index's children). */
  taken: string[];
  /** How many entries may be taken from this document. */
  limit: number;
  /** How many child sitemaps this sync may still read. */
  sitemapLimit: number;
  filters?: SourceDef['filters'];
}

/** Whether the source's include/exclude words let an entry in (title and url, ignoring case). */
export function wanted(filters: SourceDef['filters'], e: Pick<FeedEntry, 'title' | 'url'>): boolean {
  const hay = `${e.title ?? ''} ${e.url}`.toLowerCase();
  const has = (words?: string[]) => words?.some((w) => hay.includes(w.toLowerCase()));
  return (!filters?.include?.length || !!has(filters.include)) && !has(filters?.exclude);
}

/**
 * The entries of `doc` a sync takes, in the document's order. A key listed twice keeps its first
 * place and its last listing (title, date, summary), which is then what the filters look at.
 * @example pickEntries(doc, { seen: ['g1'], taken: [], limit: 100, sitemapLimit: 20 })
 */
export function pickEntries(doc: ParsedDocument, pick: PickOptions): ParsedDocument {
  // Sets and a Map, not objects: a key is the feed's text, and `__proto__` or `toString` in a plain object is already "there".
  const skip = new Set([...pick.seen, ...pick.taken]);
  const byKey = new Map<string, FeedEntry>();
  for (const e of doc.entries) if (!skip.has(e.key)) byKey.set(e.key, e);
  const entries: FeedEntry[] = [];
  for (const e of byKey.values()) {
    if (entries.length >= pick.limit) break;
    if (wanted(pick.filters, e)) entries.push(e);
  }
  return { entries, sitemaps: doc.sitemaps.slice(0, Math.max(0, pick.sitemapLimit)) };
}
