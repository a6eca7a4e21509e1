/**
 * One contract, two stores: the same cases and assertions run against the local-files store
 * (a temp folder) and the PostgreSQL store (PGlite with pgvector, over the wire with `pg`).
 */
import { rm } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { makeArticle } from '../src/corpus/article.js';
import { LocalStore } from '../src/store/local.js';
import { MIGRATIONS } from '../src/store/migrations.js';
import { PostgresStore, queryWords } from '../src/store/postgres.js';
import type { ArticleRecord, IndexSettings, SentenceSet, Store } from '../src/store/types.js';
import { startPglite, type PgliteServer } from '../tools/pglite.js';
import { tempDir } from './helpers.js';

const SETTINGS: IndexSettings = { model: 'test-model', dims: 4, chunkSize: 800, chunkOverlap: 100 };

const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return Float32Array.from(v.map((x) => x / n));
};

/** An article with its chunks cut at the given sentences and one vector per chunk. */
function record(input: { title: string; url?: string; date?: string; sentences: string[]; vectors: number[][] }, source = 'fixtures/x.txt'): ArticleRecord {
  const article = makeArticle({ title: input.title, url: input.url, date: input.date, text: input.sentences.join(' ') }, source);
  const chunks = input.sentences.map((s, i) => {
    const start = article.text.indexOf(s);
    return { id: `${article.id}:${i}`, articleId: article.id, start, end: start + s.length };
  });
  return { article, chunks, vectors: input.vectors.map(unit) };
}

const A = record({
  title: 'Belousov in Beijing',
  url: 'https://news.example/world/belousov',
  date: '2024-10-14',
  sentences: [
    'Russian Defense Minister Andrei Belousov will visit Beijing on Monday.',
    'He met Chinese Defense Minister Dong Jun and pledged closer military ties.',
  ],
  vectors: [
    [1, 0, 0, 0],
    [0.8, 0.6, 0, 0],
  ],
});
const B = record({
  title: 'Harvest festival',
  url: 'https://other.example/local/harvest',
  date: '2023-05-01',
  sentences: ['The village harvest festival drew record crowds this autumn.'],
  vectors: [[0, 1, 0, 0]],
});
const C = record(
  {
    title: 'Undated note',
    sentences: ['Markets were calm as traders awaited the central bank decision.'],
    vectors: [[0, 0, 1, 0]],
  },
  'notes/markets.txt',
);

const chunkIds = (r: ArticleRecord) => r.chunks.map((c) => c.id);
const ids = (hits: { chunkId: string }[]) => hits.map((h) => h.chunkId);
const [A0, A1] = chunkIds(A);
const [B0] = chunkIds(B);
const [C0] = chunkIds(C);

interface Harness {
  /** A new, empty store. */
  fresh(): Promise<Store>;
  /** The same data opened again (a restart, or another replica). */
  reopen(): Promise<Store>;
}

let pglite: PgliteServer;
beforeAll(async () => {
  pglite = await startPglite();
});
afterAll(async () => pglite?.stop());

/** Drops everything the migrations made, so the next open starts from an empty database. */
async function wipeDatabase(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('DROP TABLE IF EXISTS sentences, chunks, articles, settings, answers, schema_migrations CASCADE');
  } finally {
    await client.end();
  }
}

