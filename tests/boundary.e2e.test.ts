/**
 * The holes a hostile test found, on the real server: DNS-rebinding Host headers, bad dates,
 * url schemes and shapes that used to pass or crash. Each is a 4xx naming the field, and the
 * stored articles are all still there afterwards.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
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
    const res = await raw(srv.url, {
      method: 'DELETE',
      path: `/api/articles/${id}`,
      headers: { host: `evil.example:${port}`, origin: `http://evil.example:${port}` },
    });
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
    ['the impossible article date Feb 30 2024', JSON.stringify({ title: 'x', date: 'Feb 30 2024', text: 'Body.' }), /date "Feb 30 2024" is not a real date/],
    [
      'the impossible time 2024-10-14T25:99:00Z',
      JSON.stringify({ title: 'x', date: '2024-10-14T25:99:00Z', text: 'Body.' }),
      /date "2024-10-14T25:99:00Z" is not a real date/,
    ],
    [
      'a url with user:pass@',
      JSON.stringify({ title: 'x', url: 'https://user:pass@news.example/a', text: 'Body.' }),
      /url: must not carry a user name or password/,
    ],
  ];
  it.each(cases)('POST /api/articles with %s', async (_name, body, field) => {
    const before = await count();
    const res = await postJson(`${srv.url}/api/articles`, body);
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(field);
    expect(await count()).toBe(before);
  });

  it.each(['2024-13-45', '0000-00-00', '99999-01-01', '2023-02-29', 'Feb 30 2024', '2024-10-14T25:99:00Z'])(
    'POST /api/chat with since %s is a 400 naming since',
    async (since) => {
      const res = await postJson(`${srv.url}/api/chat`, { question: 'Who visited Beijing?', since });
      expect(res.status).toBe(400);
      expect(res.json.error.message).toMatch(/since must be a real date/);
    },
  );

  it('counts the question in characters: 1,000 emoji pass, 1,001 are a 400 naming question', async () => {
    const ok = await postJson(`${srv.url}/api/chat`, { question: '🛳'.repeat(1000) });
    expect(ok.status).toBe(200);
    const res = await postJson(`${srv.url}/api/chat`, { question: '🛳'.repeat(1001) });
    expect(res.status).toBe(400);
    expect(res.json.error.message).toMatch(/question must be at most 1000 characters/);
  });
});

describe('dates in MCP filters', () => {
  it.each(['Feb 30 2024', '2024-10-14T25:99:00Z', '2024-13-45'])('list_articles with since %s is a tool error naming since', async (since) => {
    const client = new Client({ name: 'archivist-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`)));
    try {
      const r = (await client.callTool({ name: 'list_articles', arguments: { since } })) as { isError?: boolean; content: { text: string }[] };
      expect(r.isError).toBe(true);
      expect(r.content[0].text).toMatch(/must be a real date such as 2024-10-14 at since/);
    } finally {
      await client.close();
    }
  });
});

describe('what names an article with a url', () => {
  it('keeps scheme and port: https on 8443 and http are two articles, and neither replaces the other', async () => {
    const post = (url: string, text: string) => postJson(`${srv.url}/api/articles`, { title: 'Harbour story', url, text });
    const a = await post('https://news.example:8443/story', 'The harbour story on port 8443.');
    const b = await post('http://news.example/story', 'The harbour story over plain http.');
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.json.articles[0]).toMatchObject({ status: 'added' });
    expect(a.json.articles[0].id).not.toBe(b.json.articles[0].id);
    for (const r of [a, b]) {
      const one = await (await fetch(`${srv.url}/api/articles/${r.json.articles[0].id}`)).json();
      expect(one.text).toMatch(/harbour story/);
      expect((await fetch(`${srv.url}/api/articles/${r.json.articles[0].id}`, { method: 'DELETE' })).status).toBe(200);
    }
  });

  it('stores and republishes the parsed href, not the string given', async () => {
    const res = await postJson(`${srv.url}/api/articles`, {
      title: 'Quoted',
      url: 'https://evil.example/a"><img src=x>',
      text: 'An article with a hostile url.',
    });
    expect(res.status).toBe(201);
    const one = await (await fetch(`${srv.url}/api/articles/${res.json.articles[0].id}`)).json();
    expect(one.url).toBe('https://evil.example/a%22%3E%3Cimg%20src=x%3E');
    await fetch(`${srv.url}/api/articles/${one.id}`, { method: 'DELETE' });
  });
});
