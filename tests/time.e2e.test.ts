/**
 * Time in questions over HTTP, on the real model and index: the seed article plus a few dated
 * stories added through the archive, asked with and without `asOf`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiArticle } from '../src/corpus/api.js';
import { postJson, seedServer } from './helpers.js';

let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  srv = await seedServer();
  await srv.archive.put([
    apiArticle({
      title: 'Riverton dockworkers end strike',
      date: '2024-10-08',
      url: 'https://news.example/strike-ends',
      text: 'Dockworkers at the Riverton harbour ended their strike on Tuesday after the port authority agreed to a six percent raise.\n\nShips began unloading again on Wednesday morning.',
    }),
    apiArticle({
      title: 'Riverton dockworkers walk out',
      date: '2024-09-20',
      url: 'https://news.example/walkout',
      text: 'Dockworkers at the Riverton harbour walked out on Friday, demanding a nine percent raise from the port authority.\n\nThe harbour was closed to container ships.',
    }),
    apiArticle({
      title: 'Riverton names harbour master',
      date: '2023-05-01',
      url: 'https://news.example/harbour-master',
      text: 'The Riverton port authority appointed Li Wen as harbour master in a ceremony at the docks on Monday.\n\nLi Wen previously ran the pilot service for twelve years.',
    }),
  ]);
}, 120_000);
afterAll(async () => srv?.close());

const ask = async (body: Record<string, unknown>) => {
  const { status, json } = await postJson(`${srv.url}/api/chat`, body);
  expect(status).toBe(200);
  return json;
};

describe('time in questions', () => {
  it('prefers last week (Monday to Sunday before asOf) and says so', async () => {
    const json = await ask({ question: 'What did the Riverton dockworkers do last week?', asOf: '2024-10-16' });
    expect(json.time).toEqual({ asOf: '2024-10-16', since: '2024-10-07', until: '2024-10-13', recency: false });
    // The walkout of September matches the question as well; last week's story comes first.
    expect(json.passages[0].date).toBe('2024-10-08');
    expect(json.found).toBe(true);
    expect(json.quotes[0].text).toContain('ended their strike');
  });

  it('answers from before "this week" when nothing of the week holds it, and dates the quote', async () => {
    const json = await ask({ question: 'What raise did the Riverton dockworkers demand when they walked out this week?', asOf: '2024-10-16' });
    expect(json.time).toMatchObject({ since: '2024-10-10', until: '2024-10-16' });
    expect(json.found).toBe(true);
    expect(json.quotes[0].text).toContain('nine percent raise');
    expect(json.answer).toContain('(from 20 September 2024)');
  });

  it('takes the newest article date as asOf when the request has none', async () => {
    const json = await ask({ question: 'Who is the Russian defense minister?' });
    expect(json.time).toEqual({ asOf: '2024-10-14', since: null, until: null, recency: false });
  });

  it('keeps the time frame of the conversation in a follow-up', async () => {
    const history = [
      { role: 'user', content: 'What did the Riverton dockworkers do in September 2024?' },
      { role: 'assistant', content: 'They walked out.' },
    ];
    const json = await ask({ question: 'And what raise did they want?', history, asOf: '2024-10-16' });
    expect(json.time).toMatchObject({ since: '2024-09-01', until: '2024-09-30' });
    for (const p of json.passages) expect(p.date.startsWith('2024-09')).toBe(true);
  });

  it('dates old evidence plainly for a question about now', async () => {
    const json = await ask({ question: 'Who is the current harbour master of Riverton?', asOf: '2024-10-16' });
    expect(json.time.recency).toBe(true);
    expect(json.found).toBe(true);
    expect(json.quotes[0].text).toContain('Li Wen');
    expect(json.answer).toContain('(from 1 May 2023)');
  });

  it('refuses a bad asOf with a 400 that names the field', async () => {
    for (const asOf of ['last tuesday', '2024-02-31', 20241016]) {
      const { status, json } = await postJson(`${srv.url}/api/chat`, { question: 'What happened?', asOf });
      expect(status).toBe(400);
      expect(json.error.message).toMatch(/asOf/);
    }
  });

  it('sends the time frame with the quotes event of the stream', async () => {
    const res = await fetch(`${srv.url}/api/chat/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ question: 'What did the Riverton dockworkers do last week?', asOf: '2024-10-16' }),
    });
    const text = await res.text();
    const quotes = text.split('\n\n').find((e) => e.startsWith('event: quotes'))!;
    expect(JSON.parse(quotes.split('\ndata: ')[1]).time).toEqual({ asOf: '2024-10-16', since: '2024-10-07', until: '2024-10-13', recency: false });
  });
});
