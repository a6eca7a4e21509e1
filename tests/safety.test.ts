/** Guards found in review: no code from front matter, no writes from other sites, one writer. */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeArticle } from '../src/corpus/article.js';
import { parseMarkdown } from '../src/corpus/markdown.js';
import { AppError } from '../src/errors.js';
import { fromAnotherSite } from '../src/server/middleware/auth.js';
import { LocalStore } from '../src/store/local.js';
import { postJson, seedServer, tempDir } from './helpers.js';

describe('parseMarkdown', () => {
  it('refuses JavaScript front matter instead of running it', () => {
    const g = globalThis as { pwned?: string };
    delete g.pwned;
    const md = '---js\n{ title: (globalThis.pwned = "yes", "t") }\n---\nBody text here.';
    expect(() => parseMarkdown(md)).toThrow(AppError);
    expect(g.pwned).toBeUndefined();
  });

  it('answers malformed YAML front matter with a bad_request error', () => {
    try {
      parseMarkdown('---\ntitle: [unclosed\n---\nBody');
      expect.unreachable();
    } catch (e) {
      expect((e as AppError).code).toBe('bad_request');
    }
  });

  it('still reads YAML front matter', () => {
    expect(parseMarkdown('---\ntitle: Cranes\nurl: https://example.com/c\n---\nText.')).toMatchObject({ title: 'Cranes', url: 'https://example.com/c' });
  });
});

describe('fromAnotherSite', () => {
  const loopback = new Set(['127.0.0.1', 'localhost', '[::1]']);
  it.each([
    ['cross-site', undefined, true],
    ['same-origin', 'http://127.0.0.1:3000', false],
    [undefined, 'http://evil.example', true],
    [undefined, 'http://evil.example:3000', true],
    [undefined, 'null', true],
    [undefined, undefined, false],
    // localhost and 127.0.0.1 on the same port are the same site, whatever Sec-Fetch-Site says
    ['cross-site', 'http://localhost:3000', false],
    [undefined, 'http://[::1]:3000', false],
    [undefined, 'http://localhost:8080', true],
    [undefined, 'file:///page.html', true],
  ])('Sec-Fetch-Site %s, Origin %s → %s', (site, origin, want) => {
    expect(fromAnotherSite(site, origin, '127.0.0.1:3000', loopback)).toBe(want);
  });
});

describe('POST /api/articles from another site', () => {
  let srv: Awaited<ReturnType<typeof seedServer>>;
  beforeAll(async () => {
    srv = await seedServer();
  });
  afterAll(async () => srv?.close());

  it('is refused without a token, and the same request without an Origin is accepted', async () => {
    const body = { title: 'Harbour cranes', text: 'The port authority said its four new cranes were in service on Monday.' };
    const evil = await postJson(`${srv.url}/api/articles`, body, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    expect((await srv.archive.store.counts()).articles).toBe(1);
    const ok = await postJson(`${srv.url}/api/articles`, body);
    expect(ok.status).toBe(201);
  });
});

describe('LocalStore with two writers', () => {
  const settings = { model: 'm', dims: 2, chunkSize: 800, chunkOverlap: 100 };
  const record = (title: string) => {
    const article = makeArticle({ title, text: `${title} text.` }, `${title}.txt`);
    return { article, chunks: [{ id: `${article.id}:0`, articleId: article.id, start: 0, end: article.text.length }], vectors: [new Float32Array([1, 0])] };
  };

  it("lands both writers' changes, and each sees the other's at once", async () => {
    const dir = await tempDir();
    const first = await LocalStore.open(dir);
    await first.reset(settings);
    await first.apply({ put: [record('one')], remove: [] });
    const a = await LocalStore.open(dir);
    const b = await LocalStore.open(dir);
    await Promise.all([a.apply({ put: [record('two')], remove: [] }), b.apply({ put: [record('three')], remove: [] })]);
    for (const s of [first, a, b]) {
      expect((await s.listArticles({ offset: 0, limit: 10 })).items.map((i) => i.title).sort()).toEqual(['one', 'three', 'two']);
    }
    await b.apply({ put: [], remove: [record('one').article.id] });
    expect(await a.getArticle(record('one').article.id)).toBeUndefined();
    expect((await a.vectorSearch(new Float32Array([1, 0]), 10)).map((h) => h.chunkId).sort()).toEqual(
      [record('three'), record('two')].map((r) => r.chunks[0].id).sort(),
    );
    for (const s of [first, a, b]) await s.close();
    const reopened = await LocalStore.open(dir);
    expect((await reopened.counts()).articles).toBe(2);
    await reopened.close();
    await rm(dir, { recursive: true, force: true });
  });
});