const implementations: [string, () => Harness & { cleanup(): Promise<void> }][] = [
  [
    'LocalStore',
    () => {
      let dir: string | undefined;
      return {
        async fresh() {
          dir = await tempDir('archivist-contract-');
          return LocalStore.open(dir);
        },
        reopen: () => LocalStore.open(dir!),
        cleanup: async () => {
          if (dir) await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'PostgresStore',
    () => ({
      async fresh() {
        await wipeDatabase(pglite.url);
        return PostgresStore.open(pglite.url);
      },
      reopen: () => PostgresStore.open(pglite.url),
      cleanup: async () => undefined,
    }),
  ],
];

describe.each(implementations)('Store contract: %s', (_name, make) => {
  let harness: ReturnType<typeof make>;
  let store: Store;
  const opened: Store[] = [];
  const reopen = async () => {
    const s = await harness.reopen();
    opened.push(s);
    return s;
  };

  beforeEach(async () => {
    harness = make();
    store = await harness.fresh();
    opened.push(store);
  });
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close();
    await harness.cleanup();
  });

  const loaded = async () => {
    await store.reset(SETTINGS);
    await store.apply({ put: [A, B, C], remove: [] });
  };

  describe('an empty store', () => {
    it('has no settings, no articles and finds nothing', async () => {
      expect(await store.settings()).toBeNull();
      expect(await store.counts()).toEqual({ articles: 0, chunks: 0 });
      expect(await store.listArticles({ offset: 0, limit: 10 })).toEqual({ total: 0, items: [] });
      expect((await store.fingerprints()).size).toBe(0);
      expect(await store.getArticle(A.article.id)).toBeUndefined();
      expect(await store.getChunks([A0])).toEqual([]);
      expect(await store.vectorSearch(unit([1, 0, 0, 0]), 5)).toEqual([]);
      expect(await store.keywordSearch('Beijing', 5)).toEqual([]);
    });

    it('refuses an apply before reset(settings)', async () => {
      await expect(store.apply({ put: [A], remove: [] })).rejects.toThrow(/reset\(settings\)/);
      expect(await store.counts()).toEqual({ articles: 0, chunks: 0 });
    });
  });

  describe('reset', () => {
    it('records the settings the vectors are made with', async () => {
      await store.reset(SETTINGS);
      expect(await store.settings()).toEqual(SETTINGS);
    });

    it('empties the store and takes vectors of the new dimension', async () => {
      await loaded();
      const wider = { ...SETTINGS, model: 'other-model', dims: 6 };
      await store.reset(wider);
      expect(await store.settings()).toEqual(wider);
      expect(await store.counts()).toEqual({ articles: 0, chunks: 0 });
      expect(await store.vectorSearch(unit([1, 0, 0, 0, 0, 0]), 5)).toEqual([]);
      const six = { ...B, vectors: [unit([0, 0, 0, 0, 0, 1])] };
      await store.apply({ put: [six], remove: [] });
      expect(ids(await store.vectorSearch(unit([0, 0, 0, 0, 0, 1]), 5))).toEqual([B0]);
      await expect(store.apply({ put: [A], remove: [] })).rejects.toThrow(/dimensions/);
    });
  });

  describe('apply', () => {
    it('stores articles, their chunks and fingerprints', async () => {
      await loaded();
      expect(await store.counts()).toEqual({ articles: 3, chunks: 4 });
      expect(await store.getArticle(A.article.id)).toEqual(A.article);
      expect(await store.getArticle(C.article.id)).toEqual(C.article);
      const fp = await store.fingerprints();
      expect(fp).toEqual(
        new Map([
          [A.article.id, { hash: A.article.hash, source: 'fixtures/x.txt' }],
          [B.article.id, { hash: B.article.hash, source: 'fixtures/x.txt' }],
          [C.article.id, { hash: C.article.hash, source: 'notes/markets.txt' }],
        ]),
      );
    });

    it('returns chunks in the order asked, with their articles, leaving unknown ids out', async () => {
      await loaded();
      const got = await store.getChunks([A1, 'nope:0', C0, A0]);
      expect(got.map((g) => g.chunk)).toEqual([A.chunks[1], C.chunks[0], A.chunks[0]]);
      expect(got[0].article).toEqual(A.article);
      expect(got[1].article).toEqual(C.article);
      expect(got[0].article.text.slice(got[0].chunk.start, got[0].chunk.end)).toBe(
        'He met Chinese Defense Minister Dong Jun and pledged closer military ties.',
      );
    });

    it('replaces an article and every one of its old chunks', async () => {
      await loaded();
      const A2 = record({
        title: 'Belousov in Beijing',
        url: A.article.url,
        date: '2024-10-15',
        sentences: ['Belousov flew home to Moscow on Tuesday.'],
        vectors: [[0, 0, 0, 1]],
      });
      expect(A2.article.id).toBe(A.article.id);
      await store.apply({ put: [A2], remove: [] });
      expect(await store.counts()).toEqual({ articles: 3, chunks: 3 });
      expect(await store.getArticle(A.article.id)).toEqual(A2.article);
      expect(await store.getChunks([A1])).toEqual([]);
      expect((await store.fingerprints()).get(A.article.id)?.hash).toBe(A2.article.hash);
      expect(await store.keywordSearch('Dong', 5)).toEqual([]);
      expect(ids(await store.keywordSearch('Moscow', 5))).toEqual([A0]);
      const [top] = await store.vectorSearch(unit([0, 0, 0, 1]), 1);
      expect(top.chunkId).toBe(A0);
      expect(top.score).toBeCloseTo(1, 4);
    });

    it('removes an article from listing, lookup and both searches', async () => {
      await loaded();
      await store.apply({ put: [], remove: [B.article.id] });
      expect(await store.counts()).toEqual({ articles: 2, chunks: 3 });
      expect(await store.getArticle(B.article.id)).toBeUndefined();
      expect(await store.getChunks([B0])).toEqual([]);
      expect(ids(await store.vectorSearch(unit([0, 1, 0, 0]), 10))).not.toContain(B0);
      expect(await store.keywordSearch('harvest festival', 10)).toEqual([]);
      expect((await store.listArticles({ offset: 0, limit: 10 })).total).toBe(2);
    });

    it('lands all of a change or none of it: a bad record after good ones leaves the old state', async () => {
      await loaded();
      const D = record({
        title: 'New article',
        url: 'https://news.example/new',
        date: '2024-11-01',
        sentences: ['A brand new story about Beijing.'],
        vectors: [[1, 1, 0, 0]],
      });
      const bad = record({ title: 'Bad vectors', url: 'https://news.example/bad', sentences: ['Vectors of the wrong size.'], vectors: [[1, 0, 0, 0]] });
      bad.vectors = [Float32Array.from([1, 0, 0])];
      await expect(store.apply({ put: [D, bad], remove: [C.article.id] })).rejects.toThrow(/dimensions/);
      expect(await store.counts()).toEqual({ articles: 3, chunks: 4 });
      expect(await store.getArticle(D.article.id)).toBeUndefined();
      expect(await store.getArticle(C.article.id)).toEqual(C.article);
      expect(ids(await store.keywordSearch('brand new story', 10))).toEqual([]);
      // and the store still takes good changes afterwards
      await store.apply({ put: [D], remove: [] });
      expect(await store.counts()).toEqual({ articles: 4, chunks: 5 });
    });

    it('keeps everything when opened again', async () => {
      await loaded();
      const again = await reopen();
      expect(await again.settings()).toEqual(SETTINGS);
      expect(await again.counts()).toEqual({ articles: 3, chunks: 4 });
      expect(await again.getArticle(A.article.id)).toEqual(A.article);
      expect(ids(await again.vectorSearch(unit([1, 0, 0, 0]), 2))).toEqual([A0, A1]);
      expect(ids(await again.keywordSearch('visited', 5))).toEqual([A0]);
    });
  });

  describe('sentence sets', () => {
    /** A set over A's two sentences, as ingest makes it (version 1, A's hash). */
    const setOf = (r: ArticleRecord, hash = r.article.hash): SentenceSet => ({
      version: 1,
      hash,
      spans: r.chunks.map((c) => ({ start: c.start, end: c.end })),
      vectors: r.vectors,
    });

    it('stores a set with its article, reads it back after a reopen and drops it with the article', async () => {
      await store.reset(SETTINGS);
      await store.apply({ put: [{ ...A, sentences: setOf(A) }, B], remove: [] });
      expect(await store.lackingSentences(1, '', 10)).toEqual([B.article.id]);
      const again = await reopen();
      const got = (await again.sentenceSets([A.article.id, B.article.id, 'nope'])).get(A.article.id)!;
      expect([...(await again.sentenceSets([A.article.id, B.article.id])).keys()]).toEqual([A.article.id]);
      expect(got.hash).toBe(A.article.hash);
      expect(got.spans).toEqual(setOf(A).spans);
      expect(got.vectors.map((v) => [...v])).toEqual(A.vectors.map((v) => [...v]));
      await again.apply({ put: [], remove: [A.article.id] });
      expect((await again.sentenceSets([A.article.id])).size).toBe(0);
    });

    it('lists articles lacking a set of this version in id order, and takes a fill only for the current text', async () => {
      await store.reset(SETTINGS);
      await store.apply({ put: [A, B, C], remove: [] });
      const all = [A, B, C].map((r) => r.article.id).sort();
      expect(await store.lackingSentences(1, '', 10)).toEqual(all);
      expect(await store.lackingSentences(1, all[0], 1)).toEqual([all[1]]);
      await store.putSentenceSets([
        { articleId: A.article.id, set: setOf(A) },
        { articleId: B.article.id, set: setOf(B, 'an-older-hash') },
      ]);
      expect(await store.lackingSentences(1, '', 10)).toEqual(all.filter((id) => id !== A.article.id));
      expect(await store.lackingSentences(2, '', 10)).toEqual(all);
      // A new text of A drops its set: the put carries none.
      const A2 = record({ title: A.article.title, url: A.article.url, sentences: ['Belousov flew home to Moscow on Tuesday.'], vectors: [[0, 0, 0, 1]] });
      await store.apply({ put: [A2], remove: [] });
      expect(await store.lackingSentences(1, '', 10)).toContain(A.article.id);
    });
  });

  describe('kept answers', () => {
    const answer = (n: number, at: string) => ({
      id: `ans${n}`,
      at,
      record: { question: `question ${n}`, quotes: [{ articleId: A.article.id, start: 0, end: 9 }] },
    });

    it('keeps, lists newest first, reads back by id and deletes', async () => {
      await store.saveAnswer(answer(1, '2026-01-01T10:00:00.000Z'));
      await store.saveAnswer(answer(2, '2026-01-02T10:00:00.000Z'));
      await store.saveAnswer(answer(3, '2026-01-03T10:00:00.000Z'));
      expect(await store.getAnswer('ans2')).toEqual({ ...answer(2, '2026-01-02T10:00:00.000Z'), feedback: null });
      expect(await store.getAnswer('nope')).toBeUndefined();
      const page = await store.listAnswers({ offset: 1, limit: 1 });
      expect(page.total).toBe(3);
      expect(page.items.map((a) => a.id)).toEqual(['ans2']);
      expect(await store.deleteAnswer('ans2')).toBe(true);
      expect(await store.deleteAnswer('ans2')).toBe(false);
      expect(await store.getAnswer('ans2')).toBeUndefined();
      expect((await store.listAnswers({ offset: 0, limit: 10 })).items.map((a) => a.id)).toEqual(['ans3', 'ans1']);
    });

    it('holds one current judgment per answer, kept across a restart and a rebuild of the articles', async () => {
      await loaded();
      await store.saveAnswer(answer(1, '2026-01-01T10:00:00.000Z'));
      await store.saveAnswer(answer(2, '2026-01-02T10:00:00.000Z'));
      expect(await store.setFeedback('ans1', { rating: 'down', reason: 'wrong year' })).toBe(true);
      expect(await store.setFeedback('ans1', { rating: 'up' })).toBe(true);
      expect(await store.setFeedback('missing', { rating: 'up' })).toBe(false);
      await store.reset(SETTINGS);
      await store.apply({ put: [B], remove: [] });
      const again = await reopen();
      expect(await again.judgedAnswers()).toEqual([{ ...answer(1, '2026-01-01T10:00:00.000Z'), feedback: { rating: 'up' } }]);
      expect((await again.getAnswer('ans2'))?.feedback).toBeNull();
    });

    it('prunes unjudged answers by age and by count as it saves, and never a judged one', async () => {
      await store.saveAnswer(answer(1, '2026-01-01T00:00:00.000Z'));
      await store.setFeedback('ans1', { rating: 'up' });
      await store.saveAnswer(answer(2, '2026-01-02T00:00:00.000Z'));
      await store.saveAnswer(answer(3, '2026-01-03T00:00:00.000Z'));
      await store.saveAnswer(answer(4, '2026-01-04T00:00:00.000Z'), { before: '2026-01-02T12:00:00.000Z' });
      expect((await store.listAnswers({ offset: 0, limit: 10 })).items.map((a) => a.id)).toEqual(['ans4', 'ans3', 'ans1']);
      await store.saveAnswer(answer(5, '2026-01-05T00:00:00.000Z'), { keep: 1 });
      expect((await store.listAnswers({ offset: 0, limit: 10 })).items.map((a) => a.id)).toEqual(['ans5', 'ans1']);
    });

    it('refuses a second answer with the same id', async () => {
      await store.saveAnswer(answer(1, '2026-01-01T00:00:00.000Z'));
      await expect(store.saveAnswer(answer(1, '2026-01-02T00:00:00.000Z'))).rejects.toThrow();
      expect((await store.getAnswer('ans1'))?.at).toBe('2026-01-01T00:00:00.000Z');
    });
  });

  describe('listArticles', () => {
    it('lists newest first, undated last, without text, with chunk counts', async () => {
      await loaded();
      const { total, items } = await store.listArticles({ offset: 0, limit: 10 });
      expect(total).toBe(3);
      expect(items.map((i) => i.id)).toEqual([A.article.id, B.article.id, C.article.id]);
      const { text: _text, ...meta } = A.article;
      expect(items[0]).toEqual({ ...meta, chunks: 2 });
      expect(items[2]).toEqual({ id: C.article.id, title: 'Undated note', source: 'notes/markets.txt', hash: C.article.hash, chunks: 1 });
      expect(items.every((i) => !('text' in i))).toBe(true);
    });

    it.each([
      [0, 2, [0, 1]],
      [1, 1, [1]],
      [2, 5, [2]],
      [3, 5, []],
    ])('pages with offset %i and limit %i', async (offset, limit, want) => {
      await loaded();
      const order = [A.article.id, B.article.id, C.article.id];
      const page = await store.listArticles({ offset, limit });
      expect(page.total).toBe(3);
      expect(page.items.map((i) => i.id)).toEqual(want.map((i) => order[i]));
    });
  });

  describe('vectorSearch', () => {
    it('ranks by cosine similarity, score 1 − distance, at most k', async () => {
      await loaded();
      const hits = await store.vectorSearch(unit([0.6, 0.8, 0, 0]), 4);
      expect(ids(hits)).toEqual([A1, B0, A0, C0]);
      expect(hits.map((h) => Number(h.score.toFixed(3)))).toEqual([0.96, 0.8, 0.6, 0]);
      expect(ids(await store.vectorSearch(unit([0.6, 0.8, 0, 0]), 2))).toEqual([A1, B0]);
    });

    it.each([
      ['since (undated articles are left out)', { since: '2024-01-01' }, [A1, A0]],
      ['until', { until: '2023-12-31' }, [B0]],
      ['since and until, by the day', { since: '2024-10-14T23:00:00Z', until: '2024-10-14' }, [A1, A0]],
      ['a url prefix', { sources: ['https://other.example/'] }, [B0]],
      ['an article id', { sources: [C.article.id] }, [C0]],
      ['ids and prefixes together', { sources: [C.article.id, 'https://news.example/world'] }, [A1, A0, C0]],
      ['a source that matches nothing', { sources: ['https://nowhere.example/'] }, []],
    ])('filters by %s before taking the top k', async (_name, filter, want) => {
      await loaded();
      expect(ids(await store.vectorSearch(unit([0.6, 0.8, 0, 0]), want.length || 2, filter))).toEqual(want);
    });
  });

  describe('keywordSearch', () => {
    it('stems: "visited" finds "visit"', async () => {
      await loaded();
      expect(ids(await store.keywordSearch('visited', 5))).toEqual([A0]);
    });

    it('needs only some of the words, and ranks chunks with more of them first', async () => {
      await loaded();
      expect(ids(await store.keywordSearch('defense minister Dong', 5))).toEqual([A1, A0]);
      expect(ids(await store.keywordSearch('Dong harvest', 5)).sort()).toEqual([A1, B0].sort());
    });

    it('ranks a word found in few chunks above one found in many (idf)', async () => {
      await loaded();
      const hits = ids(await store.keywordSearch('minister festival', 5));
      expect(hits[0]).toBe(B0);
      expect(hits.slice(1).sort()).toEqual([A0, A1].sort());
    });

    it('filters before ranking', async () => {
      await loaded();
      expect(ids(await store.keywordSearch('festival defense', 5, { until: '2023-12-31' }))).toEqual([B0]);
      expect(ids(await store.keywordSearch('festival defense', 5, { sources: ['https://news.example/'] })).sort()).toEqual([A0, A1].sort());
    });

    it.each(['the of and', '', '   ', '&|!():*'])('finds nothing for %j', async (q) => {
      await loaded();
      expect(await store.keywordSearch(q, 5)).toEqual([]);
    });

    it('takes punctuation and operators in a question as plain text', async () => {
      await loaded();
      expect(ids(await store.keywordSearch("Dong's (military) & | ! ties:*", 5))).toEqual([A1]);
    });
  });
});

describe('PostgresStore only', () => {
  beforeEach(() => wipeDatabase(pglite.url));

  it('applies the migrations once, even when replicas open together', async () => {
    const stores = await Promise.all([PostgresStore.open(pglite.url), PostgresStore.open(pglite.url), PostgresStore.open(pglite.url)]);
    const client = new pg.Client({ connectionString: pglite.url });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
      await stores[0].reset(SETTINGS);
      const idx = await client.query(`SELECT indexdef FROM pg_indexes WHERE tablename = 'chunks' ORDER BY indexname`);
      const defs = idx.rows.map((r) => r.indexdef).join('\n');
      expect(defs).toMatch(/USING hnsw \(embedding vector_cosine_ops\)/);
      expect(defs).toMatch(/USING gin \(tsv\)/);
      const col = await client.query(
        `SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'`,
      );
      expect(col.rows[0].t).toBe('vector(4)');
    } finally {
      await client.end();
      for (const s of stores) await s.close();
    }
  });

  it('says which database it cannot reach', async () => {
    await expect(PostgresStore.open('postgres://postgres:postgres@127.0.0.1:1/archivist')).rejects.toThrow(
      /store: cannot open the PostgreSQL database: .*ECONNREFUSED/,
    );
  });

  it('refuses a database migrated by a newer version', async () => {
    const store = await PostgresStore.open(pglite.url);
    await store.close();
    const client = new pg.Client({ connectionString: pglite.url });
    await client.connect();
    await client.query(`INSERT INTO schema_migrations (version, name) VALUES (999, 'from the future')`);
    await client.end();
    await expect(PostgresStore.open(pglite.url)).rejects.toThrow(/schema is at version 999/);
  });

  it('shares state between replicas at once, and concurrent writers never duplicate an article', async () => {
    const [one, two] = await Promise.all([PostgresStore.open(pglite.url), PostgresStore.open(pglite.url)]);
    try {
      await one.reset(SETTINGS);
      expect(await two.settings()).toEqual(SETTINGS);
      const A2 = { ...A, article: { ...A.article, hash: 'other' } };
      await Promise.all([
        one.apply({ put: [A, B], remove: [] }),
        two.apply({ put: [A2, C], remove: [] }),
        one.apply({ put: [A], remove: [] }),
        two.apply({ put: [A2], remove: [] }),
      ]);
      expect(await one.counts()).toEqual({ articles: 3, chunks: 4 });
      expect(await two.counts()).toEqual({ articles: 3, chunks: 4 });
      await two.apply({ put: [], remove: [A.article.id] });
      expect(await one.getArticle(A.article.id)).toBeUndefined();
      expect(ids(await one.vectorSearch(unit([1, 0, 0, 0]), 10))).not.toContain(A0);
    } finally {
      await one.close();
      await two.close();
    }
  });

  it.each([
    ['Who visited Beijing?', ['visited', 'beijing']],
    ["Belousov's trip: a|b & !c 'x' \\", ['belousov', 'trip', 'b', 'c', 'x']],
    ['the of and', []],
  ])('keeps only plain words of %j for full-text search', (q, want) => {
    expect(queryWords(q)).toEqual(want);
  });
});
