/**
 * Feed, sitemap and page sources end to end: the real model and index, the real HTTP API, and a
 * real local news site (tests/newsServer.ts; the internet is not reachable here). The site runs on
 * loopback, so these sources run with ALLOW_PRIVATE_SOURCES=true — except the refusal tests,
 * which allow only 127.0.0.2 and must refuse 127.0.0.1 and localhost.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootArchive, type OpenedArchive } from '../src/boot.js';
import type { Config } from '../src/config.js';
import { createApp } from '../src/server/app.js';
import { ACCEPT, createFetcher } from '../src/sources/fetch.js';
import { openSources, type Sources } from '../src/sources/service.js';
import { STATE_FILE } from '../src/sources/state.js';
import { listen, postJson, quiet, tempDir, testConfig } from './helpers.js';
import { atom, jsonFeed, newsSitemap, rss, startNewsServer, storyPage, type FeedItem, type Story } from './newsServer.js';

const para = (topic: string, n: number) =>
  `${topic} report part ${n}: the council of the town of ${topic} met on Tuesday evening and agreed after a long debate that the ${topic} harbour works would continue through the winter, with the first stage finished by March.`;
const story = (slug: string, title: string, date: string, extra: Partial<Story> = {}): Story => ({
  slug,
  title,
  date,
  text: [para(slug, 1), para(slug, 2), para(slug, 3)],
  ...extra,
});

const STORIES = [
  story('a1', 'Ferry timetable extended in Arnholm', '2024-10-01T08:00:00Z'),
  story('a2', 'New bridge opens in Brevik', '2024-10-02T08:00:00Z'),
  story('a3', 'Library moves to the old mill', '2024-10-03T08:00:00Z'),
  story('b1', 'Harvest festival draws record crowds', '2024-10-04T08:00:00Z'),
  story('b2', 'Storm closes the coastal road', '2024-10-05T08:00:00Z', { jsonLdOnly: true }),
  story('c1', 'School choir wins national prize', '2024-10-06T08:00:00Z'),
  story('c2', 'Fishing quotas cut for next year', '2024-10-07T08:00:00Z'),
  story('d1', 'Airport adds a winter route', '2024-10-08T08:00:00Z'),
  story('d2', 'Museum finds a Viking sword', '2024-10-09T08:00:00Z'),
  story('e1', 'Bakery reopens after the fire', '2024-10-10T08:00:00Z'),
  story('z1', 'Intranet notice about the canteen', '2024-10-11T08:00:00Z'),
  story('amp-story', 'Council approves the harbour budget', '2024-10-12T08:00:00Z', { canonical: '/articles/original-story' }),
];
const bySlug = new Map(STORIES.map((s) => [s.slug, s]));
const item = (slug: string, path = `/articles/${slug}`): FeedItem => ({ path, title: bySlug.get(slug)!.title, date: bySlug.get(slug)!.date });

const MAX_BYTES = 60_000;

function siteRoutes(base: string, loopbackTarget = '') {
  const pages = Object.fromEntries(STORIES.map((s) => [`/articles/${s.slug}`, { type: 'text/html; charset=utf-8', body: storyPage(s, base) }]));
  return {
    ...pages,
    '/robots.txt': { type: 'text/plain', body: 'User-agent: *\nDisallow: /private/\n' },
    '/rss.xml': { type: 'application/rss+xml', body: rss([item('a1'), item('a2'), item('a3', '/moved/a3')], base) },
    '/atom.xml': { type: 'application/atom+xml', body: atom([item('b1'), item('b2')], base) },
    '/feed.json': { type: 'application/feed+json', body: jsonFeed([item('c1'), item('c2')], base) },
    '/news-sitemap.xml': { type: 'application/xml', body: newsSitemap([item('d1'), item('d2')], base) },
    '/trouble.xml': {
      type: 'text/xml',
      body: rss(
        [
          item('e1'),
          { path: '/big', title: 'Big', date: '2024-10-10' },
          { path: '/report.pdf', title: 'PDF', date: '2024-10-10' },
          { path: '/slow', title: 'Slow', date: '2024-10-10' },
          { path: '/private/secret', title: 'Secret', date: '2024-10-10' },
        ],
        base,
      ),
    },
    '/canonical.xml': { type: 'application/rss+xml', body: rss([item('amp-story', '/articles/amp-story?utm_source=feed')], base) },
    '/intranet.xml': { type: 'application/rss+xml', body: rss([item('z1'), { path: '/to-loopback', title: 'Elsewhere', date: '2024-10-11' }], base) },
    '/moved/a3': (_req: unknown, res: import('node:http').ServerResponse) => void res.writeHead(301, { location: '/articles/a3' }).end(),
    '/big': {
      type: 'text/html',
      body: storyPage(story('big', 'Too big', '2024-10-10', { text: Array.from({ length: 400 }, (_, i) => para('big', i)) }), base),
    },
    '/report.pdf': { type: 'application/pdf', body: '%PDF-1.4 not a page' },
    '/slow': (_req: unknown, res: import('node:http').ServerResponse) =>
      void setTimeout(() => res.writeHead(200, { 'content-type': 'text/html' }).end(storyPage(story('slow', 'Slow', '2024-10-10'), base)), 3000),
    '/private/secret': { type: 'text/html', body: storyPage(story('secret', 'Secret', '2024-10-10'), base) },
    '/to-loopback': (_req: unknown, res: import('node:http').ServerResponse) => void res.writeHead(302, { location: loopbackTarget }).end(),
  };
}

let site: Awaited<ReturnType<typeof startNewsServer>>;
let dir: string;
let seeds: string;
let config: Config;
let archive: OpenedArchive;
let sources: Sources;
let http: Awaited<ReturnType<typeof listen>>;

const env = { ALLOW_PRIVATE_SOURCES: 'true', FETCH_MIN_DELAY_MS: '0', FETCH_TIMEOUT_MS: '1000', FETCH_MAX_BYTES: String(MAX_BYTES) };

async function serve() {
  sources = await openSources(config, archive);
  http = await listen(createApp({ archive, config, sources, logger: quiet }));
}
const addSource = async (body: unknown) => postJson(`${http.url}/api/sources`, body);
const syncNow = async (id: string) => postJson(`${http.url}/api/sources/${id}/sync`, {});
const listSources = async () => (await (await fetch(`${http.url}/api/sources`)).json()).sources as any[];

beforeAll(async () => {
  site = await startNewsServer({ routes: (base) => siteRoutes(base) });
  dir = await tempDir();
  seeds = join(dir, 'seeds');
  await mkdir(seeds);
  config = testConfig(join(dir, 'index'), { SEEDS_DIR: seeds, ...env });
  archive = await bootArchive(config, quiet);
  await serve();
});
afterAll(async () => {
  await http?.close();
  await sources?.close();
  await archive?.store.close();
  await site?.close();
  await rm(dir, { recursive: true, force: true });
});

const ids: Record<string, string> = {};

describe('sync of RSS, Atom, JSON Feed and news sitemap sources', () => {
  it.each([
    ['rss', '/rss.xml', 'feed', ['a1', 'a2', 'a3']],
    ['atom', '/atom.xml', 'feed', ['b1', 'b2']],
    ['json', '/feed.json', 'feed', ['c1', 'c2']],
    ['sitemap', '/news-sitemap.xml', 'sitemap', ['d1', 'd2']],
  ] as const)('adds every article of the %s source with its canonical url, title and date', async (name, path, kind, slugs) => {
    const added = await addSource({ url: `${site.base}${path}`, kind, interval: '1h', name });
    expect(added.status).toBe(201);
    const id = added.json.source.id;
    ids[name] = id;
    const r = await syncNow(id);
    expect(r.status).toBe(200);
    expect(r.json.report).toMatchObject({ added: slugs.length, known: 0, skipped: [], notModified: false });
    expect(r.json.source).toMatchObject({ lastAdded: slugs.length, added: slugs.length, lastError: null, failures: 0 });
    const { items } = await archive.store.listArticles({ offset: 0, limit: 100 });
    for (const slug of slugs) {
      const s = bySlug.get(slug)!;
      // The moved entry (a3, /moved/a3 → 301) is stored under the page's own url.
      const a = items.find((x) => x.url === `${site.base}/articles/${slug}`);
      expect(a, slug).toMatchObject({ title: s.title, date: s.date.replace('T08:00:00Z', 'T08:00:00.000Z'), source: `feed:${id}` });
      const full = await archive.store.getArticle(a!.id);
      expect(full!.text).toContain(para(slug, 2));
      expect(full!.text).not.toContain('Copyright The Test Gazette');
    }
  });

  it('reads the page once per entry and answers questions from the new articles', async () => {
    expect(site.count('/articles/a1')).toBe(1);
    expect(site.count('/moved/a3')).toBe(1);
    const answer = await postJson(`${http.url}/api/chat`, { question: 'When will the first stage of the Brevik harbour works be finished?' });
    expect(answer.json.quotes.some((q: any) => q.text.includes('first stage finished by March') && q.url === `${site.base}/articles/a2`)).toBe(true);
  });

  it('a second sync gets 304s, fetches no page and adds nothing', async () => {
    const pagesBefore = STORIES.reduce((n, s) => n + site.count(`/articles/${s.slug}`), 0);
    const count = (await archive.store.counts()).articles;
    const before304 = site.notModified();
    for (const name of ['rss', 'atom', 'json', 'sitemap']) {
      const r = await syncNow(ids[name]);
      expect(r.json.report).toMatchObject({ added: 0, notModified: true, skipped: [] });
    }
    expect(site.notModified() - before304).toBe(4);
    expect(STORIES.reduce((n, s) => n + site.count(`/articles/${s.slug}`), 0)).toBe(pagesBefore);
    expect((await archive.store.counts()).articles).toBe(count);
  });

  it('a feed that gains an entry adds only that one', async () => {
    site.setRoutes((base) => {
      const r = siteRoutes(base);
      r['/rss.xml'] = { type: 'application/rss+xml', body: rss([item('e1'), item('a1'), item('a2'), item('a3', '/moved/a3')], base) };
      return r;
    });
    const r = await syncNow(ids.rss);
    expect(r.json.report).toMatchObject({ added: 1, notModified: false });
    expect(site.count('/articles/a1')).toBe(1);
    site.setRoutes((base) => siteRoutes(base));
  });
});

describe('troublesome entries', () => {
  it('skips a page over the size cap, a PDF, a slow page and a robots-forbidden page, and keeps the good one', async () => {
    const { json } = await addSource({ url: `${site.base}/trouble.xml`, name: 'trouble' });
    const r = await syncNow(json.source.id);
    expect(r.json.report.added + r.json.report.known).toBe(1); // e1 (already added by the RSS source above: known)
    const reasons = Object.fromEntries(r.json.report.skipped.map((s: any) => [new URL(s.url).pathname, s.reason]));
    expect(reasons['/big']).toMatch(/larger than FETCH_MAX_BYTES \(60000 bytes\)/);
    expect(reasons['/report.pdf']).toMatch(/is application\/pdf, not what was expected/);
    expect(reasons['/slow']).toMatch(/took longer than FETCH_TIMEOUT_MS \(1000 ms\)/);
    expect(reasons['/private/secret']).toMatch(/robots\.txt .* does not allow \/private\/secret/);
    expect(site.count('/private/secret')).toBe(0);
    expect(r.json.source.lastError).toMatch(/^4 skipped: /);
    // The slow page may work next time, so the feed is read again (no 304) and only it is retried.
    const again = await syncNow(json.source.id);
    expect(again.json.report.notModified).toBe(false);
    expect(again.json.report.skipped.map((s: any) => new URL(s.url).pathname)).toEqual(['/slow']);
    expect(site.count('/big')).toBe(1);
    expect(site.count('/report.pdf')).toBe(1);
  });

  it('stores an entry already archived under its canonical url once, keeping the first copy', async () => {
    const original = storyPage(bySlug.get('amp-story')!, site.base);
    const put = await archive.put([
      (await import('../src/corpus/api.js')).apiArticle({
        title: 'Council approves the harbour budget',
        url: `${site.base}/articles/original-story`,
        date: '2024-10-12',
        text: bySlug.get('amp-story')!.text.join('\n\n'),
      }),
    ]);
    expect(put[0].status).toBe('added');
    expect(original).toContain('original-story');
    const count = (await archive.store.counts()).articles;
    const { json } = await addSource({ url: `${site.base}/canonical.xml` });
    const r = await syncNow(json.source.id);
    expect(r.json.report).toMatchObject({ added: 0, known: 1, skipped: [] });
    expect((await archive.store.counts()).articles).toBe(count);
    expect((await archive.store.getArticle(put[0].id))!.source).toBe('api');
  });
});

describe('private addresses', () => {
  it('refuses a redirect to 127.0.0.1, a 127.0.0.1 feed and localhost when only 127.0.0.2 is allowed', async () => {
    const intranet = await startNewsServer({ host: '127.0.0.2', routes: (base) => siteRoutes(base, `${site.base}/articles/a1`) });
    const strictDir = await tempDir();
    const strict = await openSources(testConfig(strictDir, { ...env, ALLOW_PRIVATE_SOURCES: 'false', PRIVATE_SOURCE_RANGES: '127.0.0.2/32' }), archive);
    try {
      const a1Hits = site.count('/articles/a1');
      const { entry } = await strict.registry.add({ url: `${intranet.base}/intranet.xml` });
      const r = await strict.syncer.sync(entry.def.id);
      expect(r.error).toBeUndefined();
      expect(r.skipped).toHaveLength(1);
      expect(r.skipped[0].reason).toMatch(/refused 127\.0\.0\.1 \(127\.0\.0\.1\)/);
      expect(site.count('/articles/a1')).toBe(a1Hits);
      expect(r.added + r.known).toBe(1); // z1 from the allowed 127.0.0.2

      for (const url of [`${site.base}/rss.xml`, `http://localhost:${site.port}/rss.xml`]) {
        const before = site.count('/rss.xml');
        const { entry: e } = await strict.registry.add({ url, interval: '10m' });
        const bad = await strict.syncer.sync(e.def.id);
        expect(bad.error).toMatch(/^refused (127\.0\.0\.1|localhost) \((127\.0\.0\.1|::1)\)/);
        expect(site.count('/rss.xml')).toBe(before);
        // Refused by this server's settings, not failed by the source: no back-off, due at once.
        const st = strict.registry.get(e.def.id)!.record.state;
        expect(st).toMatchObject({ failures: 0, lastError: bad.error });
        expect(st.nextDue).toBeUndefined();
      }
      // A source that fails (an allowed address answering 404) backs off: its interval, doubling each time.
      const { entry: gone } = await strict.registry.add({ url: `${intranet.base}/no-such-feed.xml`, interval: '10m' });
      await strict.syncer.sync(gone.def.id);
      const st = strict.registry.get(gone.def.id)!.record.state;
      expect(st.failures).toBe(1);
      expect(Date.parse(st.nextDue!) - Date.parse(st.lastAttempt!)).toBe(10 * 60_000);
      await strict.syncer.sync(gone.def.id);
      const st2 = strict.registry.get(gone.def.id)!.record.state;
      expect(st2.failures).toBe(2);
      expect(Date.parse(st2.nextDue!) - Date.parse(st2.lastAttempt!)).toBe(20 * 60_000);
    } finally {
      await strict.close();
      await intranet.close();
      await rm(strictDir, { recursive: true, force: true });
    }
  });
});

describe('politeness', () => {
  it('sends one request at a time per host, at least FETCH_MIN_DELAY_MS apart', async () => {
    const starts: number[] = [];
    let open = 0;
    let most = 0;
    const polite = await startNewsServer({
      routes: () =>
        Object.fromEntries(
          ['/robots.txt', '/p1', '/p2', '/p3'].map((p) => [
            p,
            (_req: unknown, res: import('node:http').ServerResponse) => {
              starts.push(Date.now());
              most = Math.max(most, ++open);
              setTimeout(() => {
                open--;
                res.writeHead(p === '/robots.txt' ? 404 : 200, { 'content-type': 'text/html' }).end('<p>x</p>');
              }, 30);
            },
          ]),
        ),
    });
    const fetcher = createFetcher({
      allowPrivate: true,
      privateRanges: [],
      userAgent: 'TestBot/1',
      timeoutMs: 2000,
      maxBytes: 10_000,
      minDelayMs: 150,
      maxRedirects: 2,
    });
    try {
      await Promise.all(['/p1', '/p2', '/p3'].map((p) => fetcher.get(`${polite.base}${p}`, ACCEPT.page)));
      expect(most).toBe(1);
      expect(starts).toHaveLength(4); // robots.txt once, then the three pages
      for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(150 + 30 - 5);
    } finally {
      await fetcher.close();
      await polite.close();
    }
  });
});

describe('sources across restarts and deletes', () => {
  it('keeps API sources and their state over a restart: nothing is fetched again', async () => {
    await http.close();
    await sources.close();
    await serve();
    const listed = await listSources();
    expect(listed.find((s) => s.id === ids.rss)).toMatchObject({ origin: 'api', name: 'rss', added: 4, failures: 0 });
    const pages = site.count('/articles/a1');
    const r = await syncNow(ids.atom);
    expect(r.json.report).toMatchObject({ notModified: true, added: 0 });
    expect(site.count('/articles/a1')).toBe(pages);
  });

  it('stops syncing a deleted source and keeps the articles it added', async () => {
    const count = (await archive.store.counts()).articles;
    const del = await fetch(`${http.url}/api/sources/${ids.json}`, { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect((await listSources()).some((s) => s.id === ids.json)).toBe(false);
    const feedHits = site.count('/feed.json');
    const reports = await sources.syncer.syncDue(Date.now() + 365 * 86_400_000);
    expect(reports.map((r) => r.id)).not.toContain(ids.json);
    expect(reports.map((r) => r.id)).toContain(ids.atom);
    expect(site.count('/feed.json')).toBe(feedHits);
    expect((await syncNow(ids.json)).status).toBe(404);
    expect((await archive.store.counts()).articles).toBe(count);
    // A folder ingest (the empty seeds folder) leaves feed articles alone too.
    await bootArchive(config, quiet).then((a) => a.store.close());
    expect((await archive.store.counts()).articles).toBe(count);
  });

  it('reads SOURCES_FILE (YAML) and lists its sources as file sources', async () => {
    const file = join(dir, 'sources.yaml');
    await writeFile(file, `- url: ${site.base}/atom.xml\n  kind: feed\n  interval: 30m\n  name: Gazette (Atom)\n  filters:\n    exclude: [storm]\n`);
    const fromFile = await openSources({ ...config, sourcesFile: file }, archive);
    try {
      const [s] = fromFile.registry.list().filter((x) => x.origin === 'file');
      expect(s.def).toMatchObject({ id: ids.atom, name: 'Gazette (Atom)', interval: '30m', filters: { exclude: ['storm'] } });
      await expect(fromFile.registry.remove(s.def.id)).rejects.toThrow(/listed in SOURCES_FILE/);
    } finally {
      await fromFile.close();
    }
  });

  it('answers 400 naming the field for a bad source', async () => {
    const bad = await addSource({ url: 'ftp://example.org/feed', interval: 'soon' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/url: must be an http\(s\) url/);
    expect(bad.json.error.message).toMatch(/interval: must be a number and a unit/);
    const extra = await addSource({ url: 'https://example.org/feed', colour: 'red' });
    expect(extra.status).toBe(400);
    expect(extra.json.error.message).toMatch(/colour/);
  });

  it('keeps its sources in the article log, not in a file of their own', async () => {
    const { readdir } = await import('node:fs/promises');
    expect((await readdir(config.indexDir)).filter((f) => f.startsWith(STATE_FILE))).toEqual([]);
    const reopened = await openSources(config, archive);
    try {
      expect(reopened.registry.get(ids.rss)?.def.url).toBe(`${site.base}/rss.xml`);
    } finally {
      await reopened.close();
    }
  });
});
