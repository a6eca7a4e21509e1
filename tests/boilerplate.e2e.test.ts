/**
 * Boilerplate on the real path: the real model and HNSW index over the seed article and the news
 * fixture set; marked lines are stored with the article, kept out of chunks and never quoted.
 */
import { join } from 'node:path';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchive } from '../src/archive.js';
import { archiveOptions, openStore } from '../src/boot.js';
import { createEmbedder } from '../src/embed.js';
import { loadEvalSet } from '../src/eval/dataset.js';
import { goldBoilerplateSpans, overlapsAny } from '../src/eval/newsMetrics.js';
import { ingest, type IngestReport } from '../src/ingest/ingest.js';
import { inBoilerplate } from '../src/ingest/boilerplate.js';
import { postJson, quiet, REPO, seedServer, tempDir, testConfig } from './helpers.js';

describe('the seed article', () => {
  let srv: Awaited<ReturnType<typeof seedServer>>;
  beforeAll(async () => {
    srv = await seedServer();
  });
  afterAll(async () => srv?.close());

  it('stores the "Related article:" line and the photo credit as boilerplate, text unchanged', async () => {
    const { items } = await srv.archive.store.listArticles({ offset: 0, limit: 1 });
    const article = (await srv.archive.store.getArticle(items[0].id))!;
    const lines = (article.boilerplate ?? []).map(([s, e]) => article.text.slice(s, e));
    expect(lines).toContain('Russian Defense Ministry');
    expect(lines.some((l) => l.startsWith('Related article: [Russia-China Alliance'))).toBe(true);
  });

  it.each([
    'When did Belousov arrive in Beijing?',
    'What do Russia and China say about artificial intelligence and dictators?',
    'Who did the Russian defense minister meet in Beijing?',
  ])('never quotes boilerplate for "%s"', async (question) => {
    const { json } = await postJson(`${srv.url}/api/chat`, { question });
    const article = (await srv.archive.store.getArticle(json.quotes[0]?.articleId ?? json.passages[0].articleId))!;
    for (const q of json.quotes) {
      expect(q.text).not.toContain('Related article');
      expect(inBoilerplate(article.boilerplate, q.start, q.end)).toBe(false);
    }
  });
});

describe('the news fixture set', () => {
  let dir: string;
  let report: IngestReport;
  let archive: ReturnType<typeof createArchive>;
  let store: Awaited<ReturnType<typeof openStore>>;
  const set = loadEvalSet(join(REPO, 'eval/news/questions.jsonl'));
  beforeAll(async () => {
    dir = await tempDir();
    const config = testConfig(dir);
    const embedder = await createEmbedder(config);
    store = await openStore(config, quiet);
    const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
    report = await ingest({ store, embedder, chunking, articles: (await set).articles });
    archive = createArchive({ store, embedder, options: archiveOptions(config) });
  });
  afterAll(async () => {
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports how many lines it marked, and marks every gold boilerplate line', async () => {
    const { articles, gold } = await set;
    const lines = new Set(gold!.boilerplate);
    const goldCount = articles.reduce((n, a) => n + goldBoilerplateSpans(a.text, lines).length, 0);
    expect(report.boilerplateLines).toBe(goldCount);
    for (const a of articles) {
      const stored = (await store.getArticle(a.id))!;
      expect(stored.text).toBe(a.text);
      for (const [s, e] of goldBoilerplateSpans(a.text, lines)) expect(inBoilerplate(stored.boilerplate, s, e), a.text.slice(s, e)).toBe(true);
    }
  });

  it('keeps boilerplate out of every stored chunk', async () => {
    const { articles } = await set;
    const ids = articles.flatMap((a) => Array.from({ length: 10 }, (_, i) => `${a.id}:${i}`));
    const chunks = await store.getChunks(ids);
    expect(chunks.length).toBeGreaterThanOrEqual(articles.length);
    for (const { chunk, article } of chunks) expect(inBoilerplate(article.boilerplate, chunk.start, chunk.end)).toBe(false);
  });

  it("quotes no gold boilerplate line in answers to the set's questions", async () => {
    const { questions, gold } = await set;
    const lines = new Set(gold!.boilerplate);
    for (const q of questions.slice(0, 40)) {
      const r = await archive.ask({ question: q.question, history: q.history });
      for (const quote of r.quotes) {
        const text = (await store.getArticle(quote.articleId))!.text;
        expect(overlapsAny(quote, goldBoilerplateSpans(text, lines)), `${q.id}: ${quote.text}`).toBe(false);
      }
    }
  });
});
