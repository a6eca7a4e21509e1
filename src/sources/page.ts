/**
 * A fetched article page → the article to store. The text comes through the same Readability
 * path as a `.html` file in the corpus folder (corpus/html.ts), so a page reads the same either
 * way. Canonical url, title and published date come from the page's meta tags, then its JSON-LD
 * (`NewsArticle`, `Article`, …), then the feed entry.
 *
 * A canonical url is believed only on the page's own host: otherwise any page could claim the
 * url of another site's article and overwrite it in the archive.
 */
import { parseHTML } from 'linkedom';
import type { ArticleInput } from '../corpus/article.js';
import { parseHtml } from '../corpus/html.js';
import type { FeedEntry } from './feeds.js';

interface LdArticle {
  headline?: string;
  name?: string;
  datePublished?: string;
  url?: string;
  mainEntityOfPage?: string | { '@id'?: string };
}

const ARTICLE_TYPES = /Article$|^Report$|^BlogPosting$|^LiveBlogPosting$/;

/** The first article-like object in the page's JSON-LD blocks (top level, arrays or @graph). */
function jsonLd(html: string): LdArticle | undefined {
  const { document } = parseHTML(html);
  for (const script of Array.from(document.querySelectorAll('script[type="application/ld+json"]'))) {
    let data: unknown;
    try {
      data = JSON.parse(script.textContent ?? '');
    } catch {
      continue; // a broken block on a real page is common; the others may still be fine
    }
    const queue = [data];
    while (queue.length) {
      const node = queue.shift();
      if (Array.isArray(node)) queue.push(...node);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        const types = ([] as unknown[]).concat(o['@type'] ?? []).map(String);
        if (types.some((t) => ARTICLE_TYPES.test(t))) return o as LdArticle;
        if (o['@graph']) queue.push(o['@graph']);
      }
    }
  }
  return undefined;
}

const sameHostUrl = (href: string | undefined, page: URL) => {
  if (!href) return undefined;
  try {
    const u = new URL(href, page);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.host === page.host ? u.href : undefined;
  } catch {
    return undefined;
  }
};

const plain = (html: string) => (parseHTML(`<html><body>${html}</body></html>`).document.body?.textContent ?? '').replace(/[ \t]+/g, ' ').trim();

/**
 * The article on a page, with the feed entry filling what the page lacks.
 * @example readPage(html, 'https://example.org/a?utm=x', entry).url // 'https://example.org/a' (its canonical)
 */
export function readPage(html: string, pageUrl: string, entry?: FeedEntry): ArticleInput {
  const page = new URL(pageUrl);
  const ld = jsonLd(html);
  const meta = parseHtml(html);
  const ldUrl = typeof ld?.mainEntityOfPage === 'string' ? ld.mainEntityOfPage : (ld?.mainEntityOfPage?.['@id'] ?? ld?.url);
  const found = new URL(sameHostUrl(meta.url, page) ?? sameHostUrl(ldUrl, page) ?? page.href);
  // A source's `user:pass@` reaches its pages' links too; an article's url is shown to every reader, so never with them.
  found.username = '';
  found.password = '';
  const url = found.href;
  const title = meta.title ?? ld?.headline ?? ld?.name ?? entry?.title;
  const date = meta.date ?? ld?.datePublished ?? entry?.date;
  const text = meta.text.trim() || (entry?.summary ? plain(entry.summary) : '');
  return { title: title?.trim() || undefined, url, date: date?.trim() || undefined, text };
}
