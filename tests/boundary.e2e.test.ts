/**
 * The holes a hostile test found, on the real server: DNS-rebinding Host headers, bad dates,
 * url schemes and shapes that used to pass or crash. Each is a 4xx naming the field, and the
 * stored articles are all still there afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { raw } from './rawHttp.js';
import { postJson, seedServer } from './helpers.js';

let srv: Awaited<ReturnType<typeof seedServer>>;
let port: string;
beforeAll(async () => {
  srv = await seedServer({ MAX_QUESTION_CHARS: '1000' });
  port = new URL(srv.url).port;
});
afterAll(async () => srv?.close());

const count = async () => (await (await fetch(`${srv.url}/api/articles?limit=100`)).json()).total as number;
const article = (n: number) => JSON.stringify({ title: `Rebinding ${n}`, text: `Rebinding article ${n} about the canal bridge at Orsk.` });

describe('requests from the wrong host (DNS rebinding)', () => {
  it.each([
    ['GET', '/api/articles', undefined],
    ['GET', '/api/health', undefined],
    ['POST', '/api/articles', article(1)],
    ['POST', '/api/chat', JSON.stringify({ question: 'Who visited Beijing?' })],
  ])('%s %s with Host: evil.example is 403 and changes nothing', async (method, path, body) => {
    const before = await count();
    const res = await raw(srv.url, {
      method,
      path,
      headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(403);
    expect(res.json.error.message).toMatch(/ALLOWED_HOSTS/);
    expect(await count()).toBe(before);
  });

  it('DELETE with a rebinding Host is 403 and the article stays', async () => {
    const added = await postJson(`${srv.url}/api/articles`, JSON.parse(article(2)));
    const id = added.json.articles[0].id;
    const res = await raw(srv.url, { method: 'DELETE', path: `/api/articles/${id}`, headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}` } });
    expect(res.status).toBe(403);
    expect((await fetch(`${srv.url}/api/articles/${id}`)).status).toBe(200);
    expect((await fetch(`${srv.url}/api/articles/${id}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('a page on localhost writing to the server at 127.0.0.1 (same port) is allowed', async () => {
    const res = await raw(srv.url, {
      method: 'POST',
      path: '/api/articles',
      headers: { host: `127.0.0.1:${port}`, origin: `http://localhost:${port}`, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' },
      body: article(3),
    });
    expect(res.status).toBe(201);
    await fetch(`${srv.url}/api/articles/${res.json.articles[0].id}`, { method: 'DELETE' });
  });

  it('a page of another port on localhost is refused', async () => {
    const res = await raw(srv.url, {
      method: 'POST',
      path: '/api/articles',
      headers: { host: `127.0.0.1:${port}`, origin: 'http://localhost:1', 'content-type': 'application/json' },
      body: article(4),
    });
    expect(res.status).toBe(403);
  });
});

describe('validation at the boundary: a 400 naming the field, nothing stored lost', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const cases: [string, string, RegExp][] = [
    ['a 200,000-deep nested array as title', `{"title": ${deep(200_000)}, "text": "Body."}`, /title/],
    ['a 200,000-deep nested array as text', `{"title": "x", "text": ${deep(200_000)}}`, /text/],
    ['an impossible article date 2024-13-45', JSON.stringify({ title: 'x', date: '2024-13-45', text: 'Body.' }), /date/],
    ['an invalid article date', JSON.stringify({ title: 'x', date: 'not a date', text: 'Body.' }), /date/],
    ['a javascript: url', JSON.stringify({ title: 'x', url: 'javascript:alert(1)', text: 'Body.' }), /url/],
    ['a file: url', JSON.stringify({ title: 'x', url: 'file:///etc/passwd', text: 'Body.' }), /url/],
    ['a data: url', JSON.stringify({ title: 'x', url: 'data:text/html,<b>x</b>', text: 'Body.' }), /url/],
    ['a vbscript: url', JSON.stringify({ title: 'x', url: 'vbscript:msgbox(1)', text: 'Body.' }), /url/],
  ];
  it.each(cases)('POST /api/articles with %s', async (_name, body, field) => {
    const before = await count();
    const res = await postJson(`${srv.url}/api/articles`, body);
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(field);
    expect(await count()).toBe(before);
  });

  it.each(['2024-13-45', '0000-00-00', '99999-01-01', '2023-02-29'])('POST /api/chat with since %s is a 400 naming since', async (since) => {
    const res = await postJson(`${srv.url}/api/chat`, { question: 'Who visited Beijing?', since });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/since must be a real date/);
  });

  it('counts the question in characters: 1,000 emoji pass, 1,001 are a 400 naming question', async () => {
    const ok = await postJson(`${srv.url}/api/chat`, { question: '🛳'.repeat(1000) });
    expect(ok.status).toBe(200);
    const res = await postJson(`${srv.url}/api/chat`, { question: '🛳'.repeat(1001) });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/question must be at most 1000 characters/);
  });
});
