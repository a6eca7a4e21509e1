/**
 * HTML: the main text through Mozilla's Readability (the Firefox reader view), over linkedom's
 * DOM (small and fast; jsdom would do the same at ten times the install size). Title, canonical
 * url and published date come from the usual meta tags.
 */
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import type { ArticleInput } from './article.js';

const META_DATE = [
  'meta[property="article:published_time"]',
  'meta[name="article:published_time"]',
  'meta[name="date"]',
  'meta[name="pubdate"]',
  'meta[itemprop="datePublished"]',
  'meta[name="dc.date"]',
];

export function parseHtml(content: string): ArticleInput {
  const { document } = parseHTML(content);
  const attr = (sel: string, name: string) => document.querySelector(sel)?.getAttribute(name)?.trim() || undefined;
  const url = attr('link[rel="canonical"]', 'href') ?? attr('meta[property="og:url"]', 'content');
  let date: string | undefined;
  for (const sel of META_DATE) date ??= attr(sel, 'content');
  date ??= attr('time[datetime]', 'datetime');
  const metaTitle = attr('meta[property="og:title"]', 'content');
  // Readability mutates the document, so read the meta tags first.
  const parsed = new Readability(document as unknown as Document).parse();
  const blocks = parsed?.content
    ? Array.from(parseHTML(`<html><body>${parsed.content}</body></html>`).document.querySelectorAll('p,h1,h2,h3,h4,li,blockquote,pre'))
        .filter((el) => !el.querySelector('p,li,blockquote'))
        .map((el) => (el.textContent ?? '').replace(/\s+/g, ' ').trim())
        .filter(Boolean)
    : [];
  const text = blocks.length ? blocks.join('\n\n') : (parsed?.textContent ?? document.body?.textContent ?? '');
  const title = metaTitle ?? parsed?.title ?? document.title ?? undefined;
  return { title: title || undefined, url: url && /^https?:/i.test(url) ? url : undefined, date, text };
}
