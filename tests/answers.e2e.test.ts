/**
 * Kept answers end to end, on one booted seed archive (real model, real index, real HTTP): each
 * of the four transports keeps its answer under an id (the official `openai` and MCP clients);
 * the page /a/<id> in headless Chromium; the Markdown export; feedback stored, replaced,
 * exported and kept across a restart; quotes of a changed or removed article marked;
 * bad feedback 400s; KEEP_ANSWERS=false keeps nothing.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { rm } from 'node:fs/promises';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootArchive, type OpenedArchive } from '../src/boot.js';
import type { Config } from '../src/config.js';
import { createApp } from '../src/server/app.js';
import { launchBrowser, askOnPage } from './browser.js';
import { listen, postJson, quiet, tempDir, testConfig } from './helpers.js';
import { sseEvents } from './rawHttp.js';

const QUESTION = 'Who did Belousov meet in Beijing?';

let dir: string;
let config: Config;
let archive: OpenedArchive;
let http: Awaited<ReturnType<typeof listen>>;

async function boot() {
  archive = await bootArchive(config, quiet);
  http = await listen(createApp({ archive, config, logger: quiet }));
}
async function shutdown() {
  await http.close();
  await archive.store.close();
}

beforeAll(async () => {
  dir = await tempDir();
  config = testConfig(dir);
  await boot();
}, 120_000);
afterAll(async () => {
  await shutdown();
  await rm(dir, { recursive: true, force: true });
});

const getJson = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${http.url}${path}`, { headers: { accept: 'application/json', ...headers } });
  return { status: res.status, json: await res.json() };
};

/** Each transport asked the same question; returns the answer id it gave and the quotes it showed. */
const transports: [string, () => Promise<{ id: string; quotes: { text: string; articleId: string }[] }>][] = [
  [
    'POST /api/chat',
    async () => {
      const r = await postJson(`${http.url}/api/chat`, { question: QUESTION });
      return { id: r.json.answerId, quotes: r.json.quotes };
    },
  ],
  [
    'POST /api/chat/stream',
    async () => {
      const res = await fetch(`${http.url}/api/chat/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question: QUESTION }),
      });
      const quotes = sseEvents(await res.text()).find((e) => e.event === 'quotes')!.data;
      return { id: quotes.answerId, quotes: quotes.quotes };
    },
  ],
  [
    '/v1/chat/completions (openai client)',
    async () => {
      const client = new OpenAI({ baseURL: `${http.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const done = await client.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: QUESTION }] });
      const field = (done.choices[0].message as unknown as { archivist: { answerId: string; quotes: { text: string; articleId: string }[] } }).archivist;
      return { id: field.answerId, quotes: field.quotes };
    },
  ],
  [
    'MCP ask (official SDK client over /mcp)',
    async () => {
      const client = new Client({ name: 'archivist-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL(`${http.url}/mcp`)));
      try {
        const r = await client.callTool({ name: 'ask', arguments: { question: QUESTION } });
        const out = r.structuredContent as { answerId: string; quotes: { text: string; articleId: string }[] };
        return { id: out.answerId, quotes: out.quotes };
      } finally {
        await client.close();
      }
    },
  ],
];

describe('every transport keeps its answer', () => {
  it.each(transports)('%s gives an id that reads back the same answer', async (_name, ask) => {
    const { id, quotes } = await ask();
    expect(id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(quotes.length).toBeGreaterThan(0);
    const { status, json } = await getJson(`/api/answers/${id}`);
    expect(status).toBe(200);
    expect(json.question).toBe(QUESTION);
    expect(json.quotes.map((q: { text: string }) => q.text)).toEqual(quotes.map((q) => q.text));
    expect(json.quotes.every((q: { state: string }) => q.state === 'current')).toBe(true);
    expect(json.passages.length).toBeGreaterThan(0);
    expect(json.by).toEqual({ generator: 'extractive' });
    expect(json.timings.totalMs).toBeGreaterThan(0);
    expect(json.feedback).toBeNull();
    const list = await getJson('/api/answers?limit=1');
    expect(list.json.items[0]).toMatchObject({ id, question: QUESTION });
  });

  it('answers 404 for an id it never gave', async () => {
    expect((await getJson('/api/answers/AAAAAAAAAAAAAAAA')).status).toBe(404);
    expect((await getJson('/api/answers?limit=0')).status).toBe(400);
  });
});

describe('sharing', () => {
  it('gives Markdown with every quote verbatim and its link, by Accept or ?format=markdown', async () => {
    const { json } = await postJson(`${http.url}/api/chat`, { question: QUESTION });
    const byAccept = await fetch(`${http.url}/api/answers/${json.answerId}`, { headers: { accept: 'text/markdown' } });
    expect(byAccept.headers.get('content-type')).toMatch(/^text\/markdown/);
    const md = await byAccept.text();
    expect(await (await fetch(`${http.url}/api/answers/${json.answerId}?format=markdown`)).text()).toBe(md);
    expect(md).toContain(json.answer);
    for (const q of json.quotes) {
      expect(md).toContain(`> [${q.n}] ${q.text}`);
      expect(md).toContain(`— [${q.title}](${q.url}), ${q.date.slice(0, 10)}`);
    }
    expect(md).toMatch(/Quotes are verbatim/);
    expect(md).toContain(`${http.url}/a/${json.answerId}`);
  });

  it('shows the kept answer on its page, and the chat page copies, links and judges it', async () => {
    const { json } = await postJson(`${http.url}/api/chat`, { question: QUESTION });
    const browser = await launchBrowser();
    try {
      await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: http.url });
      const page = await browser.context.newPage();
      await page.goto(`${http.url}/a/${json.answerId}`);
      await page.locator('#kept-answer:not([hidden])').waitFor();
      expect(await page.locator('.question-text').textContent()).toBe(QUESTION);
      expect(await page.locator('#kept-answer .answer-text').textContent()).toBe(json.answer);
      expect(await page.locator('.quote mark').allTextContents()).toEqual(json.quotes.map((q: { text: string }) => q.text));
      // "a little of its article" around the highlighted quote
      expect((await page.locator('.quote blockquote').first().textContent())!.length).toBeGreaterThan(json.quotes[0].text.length);
      expect(await page.locator('.quote a.quote-title').first().getAttribute('href')).toBe(json.quotes[0].url);

      await page.goto(http.url);
      const turn = await askOnPage(page, QUESTION);
      const id = await turn.locator('.keep-actions').getAttribute('data-answer-id');
      expect((await getJson(`/api/answers/${id}`)).json.question).toBe(QUESTION);
      await turn.locator('.keep-link').click();
      await turn.locator('.keep-status', { hasText: 'Link copied' }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(`${http.url}/a/${id}`);
      await turn.locator('.keep-markdown').click();
      await turn.locator('.keep-status', { hasText: 'Copied as Markdown' }).waitFor();
      expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('Quotes are verbatim');
      await turn.locator('.keep-down').click();
      await turn.locator('.keep-reason').fill('He met Dong Jun, the answer names no one');
      await turn.locator('.keep-form button[type=submit]').click();
      await turn.locator('.keep-form[hidden]').waitFor({ state: 'attached' });
      expect((await getJson(`/api/answers/${id}`)).json.feedback).toMatchObject({ rating: 'down', reason: 'He met Dong Jun, the answer names no one' });
    } finally {
      await browser.close();
    }
  }, 90_000);
});

describe('feedback', () => {
  it.each([
    ['no rating', {}, 'rating'],
    ['a rating that is not up or down', { rating: 'meh' }, 'rating'],
    ['a reason over 1,000 characters', { rating: 'down', reason: 'x'.repeat(1001) }, 'reason'],
    ['a reason that is not a string', { rating: 'up', reason: 5 }, 'reason'],
    ['an empty correction', { rating: 'down', correction: '  ' }, 'correction'],
    ['an unknown field', { rating: 'up', stars: 5 }, 'stars'],
  ])('refuses %s with a 400 naming the field', async (_name, body, field) => {
    const { json } = await postJson(`${http.url}/api/chat`, { question: QUESTION });
    const r = await postJson(`${http.url}/api/answers/${json.answerId}/feedback`, body);
    expect(r.status).toBe(400);
    expect(r.json.error.message).toContain(field);
    expect((await getJson(`/api/answers/${json.answerId}`)).json.feedback).toBeNull();
  });

  it('is stored, replaced by a later judgment, exported, and survives a restart', async () => {
    const { json } = await postJson(`${http.url}/api/chat`, { question: QUESTION });
    const id = json.answerId;
    expect((await postJson(`${http.url}/api/answers/${id}/feedback`, { rating: 'down', reason: 'too short' })).status).toBe(200);
    const second = await postJson(`${http.url}/api/answers/${id}/feedback`, { rating: 'up', correction: 'Dong Jun' });
    expect(second.json.feedback).toMatchObject({ rating: 'up', correction: 'Dong Jun' });
    expect(second.json.feedback.reason).toBeUndefined();
    expect((await postJson(`${http.url}/api/answers/AAAAAAAAAAAAAAAA/feedback`, { rating: 'up' })).status).toBe(404);

    await shutdown();
    await boot();
    expect((await getJson(`/api/answers/${id}`)).json.feedback).toMatchObject({ rating: 'up', correction: 'Dong Jun' });
    const res = await fetch(`${http.url}/api/feedback?format=jsonl`);
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const line = lines.find((l) => l.answerId === id);
    expect(line).toMatchObject({ question: QUESTION, rating: 'up', correction: 'Dong Jun', history: [] });
    expect(line.asOf).toBe(json.time.asOf);
    expect(line.quotes).toEqual(
      json.quotes.map((q: { articleId: string; start: number; end: number; text: string }) => ({
        articleId: q.articleId,
        start: q.start,
        end: q.end,
        text: q.text,
      })),
    );
    expect((await fetch(`${http.url}/api/feedback?format=csv`)).status).toBe(400);

    expect((await fetch(`${http.url}/api/answers/${id}`, { method: 'DELETE' })).status).toBe(200);
    expect((await getJson(`/api/answers/${id}`)).status).toBe(404);
    expect(await (await fetch(`${http.url}/api/feedback?format=jsonl`)).text()).not.toContain(id);
  }, 120_000);
});

describe('a quoted article that changes or goes', () => {
  it('marks the quote in the stored answer: changed, then gone', async () => {
    const article = {
      title: 'Glenmoor lighthouse repainted',
      url: 'https://news.example/glenmoor-lighthouse',
      date: '2024-10-15',
      text: 'The Glenmoor lighthouse keeper Ida Svensson repainted the lamp room in cobalt blue on Tuesday. Visitors may climb the tower again from Friday.',
    };
    expect((await postJson(`${http.url}/api/articles`, article)).status).toBe(201);
    const { json } = await postJson(`${http.url}/api/chat`, { question: 'Who repainted the Glenmoor lighthouse lamp room?' });
    const quoted = json.quotes.find((q: { url?: string }) => q.url === article.url);
    expect(quoted).toBeDefined();
    const state = async () => (await getJson(`/api/answers/${json.answerId}`)).json.quotes.find((q: { articleId: string }) => q.articleId === quoted.articleId);
    expect((await state()).state).toBe('current');

    await postJson(`${http.url}/api/articles`, { ...article, text: `Correction: ${article.text.replace('Ida Svensson', 'Ida Svenson')}` });
    expect(await state()).toMatchObject({ state: 'changed', text: quoted.text, note: expect.stringMatching(/changed/) });

    expect((await fetch(`${http.url}/api/articles/${encodeURIComponent(quoted.articleId)}`, { method: 'DELETE' })).status).toBe(200);
    expect(await state()).toMatchObject({ state: 'gone', note: expect.stringMatching(/removed/) });
    const md = await (await fetch(`${http.url}/api/answers/${json.answerId}?format=markdown`)).text();
    expect(md).toMatch(/removed from the archive since this answer/);
  }, 60_000);
});

describe('KEEP_ANSWERS=false', () => {
  it('keeps nothing and gives no id on any transport', async () => {
    const off = await listen(createApp({ archive, config: { ...config, keepAnswers: false }, logger: quiet }));
    try {
      const before = (await getJson('/api/answers?limit=1')).json.total;
      const chat = await postJson(`${off.url}/api/chat`, { question: QUESTION });
      expect(chat.status).toBe(200);
      expect(chat.json.answerId).toBeUndefined();
      const stream = await fetch(`${off.url}/api/chat/stream`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ question: QUESTION }),
      });
      expect(sseEvents(await stream.text()).find((e) => e.event === 'quotes')!.data.answerId).toBeUndefined();
      const client = new OpenAI({ baseURL: `${off.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const done = await client.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: QUESTION }] });
      expect((done.choices[0].message as unknown as { archivist: object }).archivist).not.toHaveProperty('answerId');
      expect((await getJson('/api/answers?limit=1')).json.total).toBe(before);
    } finally {
      await off.close();
    }
  });
});
