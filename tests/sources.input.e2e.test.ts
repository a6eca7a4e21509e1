/**
 * What a site sends that the sources room must read right: robots.txt whatever its content type,
 * feed entries whose guid is an Object.prototype name, and a source refused only by this server's
 * settings (tried again once they change, not backed off).
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootArchive, type OpenedArchive } from '../src/boot.js';
import type { Config } from '../src/config.js';
import { ACCEPT, createFetcher } from '../src/sources/fetch.js';
import { openSources } from '../src/sources/service.js';
import { quiet, tempDir, testConfig } from './helpers.js';
import { startNewsServer, storyPage } from './newsServer.js';

const GUIDS = ['__proto__', 'constructor', 'toString'];
const page = (slug: string, base: string) =>
  storyPage(
    {
      slug,
      title: `The ${slug} bridge reopens`,
      date: '2024-10-14',
      text: [`The ${slug} bridge over the Vell river reopened on Monday after two years of repairs, the city said.`, 'Traffic was light on the first day.'],
    },
    base,
  );
const html = (body: string) => ({ type: 'text/html; charset=utf-8', body });

let site: Awaited<ReturnType<typeof startNewsServer>>;
let dir: string;
let config: Config;
let archive: OpenedArchive;
beforeAll(async () => {
  site = await startNewsServer({
    routes: (base) => ({
      '/robots.txt': html('User-agent: *\nDisallow: /private\n'),
      '/private/a': html(page('private', base)),
      '/feed.xml': {
        type: 'application/rss+xml',
        body: `<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><link>${base}/</link><description>d</description>${GUIDS.map((g, i) => `<item><title>Bridge ${i}</title><link>${base}/articles/g${i}</link><guid isPermaLink="false">${g}</guid></item>`).join('')}</channel></rss>`,
      },
      ...Object.fromEntries(GUIDS.map((_, i) => [`/articles/g${i}`, html(page(`g${i}`, base))])),
    }),
  });
  dir = await tempDir();
  config = testConfig(dir, { FETCH_MIN_DELAY_MS: '0', ALLOW_PRIVATE_SOURCES: 'false' });
  archive = await bootArchive(config, quiet);
}, 120_000);
afterAll(async () => {
  await archive?.close();
  await site?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('robots.txt', () => {
  it.each([
    ['text/html', 'text/html'],
    ['no content type', ''],
  ])('honours a Disallow served as %s', async (_name, type) => {
    const robots = await startNewsServer({
      routes: (base) => ({
        '/robots.txt': (_req, res) => void res.writeHead(200, type ? { 'content-type': type } : {}).end('User-agent: *\nDisallow: /private\n'),
        '/private/a': html(page('private', base)),
        '/open/a': html(page('open', base)),
      }),
    });
    const fetcher = createFetcher({
      allowPrivate: true,
      privateRanges: [],
      userAgent: 'TestBot/1',
      timeoutMs: 2000,
      maxBytes: 100_000,
      minDelayMs: 0,
      maxRedirects: 2,
    });
    try {
      await expect(fetcher.get(`${robots.base}/private/a`, ACCEPT.page)).rejects.toThrow(/robots\.txt .* does not allow \/private\/a/);
      expect(robots.count('/private/a')).toBe(0);
      expect((await fetcher.get(`${robots.base}/open/a`, ACCEPT.page)).status).toBe(200);
    } finally {
      await fetcher.close();
      await robots.close();
    }
  });
});

describe('a feed source', () => {
  it('is refused while private addresses are, then synced at once after a restart that allows them', async () => {
    const refusing = await openSources(config, archive);
    const { entry } = await refusing.registry.add({ url: `${site.base}/feed.xml` });
    const [refused] = await refusing.syncer.syncDue();
    expect(refused.error).toMatch(/ALLOW_PRIVATE_SOURCES/);
    expect(refusing.registry.get(entry.def.id)!.record.state).toMatchObject({ failures: 0 });
    await refusing.close();

    const allowing = await openSources({ ...config, allowPrivateSources: true }, archive);
    try {
      const reports = await allowing.syncer.syncDue();
      expect(reports.map((r) => r.id)).toContain(entry.def.id);
      // Entries whose guid is an Object.prototype name are entries like any other.
      expect(reports.find((r) => r.id === entry.def.id)).toMatchObject({ added: GUIDS.length, skipped: [] });
      const seen = allowing.registry.get(entry.def.id)!.record.state.seen;
      expect(Object.keys(seen).sort()).toEqual([...GUIDS].sort());
      // Remembered as seen: the next sync fetches none of their pages again.
      const before = GUIDS.map((_, i) => site.count(`/articles/g${i}`));
      await allowing.syncer.sync(entry.def.id);
      expect(GUIDS.map((_, i) => site.count(`/articles/g${i}`))).toEqual(before);
    } finally {
      await allowing.close();
    }
  });
});
