/**
 * Feed documents → entries. RSS 2.0, Atom and JSON Feed go through `feedsmith`: chosen over
 * rss-parser (unmaintained since 2023, XML only) and @extractus/feed-extractor (fetches by itself,
 * which would bypass our polite, address-checked fetcher) because it parses a string we fetched,
 * detects the format, reads all three plus RDF, is typed and actively released. Sitemaps
 * (`<urlset>` with the Google News extension, and `<sitemapindex>`) are not feeds, so they go
 * through fast-xml-parser, the XML parser feedsmith itself is built on.
 */
import { XMLParser } from 'fast-xml-parser';
import { parseFeed } from 'feedsmith';
import { AppError } from '../errors.js';

export interface FeedEntry {
  /** The article page. */
  url: string;
  /** What identifies the entry across syncs: its guid/id, or its url. */
  key: string;
  title?: string;
  date?: string;
  /** Text the feed itself carries (description, summary, content), used when the page has none. */
  summary?: string;
}

export interface ParsedDocument {
  entries: FeedEntry[];
  /** Child sitemaps of a sitemap index. */
  sitemaps: string[];
}

type Text = string | { value?: string } | undefined;
const text = (t: Text) => (typeof t === 'string' ? t : t?.value)?.trim() || undefined;
const absolute = (href: string | undefined, base: string) => {
  if (!href) return undefined;
  try {
    const u = new URL(href.trim(), base);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : undefined;
  } catch {
    return undefined;
  }
};

function fromFeed(body: string, base: string): FeedEntry[] {
  let parsed;
  try {
    parsed = parseFeed(body.trim().startsWith('{') ? JSON.parse(body) : body);
  } catch (e) {
    throw new AppError('bad_request', `sources: ${base} is not an RSS, Atom or JSON feed (${(e as Error).message})`);
  }
  const raw: { url?: string; id?: string; title?: Text; date?: string; summary?: Text }[] = [];
  if (parsed.format === 'rss' || parsed.format === 'rdf') {
    for (const i of parsed.feed.items ?? []) {
      const it = i as {
        link?: string;
        guid?: { value?: string };
        title?: string;
        pubDate?: string;
        description?: string;
        content?: { encoded?: string };
        dc?: { date?: string };
      };
      raw.push({ url: it.link, id: it.guid?.value, title: it.title, date: it.pubDate ?? it.dc?.date, summary: it.content?.encoded ?? it.description });
    }
  } else if (parsed.format === 'atom') {
    for (const e of parsed.feed.entries ?? []) {
      const link = e.links?.find((l) => !l.rel || l.rel === 'alternate') ?? e.links?.[0];
      raw.push({ url: link?.href, id: e.id, title: e.title, date: e.published ?? e.updated, summary: e.content ?? e.summary });
    }
  } else {
    for (const i of parsed.feed.items ?? []) {
      raw.push({
        url: i.url ?? i.external_url,
        id: i.id,
        title: i.title,
        date: i.date_published ?? i.date_modified,
        summary: i.content_text ?? i.content_html ?? i.summary,
      });
    }
  }
  return raw.flatMap((r) => {
    const url = absolute(r.url, base);
    return url ? [{ url, key: r.id?.trim() || url, title: text(r.title), date: r.date?.trim() || undefined, summary: text(r.summary) }] : [];
  });
}

const xml = new XMLParser({ ignoreAttributes: true, removeNSPrefix: true, isArray: (name) => name === 'url' || name === 'sitemap' });

function fromSitemap(body: string, base: string): ParsedDocument {
  let doc: { urlset?: { url?: Record<string, unknown>[] }; sitemapindex?: { sitemap?: { loc?: string }[] } };
  try {
    doc = xml.parse(body);
  } catch (e) {
    throw new AppError('bad_request', `sources: ${base} is not a sitemap (${(e as Error).message})`);
  }
  if (!doc.urlset && !doc.sitemapindex) throw new AppError('bad_request', `sources: ${base} is not a sitemap (no <urlset> or <sitemapindex>)`);
  const entries = (doc.urlset?.url ?? []).flatMap((u) => {
    const url = absolute(String(u.loc ?? ''), base);
    const news = (u.news ?? {}) as { title?: string; publication_date?: string };
    return url ? [{ url, key: url, title: news.title ? String(news.title) : undefined, date: news.publication_date ?? (u.lastmod as string | undefined) }] : [];
  });
  const sitemaps = (doc.sitemapindex?.sitemap ?? []).flatMap((s) => absolute(s.loc, base) ?? []);
  return { entries, sitemaps };
}

/**
 * The entries of a feed or sitemap, newest first as the document lists them.
 * @example parseDocument('feed', rssXml, 'https://example.org/rss').entries[0].url
 * @throws AppError('bad_request') when the document is not of that kind.
 */
export function parseDocument(kind: 'feed' | 'sitemap', body: string, base: string): ParsedDocument {
  return kind === 'feed' ? { entries: fromFeed(body, base), sitemaps: [] } : fromSitemap(body, base);
}
