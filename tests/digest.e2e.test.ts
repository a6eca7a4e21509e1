/**
 * Period questions over HTTP, on the real model and index over the news set's articles
 * (eval/news/articles): a dated digest of the window's stories, each with its lead quoted.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, REPO, seedServer } from './helpers.js';

const ARTICLES = join(REPO, 'eval/news/articles');

let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  srv = await seedServer({ SEEDS_DIR: ARTICLES });
}, 300_000);
afterAll(async () => srv?.close());

const ask = async (body: Record<string, unknown>) => {
  const { status, json } = await postJson(`${srv.url}/api/chat`, body);
  expect(status).toBe(200);
  return json;
};

/** Each quote is its article's own text at its offsets, and the first sentence of the article's body. */
async function expectLeads(quotes: { articleId: string; text: string; start: number; end: number }[]) {
  for (const q of quotes) {
    const article = await (await fetch(`${srv.url}/api/articles/${encodeURIComponent(q.articleId)}`)).json();
    expect(article.text.slice(q.start, q.end)).toBe(q.text);
    // Nothing but the headline, a byline or other furniture comes before the lead.
    expect(article.text.slice(0, q.start).split(/[.!?]\s/).length).toBeLessThanOrEqual(2);
  }
}

describe('period questions', () => {
  it('answers "What happened last week?" with the stories of last week, newest first, each lead quoted', async () => {
    const json = await ask({ question: 'What happened last week?', asOf: '2025-10-16' });
    expect(json.found).toBe(true);
    expect(json.time).toMatchObject({ since: '2025-10-06', until: '2025-10-12' });
    expect(json.quotes.length).toBeGreaterThanOrEqual(3);
    const dates = json.quotes.map((q: any) => q.date);
    for (const d of dates) expect(d >= '2025-10-06' && d <= '2025-10-12').toBe(true);
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(json.answer).toMatch(/^Top stories from 6 October 2025 to 12 October 2025, newest first:/);
    expect(json.answer).toContain('12 October 2025, Calderra Comets win their first league title: “The Calderra Comets won');
    await expectLeads(json.quotes);
  });

  it('answers "What\'s new on the strike?" with the strike\'s stories of the last days only', async () => {
    const json = await ask({ question: "What's new on the strike?", asOf: '2025-10-16' });
    expect(json.found).toBe(true);
    const titles = json.quotes.map((q: any) => q.title);
    expect(titles[0]).toBe('Calderra dock strike ends with 6.5% pay deal');
    expect(titles).toContain('Calderra dockworkers walk out over pay');
    // Other stories of those days are not about the strike.
    for (const t of titles) expect(t).not.toMatch(/museum|library|lighthouse/i);
    const dates = json.quotes.map((q: any) => q.date);
    expect([...dates].sort().reverse()).toEqual(dates);
    await expectLeads(json.quotes);
    // The passages sent are the ones quoted, so the page shows where each lead comes from.
    for (const q of json.quotes) expect(json.passages.some((p: any) => p.articleId === q.articleId && p.start <= q.start && q.end <= p.end)).toBe(true);
  });

  it('answers a question of fact as before', async () => {
    const json = await ask({ question: 'Who will chair the talks at the Port of Calderra?', asOf: '2025-10-16' });
    expect(json.found).toBe(true);
    expect(json.quotes[0].text).toContain('Anneliese Moro');
    expect(json.answer).not.toMatch(/newest first/);
  });

  it('says nothing was found for a window without articles', async () => {
    const json = await ask({ question: 'What happened last week?', asOf: '2025-12-20' });
    expect(json.found).toBe(false);
    expect(json.quotes).toEqual([]);
  });

  it('gives the digest on the OpenAI-compatible endpoint, against the newest article date', async () => {
    const { status, json } = await postJson(`${srv.url}/v1/chat/completions`, {
      model: 'archivist',
      messages: [{ role: 'user', content: 'What happened last week?' }],
    });
    expect(status).toBe(200);
    // The newest article is of Friday 31 October 2025: last week is 20–26 October.
    expect(json.choices[0].message.content).toContain('Top stories from 20 October 2025 to 26 October 2025, newest first:');
  });
});
