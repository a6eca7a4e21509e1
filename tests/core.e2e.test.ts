/** The whole path on the real model, the real HNSW index and the real HTTP server. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_FOUND } from '../src/answering/answer.js';
import { loadCorpus } from '../src/corpus/load.js';
import { postJson, seedServer, SEEDS } from './helpers.js';

let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  srv = await seedServer();
});
afterAll(async () => srv?.close());

describe('ingest of the seeds', () => {
  it('stores the seed article with its headline, date and url', async () => {
    const { items, total } = await srv.archive.store.listArticles({ offset: 0, limit: 10 });
    expect(total).toBe(1);
    expect(items[0]).toMatchObject({
      title: 'Moscow and Beijing Pledge to Strengthen Military Ties as Russian Defense Minister Visits China',
      date: '2024-10-14',
      url: 'https://www.themoscowtimes.com/2024/10/14/moscow-and-beijing-pledge-to-strengthen-military-ties-as-russian-defense-minister-visits-china-a86677',
    });
    expect(items[0].chunks).toBeGreaterThan(1);
  });

  it('keeps chunk offsets that reproduce the chunk text exactly and cover the article', async () => {
    const [article] = (await loadCorpus(SEEDS)).articles;
    const stored = await srv.archive.store.getArticle(article.id);
    expect(stored?.text).toBe(article.text);
    const ids = Array.from({ length: 50 }, (_, i) => `${article.id}:${i}`);
    const chunks = await srv.archive.store.getChunks(ids);
    expect(chunks.length).toBeGreaterThan(1);
    let covered = 0;
    for (const { chunk, article: a } of chunks) {
      const text = a.text.slice(chunk.start, chunk.end);
      expect(text.length).toBeLessThanOrEqual(800);
      expect(text).toBe(text.trim());
      expect(a.text.indexOf(text, Math.max(0, chunk.start - 1))).toBe(chunk.start);
      covered = Math.max(covered, chunk.end);
    }
    expect(covered).toBe(article.text.length);
  });

  it('leaves the footer and headline out of the article body', async () => {
    const raw = await readFile(join(SEEDS, (await loadCorpus(SEEDS)).articles[0].source), 'utf8');
    const [article] = (await loadCorpus(SEEDS)).articles;
    expect(raw).toContain('Original url:');
    expect(article.text).not.toContain('Original url:');
    expect(article.text.startsWith('Russian Defense Ministry')).toBe(true);
  });
});

describe('POST /api/chat', () => {
  it('answers who visited Beijing with a verbatim Belousov quote, its title and url', async () => {
    const { status, json } = await postJson(`${srv.url}/api/chat`, { question: 'Who is the Russian defense minister who visited Beijing?' });
    expect(status).toBe(200);
    expect(json.found).toBe(true);
    expect(json.answer).toContain('Belousov');
    const quote = json.quotes.find((q: any) => q.text.includes('Belousov'));
    expect(quote).toBeDefined();
    const article = await srv.archive.store.getArticle(quote.articleId);
    expect(article!.text.slice(quote.start, quote.end)).toBe(quote.text);
    expect(quote.title).toBe(article!.title);
    expect(quote.url).toMatch(/^https:\/\/www\.themoscowtimes\.com\/2024\/10\/14\//);
    expect(json.answer).toContain('[1]');
    expect(json.passages.length).toBeGreaterThan(0);
  });

  it.each(['What is the capital of France?', 'Who won the 2022 FIFA World Cup final?', 'What is the boiling point of water at sea level?'])(
    'says plainly that it cannot answer "%s" and quotes nothing',
    async (question) => {
      const { status, json } = await postJson(`${srv.url}/api/chat`, { question });
      expect(status).toBe(200);
      expect(json.found).toBe(false);
      expect(json.answer).toBe(NOT_FOUND);
      expect(json.quotes).toEqual([]);
    },
  );
});

describe('bad input', () => {
  it.each([
    ['a missing question', {}, 400],
    ['an empty question', { question: '   ' }, 400],
    ['a question that is not a string', { question: 42 }, 400],
    ['an over-long question', { question: 'x'.repeat(2001) }, 400],
    ['a bad history role', { question: 'Who?', history: [{ role: 'system', content: 'x' }] }, 400],
    ['malformed JSON', '{"question": ', 400],
    ['a JSON array', '[1,2]', 400],
    ['an oversized body', { question: 'x', pad: 'y'.repeat(200_000) }, 413],
  ])('answers %s with %s and a JSON error, then keeps serving', async (_name, body, code) => {
    const res = await postJson(`${srv.url}/api/chat`, body);
    expect(res.status).toBe(code);
    expect(res.json.error.message).toEqual(expect.any(String));
    expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
    const ok = await postJson(`${srv.url}/api/chat`, { question: 'Who did Belousov meet in Beijing?' });
    expect(ok.status).toBe(200);
  });

  it('answers unknown routes with 404 JSON', async () => {
    const res = await fetch(`${srv.url}/api/nope`);
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });

  it('reports model and index state on /api/health', async () => {
    const res = await fetch(`${srv.url}/api/health`);
    const json = await res.json();
    expect(json.model.loaded).toBe(true);
    expect(json.index).toMatchObject({ loaded: true, articles: 1 });
    expect(json.index.chunks).toBeGreaterThan(1);
  });

  it('serves the chat page', async () => {
    const res = await fetch(`${srv.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<form id="ask"');
  });
});
