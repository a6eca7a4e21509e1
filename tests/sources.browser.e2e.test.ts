/**
 * The sources panel in a real browser (Debian's Chromium through playwright-core) against the
 * real server, with sources synced from the local news site of tests/newsServer.ts (loopback,
 * hence ALLOW_PRIVATE_SOURCES=true): each source with its last sync, new articles and its error.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootArchive, type OpenedArchive } from '../src/boot.js';
import { createApp } from '../src/server/app.js';
import { openSources, type Sources } from '../src/sources/service.js';
import { launchBrowser } from './browser.js';
import { listen, quiet, tempDir, testConfig } from './helpers.js';
import { rss, startNewsServer, storyPage } from './newsServer.js';

const STORIES = ['Ferry fares rise', 'Tram line extended'].map((title, i) => ({
  slug: `s${i}`,
  title,
  date: `2024-11-0${i + 1}T09:00:00Z`,
  text: [
    `${title}: the transport board announced the change on Monday after a vote of its members.`,
    'It takes effect at the start of next month, the board said.',
  ],
}));

let site: Awaited<ReturnType<typeof startNewsServer>>;
let dir: string;
let archive: OpenedArchive;
let sources: Sources;
let http: Awaited<ReturnType<typeof listen>>;
let browser: Awaited<ReturnType<typeof launchBrowser>>;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  site = await startNewsServer({
    routes: (base) => ({
      '/rss.xml': {
        type: 'application/rss+xml',
        body: rss(
          STORIES.map((s) => ({ path: `/articles/${s.slug}`, title: s.title, date: s.date })),
          base,
        ),
      },
      ...Object.fromEntries(STORIES.map((s) => [`/articles/${s.slug}`, { type: 'text/html', body: storyPage(s, base) }])),
    }),
  });
  dir = await tempDir();
  await mkdir(join(dir, 'seeds'));
  const config = testConfig(join(dir, 'index'), { SEEDS_DIR: join(dir, 'seeds'), ALLOW_PRIVATE_SOURCES: 'true', FETCH_MIN_DELAY_MS: '0' });
  archive = await bootArchive(config, quiet);
  sources = await openSources(config, archive);
  const good = await sources.registry.add({ url: `${site.base}/rss.xml`, name: 'Transport news' });
  const gone = await sources.registry.add({ url: `${site.base}/gone.xml`, name: 'Gone feed' });
  await sources.registry.add({ url: `${site.base}/later.xml`, interval: '1d' });
  await sources.syncer.sync(good.entry.def.id);
  await sources.syncer.sync(gone.entry.def.id);
  http = await listen(createApp({ archive, config, sources, logger: quiet }));
  browser = await launchBrowser();
  page = await browser.context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  await page.goto(http.url);
});
afterAll(async () => {
  await browser?.close();
  await http?.close();
  await sources?.close();
  await archive?.store.close();
  await site?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the sources panel', () => {
  it('shows each source with its last sync, new articles and any error', async () => {
    await page.waitForFunction(() => document.getElementById('sources-count')?.textContent === '(3)');
    expect(await page.isVisible('#sources-panel')).toBe(true);
    expect(await page.textContent('#sources-status')).toBe('1 source with problems');
    expect((await (await fetch(`${http.url}/api/sources`)).json()).enabled).toBe(true);
    const items = page.locator('#sources-list > li.feed-source');
    expect(await items.count()).toBe(3);

    const good = items.filter({ hasText: 'Transport news' });
    expect(await good.locator('a.feed-source-title').getAttribute('href')).toBe(`${site.base}/rss.xml`);
    const meta = await good.locator('.feed-source-meta').textContent();
    expect(meta).toMatch(/^Synced .+ · 2 new · 2 articles in all$/);
    expect(await good.locator('.feed-source-meta time').getAttribute('datetime')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(await good.locator('.feed-source-error').count()).toBe(0);

    const gone = items.filter({ hasText: 'Gone feed' });
    expect(await gone.locator('.feed-source-meta').textContent()).toMatch(/^Tried .+ · 0 new$/);
    expect(await gone.locator('.feed-source-error').textContent()).toBe(`${site.base}/gone.xml answered 404`);

    const later = items.filter({ hasText: `${site.base}/later.xml` });
    expect(await later.locator('.feed-source-meta').textContent()).toBe('Not synced yet · every 1d');
    expect(problems).toEqual([]);
  });

  it('shows a sync that happened after the page loaded when the panel is opened again', async () => {
    const extra = {
      slug: 's2',
      title: 'Night buses return',
      date: '2024-11-03T09:00:00Z',
      text: ['Night buses return to the city routes on Friday, the transport board said after its meeting.'],
    };
    site.setRoutes((base) => ({
      '/rss.xml': {
        type: 'application/rss+xml',
        body: rss(
          [...STORIES, extra].map((s) => ({ path: `/articles/${s.slug}`, title: s.title, date: s.date })),
          base,
        ),
      },
      ...Object.fromEntries([...STORIES, extra].map((s) => [`/articles/${s.slug}`, { type: 'text/html', body: storyPage(s, base) }])),
    }));
    await sources.syncer.sync(sources.registry.list().find((s) => s.def.name === 'Transport news')!.def.id);
    await page.click('#sources-panel > summary'); // close
    await page.click('#sources-panel > summary'); // open: reloads
    const good = page.locator('#sources-list > li.feed-source').filter({ hasText: 'Transport news' });
    await page.waitForFunction(() => /1 new/.test(document.querySelector('#sources-list')?.textContent ?? ''));
    expect(await good.locator('.feed-source-meta').textContent()).toMatch(/^Synced .+ · 1 new · 3 articles in all$/);
  });

  it('stays hidden, without console errors, on a server that does not sync sources', async () => {
    const plain = await listen(createApp({ archive, config: testConfig(join(dir, 'index')), logger: quiet }));
    const other = await browser.context.newPage();
    const errors: string[] = [];
    other.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    try {
      const answered = other.waitForResponse((r) => r.url().endsWith('/api/sources'));
      await other.goto(plain.url);
      expect(await (await answered).json()).toEqual({ enabled: false, sources: [] });
      await other.waitForFunction(() => document.getElementById('articles-count')?.textContent !== '');
      expect(await other.isHidden('#sources-panel')).toBe(true);
      expect(errors).toEqual([]);
    } finally {
      await other.close();
      await plain.close();
    }
  });
});
