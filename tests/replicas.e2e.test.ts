/**
 * Two Archivist servers on different ports over one PostgreSQL database (PGlite with pgvector,
 * over the wire protocol): what one writes, the other answers from at once; nothing on local disk.
 */
import { readdir, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPglite, type PgliteServer } from '../tools/pglite.js';
import { bootArchive } from '../src/boot.js';
import { postJson, quiet, seedServer, tempDir, testConfig } from './helpers.js';

type Replica = Awaited<ReturnType<typeof seedServer>>;

/** One Archivist server (real model, HTTP on a free port) over the shared database. */
const replica = (databaseUrl: string): Promise<Replica> => seedServer({ STORE: 'postgres', DATABASE_URL: databaseUrl });

const LISBON = {
  title: 'Lisbon approves airport tram line',
  url: 'https://city.example/2025/03/03/lisbon-tram',
  date: '2025-03-03',
  text:
    'The Lisbon city council approved a new tram line to the airport on Monday. ' +
    'Mayor Carlos Moedas said the line would open in 2027 and carry 40,000 passengers a day.\n\n' +
    'Opposition councillors asked for a study of the cost before construction begins.',
};
const QUESTION = 'What did the Lisbon city council approve?';

let pg: PgliteServer;
let a: Replica;
let b: Replica;
beforeAll(async () => {
  pg = await startPglite();
  a = await replica(pg.url);
  b = await replica(pg.url);
});
afterAll(async () => {
  await a?.close();
  await b?.close();
  await pg?.stop();
});

describe('two replicas over one PostgreSQL database', () => {
  it('both serve the seed article, ingested once', async () => {
    const [ha, hb] = await Promise.all([fetch(`${a.url}/api/health`), fetch(`${b.url}/api/health`)]).then((r) => Promise.all(r.map((x) => x.json())));
    expect(ha.index).toMatchObject({ store: 'postgres', articles: 1 });
    expect(hb.index).toEqual(ha.index);
    const { status, json } = await postJson(`${b.url}/api/chat`, { question: 'Who is the Russian defense minister who visited Beijing?' });
    expect(status).toBe(200);
    expect(json.answer).toContain('Belousov');
  });

  it('answers through one replica from an article added through the other, then forgets it when the other deletes it', async () => {
    const added = await postJson(`${a.url}/api/articles`, LISBON);
    expect(added.status).toBe(201);
    const [{ id, status }] = added.json.articles;
    expect(status).toBe('added');

    const asked = await postJson(`${b.url}/api/chat`, { question: QUESTION });
    expect(asked.status).toBe(200);
    expect(asked.json.found).toBe(true);
    const quote = asked.json.quotes.find((q: { articleId: string }) => q.articleId === id);
    expect(quote).toBeDefined();
    expect(quote.text).toContain('approved a new tram line to the airport');
    expect(quote.title).toBe(LISBON.title);
    expect(quote.url).toBe(LISBON.url);
    const stored = await b.archive.store.getArticle(id);
    expect(stored!.text.slice(quote.start, quote.end)).toBe(quote.text);

    const removed = await fetch(`${b.url}/api/articles/${id}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);

    expect((await fetch(`${a.url}/api/articles/${id}`)).status).toBe(404);
    const again = await postJson(`${a.url}/api/chat`, { question: QUESTION });
    expect(again.status).toBe(200);
    expect(again.json.quotes.map((q: { articleId: string }) => q.articleId)).not.toContain(id);
    expect(again.json.passages.map((p: { articleId: string }) => p.articleId)).not.toContain(id);
    expect(again.json.answer).not.toContain('tram');
  });

  it('refuses to start a replica with other chunk settings, leaving the shared database as it was', async () => {
    const before = await a.archive.store.counts();
    const dir = await tempDir('archivist-replica-');
    try {
      const config = testConfig(dir, { STORE: 'postgres', DATABASE_URL: pg.url, CHUNK_SIZE: '500' });
      await expect(bootArchive(config, quiet)).rejects.toThrow(/other settings.*chunkSize 800 → 500.*--rebuild/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(await a.archive.store.counts()).toEqual(before);
    expect((await a.archive.store.settings())?.chunkSize).toBe(800);
  });

  it('keeps nothing on local disk', async () => {
    expect(await readdir(a.dir)).toEqual([]);
    expect(await readdir(b.dir)).toEqual([]);
  });
});
