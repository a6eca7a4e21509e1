/** The live article API on the real model, the real index and a real HTTP server. */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootArchive } from '../src/boot.js';
import { createApp } from '../src/server/app.js';
import { LocalStore } from '../src/store/local.js';
import { listen, postJson, quiet, seedServer, tempDir, testConfig } from './helpers.js';

const FERRY = {
  title: 'Island ferry gets a new captain',
  date: '2024-06-02',
  text:
    'The Hallin island ferry has a new captain. Greta Solberg, who served as first mate for eleven years, took command of the ferry on Sunday.\n\n' +
    'She said the crossing would keep its timetable of six departures a day through the summer.',
};

let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  srv = await seedServer({ MAX_UPLOAD_BYTES: '20000' });
});
afterAll(async () => srv?.close());

const list = async (url = srv.url, query = '') => (await fetch(`${url}/api/articles${query}`)).json();
const ask = (question: string) => postJson(`${srv.url}/api/chat`, { question });
const upload = (name: string, content: string | Uint8Array, headers: Record<string, string> = {}, url = srv.url) => {
  const form = new FormData();
  form.append('file', new Blob([content as BlobPart]), name);
  return fetch(`${url}/api/articles`, { method: 'POST', body: form, headers }).then(async (r) => ({ status: r.status, json: await r.json() }));
};
const del = (id: string, headers: Record<string, string> = {}, url = srv.url) => fetch(`${url}/api/articles/${id}`, { method: 'DELETE', headers });

