/**
 * A small news site for the sources tests and the sync benchmark: real HTTP on a loopback port
 * (the internet is not reachable here), serving RSS 2.0, Atom, JSON Feed and a news sitemap over
 * the same article pages, with ETags (304 on If-None-Match), robots.txt, a moved page, and the
 * troublemakers: a page over the size cap, a PDF, a slow page, a robots-forbidden page and a
 * redirect to 127.0.0.1. It counts every request, so tests can see what was fetched.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Story {
  slug: string;
  title: string;
  date: string;
  text: string[];
  /** Canonical path when it differs from /articles/<slug>. */
  canonical?: string;
  /** Put title/date/canonical in JSON-LD only (no meta tags). */
  jsonLdOnly?: boolean;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function storyPage(s: Story, base: string): string {
  const canonical = `${base}${s.canonical ?? `/articles/${s.slug}`}`;
  const head = s.jsonLdOnly
    ? `<script type="application/ld+json">${JSON.stringify({
        '@context': 'https://schema.org',
        '@graph': [
          { '@type': 'WebSite', name: 'Test' },
          { '@type': 'NewsArticle', headline: s.title, datePublished: s.date, mainEntityOfPage: canonical },
        ],
      })}</script>`
    : `<link rel="canonical" href="${esc(canonical)}"><meta property="og:title" content="${esc(s.title)}"><meta property="article:published_time" content="${s.date}">`;
  return `<!doctype html><html><head><title>${esc(s.title)} | The Test Gazette</title>${head}</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>${esc(s.title)}</h1>${s.text.map((p) => `<p>${esc(p)}</p>`).join('\n')}</article>
<footer>Copyright The Test Gazette</footer></body></html>`;
}

export interface FeedItem {
  path: string;
  title: string;
  date: string;
}

export function rss(items: FeedItem[], base: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Test Gazette</title><link>${base}/</link><description>News</description>
${items.map((i) => `<item><title>${esc(i.title)}</title><link>${base}${i.path}</link><guid>${base}${i.path}</guid><pubDate>${new Date(i.date).toUTCString()}</pubDate></item>`).join('\n')}
</channel></rss>`;
}

export function atom(items: FeedItem[], base: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Test Gazette</title><id>${base}/atom</id><updated>2024-10-14T00:00:00Z</updated>
${items.map((i) => `<entry><title>${esc(i.title)}</title><id>tag:test,2024:${i.path}</id><link rel="alternate" href="${base}${i.path}"/><published>${i.date}</published><updated>${i.date}</updated></entry>`).join('\n')}
</feed>`;
}

export function jsonFeed(items: FeedItem[], base: string): string {
  return JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: 'Test Gazette',
    items: items.map((i) => ({ id: `${base}${i.path}`, url: `${base}${i.path}`, title: i.title, date_published: i.date })),
  });
}

export function newsSitemap(items: FeedItem[], base: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
${items.map((i) => `<url><loc>${base}${i.path}</loc><news:news><news:publication><news:name>Test Gazette</news:name><news:language>en</news:language></news:publication><news:publication_date>${i.date}</news:publication_date><news:title>${esc(i.title)}</news:title></news:news></url>`).join('\n')}
</urlset>`;
}

type Handler = (req: IncomingMessage, res: ServerResponse, base: string) => void;

/**
 * Serves `routes` (path → body and type, or a handler) with ETags; `hits` counts requests per
 * path and `notModified` the 304s sent.
 */
export async function startNewsServer(opts: { host?: string; routes: (base: string) => Record<string, { type: string; body: string } | Handler> }) {
  const hits = new Map<string, number>();
  let notModified = 0;
  let base = '';
  let routes: ReturnType<typeof opts.routes> = {};
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes[path];
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    if (typeof route === 'function') return route(req, res, base);
    const etag = `"${createHash('sha1').update(route.body).digest('hex').slice(0, 16)}"`;
    if (req.headers['if-none-match'] === etag) {
      notModified++;
      res.writeHead(304, { etag }).end();
      return;
    }
    res.writeHead(200, { 'content-type': route.type, etag, 'last-modified': 'Mon, 14 Oct 2024 10:00:00 GMT' }).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, opts.host ?? '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  base = `http://${opts.host ?? '127.0.0.1'}:${port}`;
  routes = opts.routes(base);
  return {
    base,
    port,
    hits,
    count: (path: string) => hits.get(path) ?? 0,
    notModified: () => notModified,
    /** Replaces the served routes (a feed that gains an entry). */
    setRoutes: (next: (base: string) => ReturnType<typeof opts.routes>) => {
      routes = next(base);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
