/** The parse pool: feeds parsed on a worker thread, so the event loop keeps turning meanwhile. */
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from '../src/sources/feeds.js';
import { createParser } from '../src/sources/parse.js';

const BASE = 'https://news.example/rss';
/** An RSS feed of `n` items (100,000 are about 5 MB). */
const feed = (n: number) =>
  `<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>${Array.from(
    { length: n },
    (_, i) => `<item><title>Item ${i}</title><link>/a/${i}</link><guid>g${i}</guid><pubDate>Mon, 14 Oct 2024 10:00:00 GMT</pubDate></item>`,
  ).join('')}</channel></rss>`;

/** How often a 1 ms timer fired while `work` ran: 0 means the event loop was held the whole time. */
async function loopTurnsDuring<T>(work: () => Promise<T> | T): Promise<{ turns: number; value: T }> {
  let turns = 0;
  const timer = setInterval(() => turns++, 1);
  try {
    const value = await work();
    return { turns, value };
  } finally {
    clearInterval(timer);
  }
}

const parser = createParser({ threads: 1 });
afterAll(() => parser.close());

describe('createParser', () => {
  const big = feed(20_000);

  it('parses a large feed on a worker thread: the event loop turns while it runs, and the entries are the same', async () => {
    const inWorker = await loopTurnsDuring(() => parser.document('feed', big, BASE));
    const onMain = await loopTurnsDuring(async () => parseDocument('feed', big, BASE));
    expect(onMain.turns).toBe(0);
    expect(inWorker.turns).toBeGreaterThan(0);
    expect(inWorker.value.entries).toHaveLength(20_000);
    expect(inWorker.value).toEqual(onMain.value);
    expect(inWorker.value.entries[7]).toEqual({ url: 'https://news.example/a/7', key: 'g7', title: 'Item 7', date: 'Mon, 14 Oct 2024 10:00:00 GMT' });
  });

  it('with a pick, returns only the entries a sync takes, chosen on the worker thread', async () => {
    const seen = Array.from({ length: 50 }, (_, i) => `g${i}`);
    const { turns, value } = await loopTurnsDuring(() => parser.document('feed', big, BASE, { seen, taken: ['g60'], limit: 20, sitemapLimit: 20 }));
    expect(turns).toBeGreaterThan(0);
    expect(value.entries.map((e) => e.key)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => `g${50 + i}`),
      ...Array.from({ length: 10 }, (_, i) => `g${61 + i}`),
    ]);
    expect(value.entries[0]).toEqual({ url: 'https://news.example/a/50', key: 'g50', title: 'Item 50', date: 'Mon, 14 Oct 2024 10:00:00 GMT' });
  });

  it('reports a document that is no feed as the same 400 as on the main thread', async () => {
    await expect(parser.document('feed', '<html><body>no feed</body></html>', BASE)).rejects.toMatchObject({
      code: 'bad_request',
      message: expect.stringMatching(/is not an RSS, Atom or JSON feed/),
    });
  });

  it('reads a page in the worker, with the feed entry filling what the page lacks', async () => {
    const page = await parser.page(
      '<html><head><title>Tram</title></head><body><article><p>The number 4 tram now runs to Ostvik, the city said on Sunday.</p></article></body></html>',
      'https://u:p@news.example/tram',
      {
        url: 'https://news.example/tram',
        key: 'tram',
        date: '2024-05-05',
      },
    );
    expect(page).toMatchObject({ title: 'Tram', url: 'https://news.example/tram', date: '2024-05-05' });
    expect(page.text).toContain('The number 4 tram now runs to Ostvik');
  });
});