describe('live article API round trip', () => {
  it('adds an article, answers from it, deletes it, and then no longer finds it', async () => {
    const before = await ask('Who is the new captain of the Hallin island ferry?');
    expect(before.json.quotes.some((q: any) => q.text.includes('Solberg'))).toBe(false);

    const added = await postJson(`${srv.url}/api/articles`, FERRY);
    expect(added.status).toBe(201);
    const [{ id, status, chunks }] = added.json.articles;
    expect(status).toBe('added');
    expect(chunks).toBeGreaterThan(0);

    // Searchable as soon as the request returned, no restart.
    const answer = await ask('Who is the new captain of the Hallin island ferry?');
    expect(answer.json.found).toBe(true);
    const quote = answer.json.quotes.find((q: any) => q.articleId === id);
    expect(quote.text).toContain('Greta Solberg');
    expect(FERRY.text.slice(quote.start, quote.end)).toBe(quote.text);
    expect(quote).toMatchObject({ title: FERRY.title, date: FERRY.date });

    const listed = await list();
    expect(listed.items.find((a: any) => a.id === id)).toEqual({ id, title: FERRY.title, date: FERRY.date, url: null, source: 'api', chunks });
    const one = await (await fetch(`${srv.url}/api/articles/${id}`)).json();
    expect(one).toMatchObject({ id, title: FERRY.title, text: FERRY.text, source: 'api' });

    // Persisted: a separate reader of the index folder sees it.
    const disk = await LocalStore.open(srv.dir);
    expect((await disk.getArticle(id))?.title).toBe(FERRY.title);
    await disk.close();

    const removed = await del(id);
    expect(removed.status).toBe(200);
    expect((await fetch(`${srv.url}/api/articles/${id}`)).status).toBe(404);
    const after = await ask('Who is the new captain of the Hallin island ferry?');
    expect(after.json.quotes.some((q: any) => q.articleId === id || q.text.includes('Solberg'))).toBe(false);
    expect(after.json.passages.some((p: any) => p.articleId === id)).toBe(false);
    const disk2 = await LocalStore.open(srv.dir);
    expect(await disk2.getArticle(id)).toBeUndefined();
    await disk2.close();
  });

  it('answers 404 for deleting an unknown id', async () => {
    const res = await del('0000000000000000');
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('not_found');
  });

  it('gives url-less articles their own ids, and re-posting the same one changes nothing', async () => {
    const a = await postJson(`${srv.url}/api/articles`, { title: 'Note A', text: 'The first note about the harbour wall.' });
    const b = await postJson(`${srv.url}/api/articles`, { title: 'Note B', text: 'The second note about the harbour wall.' });
    expect(a.json.articles[0].id).not.toBe(b.json.articles[0].id);
    const again = await postJson(`${srv.url}/api/articles`, { title: 'Note A', text: 'The first note about the harbour wall.' });
    expect(again.status).toBe(200);
    expect(again.json.articles[0]).toMatchObject({ id: a.json.articles[0].id, status: 'unchanged' });
    for (const r of [a, b]) expect((await del(r.json.articles[0].id)).status).toBe(200);
  });

  it('replaces an article posted again under the same url', async () => {
    const url = 'https://news.example/market-hall';
    const first = await postJson(`${srv.url}/api/articles`, { title: 'Market hall', url, text: 'The market hall opens at eight.' });
    const second = await postJson(`${srv.url}/api/articles`, { title: 'Market hall', url, text: 'The market hall opens at nine from Monday.' });
    expect(second.json.articles[0]).toMatchObject({ id: first.json.articles[0].id, status: 'replaced' });
    const one = await (await fetch(`${srv.url}/api/articles/${first.json.articles[0].id}`)).json();
    expect(one.text).toBe('The market hall opens at nine from Monday.');
    await del(first.json.articles[0].id);
  });

  it.each([
    ['note.txt', 'Tram line extended\nMay 5, 2024\n\nThe number 4 tram now runs to Ostvik.\n\nOriginal url:\nhttps://news.example/tram'],
    ['note.md', '---\ntitle: Tram line extended\ndate: 2024-05-05\nurl: https://news.example/tram\n---\nThe number 4 tram now runs to Ostvik.'],
    [
      'note.html',
      '<html><head><title>Tram line extended</title><link rel="canonical" href="https://news.example/tram"><meta name="date" content="2024-05-05"></head><body><article><p>The number 4 tram now runs to Ostvik, the city transport office announced on Sunday.</p></article></body></html>',
    ],
    [
      'note.json',
      JSON.stringify({ title: 'Tram line extended', url: 'https://news.example/tram', date: '2024-05-05', text: 'The number 4 tram now runs to Ostvik.' }),
    ],
    [
      'note.jsonl',
      `${JSON.stringify({ title: 'Tram line extended', url: 'https://news.example/tram', date: '2024-05-05', text: 'The number 4 tram now runs to Ostvik.' })}\n`,
    ],
  ])('takes an uploaded %s file with its title, date and url', async (name, content) => {
    const res = await upload(name, content);
    expect(res.status).toBe(201);
    const [{ id }] = res.json.articles;
    const one = await (await fetch(`${srv.url}/api/articles/${id}`)).json();
    expect(one).toMatchObject({ title: 'Tram line extended', date: '2024-05-05', url: 'https://news.example/tram', source: 'api' });
    expect(one.text).toContain('The number 4 tram now runs to Ostvik');
    expect((await del(id)).status).toBe(200);
  });

  it('stores an article twice in one upload once, the last version', async () => {
    const rec = (text: string) => JSON.stringify({ title: 'Canal dredging', url: 'https://news.example/canal', text });
    const res = await upload(
      'two.jsonl',
      `${rec('Dredging of the Maren canal starts in April.')}\n${rec('Dredging of the Maren canal starts in September.')}\n`,
    );
    expect(res.status).toBe(201);
    expect(res.json.articles).toHaveLength(1);
    const { id } = res.json.articles[0];
    expect((await (await fetch(`${srv.url}/api/articles/${id}`)).json()).text).toContain('September');
    const hits = await srv.archive.store.keywordSearch('Maren canal dredging', 10);
    expect(hits).toHaveLength(1);
    await del(id);
    expect(await srv.archive.store.keywordSearch('Maren canal dredging', 10)).toEqual([]);
  });

  it('pages the article list', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3])
      ids.push(
        (await postJson(`${srv.url}/api/articles`, { title: `Page test ${n}`, date: `2020-01-0${n}`, text: `Paging article number ${n}.` })).json.articles[0]
          .id,
      );
    const all = await list();
    const page = await list(srv.url, '?offset=1&limit=2');
    expect(page).toMatchObject({ total: all.total, offset: 1, limit: 2 });
    expect(page.items.map((a: any) => a.id)).toEqual(all.items.slice(1, 3).map((a: any) => a.id));
    expect((await fetch(`${srv.url}/api/articles?limit=0`)).status).toBe(400);
    expect((await fetch(`${srv.url}/api/articles?offset=-1`)).status).toBe(400);
    for (const id of ids) await del(id);
  });

  it('takes concurrent writes without losing any, and keeps answering while it writes', async () => {
    const before = (await list()).total;
    const writes = Array.from({ length: 5 }, (_, i) =>
      postJson(`${srv.url}/api/articles`, {
        title: `Concurrent ${i}`,
        text: `Concurrent article ${i} about the river lock at Tessel, which reopened after repairs number ${i}.`,
      }),
    );
    const reads = Array.from({ length: 3 }, () => ask('Who is the Russian defense minister who visited Beijing?'));
    const [w, r] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
    expect(w.map((x) => x.status)).toEqual([201, 201, 201, 201, 201]);
    expect(r.every((x) => x.status === 200 && x.json.found)).toBe(true);
    expect((await list()).total).toBe(before + 5);
    const disk = await LocalStore.open(srv.dir);
    expect((await disk.counts()).articles).toBe(before + 5);
    await disk.close();
    for (const x of w) await del(x.json.articles[0].id);
  });
});

describe('bad input is refused and nothing stored is lost', () => {
  const invalidUtf8 = new Uint8Array([0x48, 0x69, 0x20, 0xc3, 0x28, 0x0a, 0xff, 0xfe]);
  const binary = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d]);
  const cases: [string, () => Promise<{ status: number; json: any }>, number, RegExp][] = [
    ['empty text', () => postJson(`${srv.url}/api/articles`, { title: 'Empty', text: '   \n ' }), 400, /text is empty/],
    ['missing text', () => postJson(`${srv.url}/api/articles`, { title: 'No text' }), 400, /text/],
    ['a bad url', () => postJson(`${srv.url}/api/articles`, { title: 'x', url: 'not a url', text: 'Body.' }), 400, /url/],
    ['malformed JSON', () => postJson(`${srv.url}/api/articles`, '{"title": "x", "text": '), 400, /not valid JSON/],
    ['a JSON array body', () => postJson(`${srv.url}/api/articles`, '[{"text": "x"}]'), 400, /JSON object/],
    ['an empty uploaded file', () => upload('empty.txt', ''), 400, /text is empty/],
    ['a binary upload', () => upload('photo.txt', binary), 400, /binary/],
    ['an invalid UTF-8 upload', () => upload('latin1.txt', invalidUtf8), 400, /not valid UTF-8/],
    ['a malformed .json upload', () => upload('bad.json', '{"title": "x",'), 400, /not valid JSON/],
    ['an upload over MAX_UPLOAD_BYTES', () => upload('big.txt', `Big\n\n${'word '.repeat(5000)}`), 413, /larger than the limit of 20000 bytes/],
    ['an unknown format', () => upload('report.pdf', '%PDF-1.4 fake'), 415, /unknown format "\.pdf"/],
    [
      'a multipart body without a file',
      async () => {
        const form = new FormData();
        form.append('title', 'x');
        const r = await fetch(`${srv.url}/api/articles`, { method: 'POST', body: form });
        return { status: r.status, json: await r.json() };
      },
      400,
      /no file/,
    ],
    [
      'a plain-text body',
      async () => {
        const r = await fetch(`${srv.url}/api/articles`, { method: 'POST', body: 'just text', headers: { 'content-type': 'text/plain' } });
        return { status: r.status, json: await r.json() };
      },
      415,
      /send JSON/,
    ],
  ];

  it.each(cases)('refuses %s with a clear error, and the stored articles are all still there', async (_name, send, status, message) => {
    const before = await list(srv.url, '?limit=100');
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.json.error.message).toMatch(message);
    const after = await list(srv.url, '?limit=100');
    expect(after).toEqual(before);
    const still = await ask('Who is the Russian defense minister who visited Beijing?');
    expect(still.json.found).toBe(true);
    const disk = await LocalStore.open(srv.dir);
    expect((await disk.counts()).articles).toBe(before.total);
    await disk.close();
  });

  it('accepts a JSON article larger than BODY_LIMIT but within MAX_UPLOAD_BYTES', async () => {
    // BODY_LIMIT is 100kb for chat; use a server whose upload limit is larger.
    const dir = await tempDir();
    const config = testConfig(dir, { MAX_UPLOAD_BYTES: '400000', BODY_LIMIT: '1kb' });
    const archive = await bootArchive(config, quiet);
    const http = await listen(createApp({ archive, config, logger: quiet }));
    try {
      const text = Array.from({ length: 40 }, (_, i) => `Paragraph ${i} of the long council report on the harbour budget.`).join('\n\n');
      const res = await postJson(`${http.url}/api/articles`, { title: 'Long report', text });
      expect(res.status).toBe(201);
      expect((await postJson(`${http.url}/api/chat`, { question: 'x'.repeat(1200) })).status).toBe(413);
    } finally {
      await http.close();
      await archive.store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('write access', () => {
  it('requires the admin token when ADMIN_TOKEN is set; reads stay open', async () => {
    const s = await seedServer({ ADMIN_TOKEN: 'sesame-4711' });
    try {
      const none = await postJson(`${s.url}/api/articles`, FERRY);
      expect(none.status).toBe(401);
      expect(none.json.error.message).toMatch(/Authorization: Bearer/);
      expect((await postJson(`${s.url}/api/articles`, FERRY, { authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await upload('a.txt', 'A\n\nB text.', { authorization: 'Bearer wrong' }, s.url)).status).toBe(401);
      const ok = await postJson(`${s.url}/api/articles`, FERRY, { authorization: 'Bearer sesame-4711' });
      expect(ok.status).toBe(201);
      const id = ok.json.articles[0].id;
      expect((await del(id, {}, s.url)).status).toBe(401);
      expect((await list(s.url)).total).toBe(2);
      expect((await del(id, { authorization: 'Bearer sesame-4711' }, s.url)).status).toBe(200);
      expect((await list(s.url)).total).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('disables writes with an explanation on a non-loopback address without a token', async () => {
    // The app is configured for 0.0.0.0; the test still connects over loopback.
    const s = await seedServer({ HOST: '0.0.0.0' });
    try {
      const res = await postJson(`${s.url}/api/articles`, FERRY);
      expect(res.status).toBe(403);
      expect(res.json.error.message).toMatch(/writes are disabled .* 0\.0\.0\.0 without ADMIN_TOKEN/);
      const [seed] = (await list(s.url)).items;
      expect((await del(seed.id, {}, s.url)).status).toBe(403);
      expect((await list(s.url)).total).toBe(1);
    } finally {
      await s.close();
    }
  });
});

describe('chat filters', () => {
  // Five articles strongly about the dock strike (2019) and one that mentions it in passing (2024).
  // With only 2 candidates per search, an unfiltered search fills them with the 2019 articles:
  // the 2024 one can only come back if the filter narrows the search before ranking.
  let f: Awaited<ReturnType<typeof seedServer>>;
  const LATE = {
    title: 'Ferry fares rise in Valdoria',
    url: 'https://late.example/fares',
    date: '2024-02-01',
    text: "Ferry fares in Valdoria rise by ten percent in March. The operator also mentioned last year's dock strike in passing.",
  };
  beforeAll(async () => {
    f = await seedServer({ TOP_K: '2', CANDIDATES: '2' });
    for (let i = 0; i < 5; i++) {
      await postJson(`${f.url}/api/articles`, {
        title: `Valdoria dock strike, day ${i + 1}`,
        url: `https://early.example/strike-${i}`,
        date: `2019-03-0${i + 1}`,
        text: `The Valdoria dock strike entered day ${i + 1}. Dock workers on strike in Valdoria demanded higher wages, and the dock strike closed the port of Valdoria.`,
      });
    }
    await postJson(`${f.url}/api/articles`, LATE);
  });
  afterAll(async () => f?.close());

  const search = (body: object) => postJson(`${f.url}/api/chat`, { question: 'What happened in the Valdoria dock strike?', ...body });
  const urls = (json: any) => json.passages.map((p: any) => p.url);

  it('without filters, the strongly matching 2019 articles take every place', async () => {
    const { json } = await search({});
    expect(json.passages.length).toBeGreaterThan(0);
    expect(urls(json).every((u: string) => u.startsWith('https://early.example/'))).toBe(true);
  });

  it.each([
    ['since (the 2024 seed article passes it too)', { since: '2024-01-01' }, (p: any) => p.date >= '2024-01-01'],
    ['sources (a url prefix)', { sources: ['https://late.example/'] }, (p: any) => p.url === LATE.url],
    ['since and until', { since: '2024-01-01', until: '2024-06-30' }, (p: any) => p.url === LATE.url],
  ])('with %s, returns the matching article that ranked below the others', async (_name, filter, allowed) => {
    const { status, json } = await search(filter);
    expect(status).toBe(200);
    expect(urls(json)).toContain(LATE.url);
    expect(json.passages.every(allowed)).toBe(true);
  });

  it('with until, leaves out everything after it', async () => {
    const { json } = await search({ until: '2019-03-02' });
    expect(json.passages.length).toBeGreaterThan(0);
    expect(json.passages.every((p: any) => p.date <= '2019-03-02')).toBe(true);
  });

  it('with an article id in sources, searches only that article', async () => {
    const late = (await (await fetch(`${f.url}/api/articles?limit=100`)).json()).items.find((a: any) => a.url === LATE.url);
    const { json } = await search({ sources: [late.id] });
    expect(json.passages.map((p: any) => p.articleId)).toEqual(expect.arrayContaining([late.id]));
    expect(json.passages.every((p: any) => p.articleId === late.id)).toBe(true);
  });
});
