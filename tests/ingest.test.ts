/** Incremental ingest on the real model and the real local index, in temp folders. */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArchive } from '../src/archive.js';
import { archiveOptions, describeReport, openStore, syncFolder } from '../src/boot.js';
import { createLogger } from '../src/log.js';
import { apiArticle } from '../src/corpus/api.js';
import { loadCorpus } from '../src/corpus/load.js';
import { createEmbedder, Embedder, RUN_TOKENS } from '../src/embed.js';
import { makeArticle } from '../src/corpus/article.js';
import { ingest, INGEST_BATCH, rebuildReason } from '../src/ingest/ingest.js';
import { LocalStore } from '../src/store/local.js';
import { tempDir, testConfig } from './helpers.js';

const ARTICLES: Record<string, string> = {
  'harbour.txt': `Harbour cranes return to Valdoria
March 3, 2024

The port authority of Valdoria said on Monday that its four new harbour cranes were in service after a two-year delay.

Dock workers said the cranes would halve the time needed to unload a container ship.

Original url:
https://news.example/valdoria-cranes`,
  'orchard.md': `---
title: Apple growers in Lindfield face a late frost
date: 2024-04-12
url: https://news.example/lindfield-frost
---
A late frost on Thursday night damaged blossoms in most orchards around Lindfield, growers said.

The cooperative expects the apple harvest to be a third smaller than last year.`,
  'library.html': `<html><head><title>Old library reopens</title>
<link rel="canonical" href="https://news.example/old-library">
<meta property="article:published_time" content="2024-05-20T09:00:00Z"></head>
<body><article><h1>Old library reopens</h1>
<p>The old town library of Brackenridge reopened on Saturday after a restoration of its reading room that took three years.</p>
<p>The librarian, Mira Oduya, said twelve thousand volumes had been cleaned and rebound by hand.</p></article></body></html>`,
};

let embedder: Embedder;
let root: string;
const lines: string[] = [];
/** The messages the ingest logs, in order. */
const log = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line).msg) });

beforeAll(async () => {
  root = await tempDir('archivist-ingest-');
  embedder = await createEmbedder(testConfig(root));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

/** A fresh corpus folder and an empty index folder. */
async function setup(files: Record<string, string> = ARTICLES) {
  const base = await mkdtemp(join(root, 'case-'));
  const corpus = join(base, 'corpus');
  const index = join(base, 'index');
  await mkdir(corpus);
  for (const [name, text] of Object.entries(files)) await writeFile(join(corpus, name), text);
  const config = testConfig(index, { SEEDS_DIR: corpus });
  const sync = async (env: Record<string, string> = {}) => {
    const cfg = testConfig(index, { SEEDS_DIR: corpus, ...env });
    const store = await openStore(cfg, log);
    const report = await syncFolder({ store, embedder, config: cfg, dir: corpus, log });
    return { store, report };
  };
  return { base, corpus, index, config, sync };
}

/** The article log's last change number: unchanged means nothing was written. */
const lastChange = (index: string) => {
  const db = new Database(join(index, 'articles.db'), { readonly: true });
  try {
    return (db.prepare('SELECT max(seq) AS s FROM changes').get() as { s: number }).s;
  } finally {
    db.close();
  }
};

describe('ingest', () => {
  it('builds a new index from a folder and reports why it built everything', async () => {
    const { sync } = await setup();
    const { store, report } = await sync();
    expect(report.rebuilt).toBe('no index yet');
    expect(report.added).toHaveLength(3);
    expect(report.chunksEmbedded).toBe((await store.counts()).chunks);
    expect((await store.counts()).articles).toBe(3);
  });

  it('embeds nothing on a second run over an unchanged folder, says so, and writes nothing', async () => {
    const { sync, index } = await setup();
    await (await sync()).store.close();
    const before = lastChange(index);
    lines.length = 0;
    const { report } = await sync();
    expect(report).toMatchObject({ added: [], changed: [], removed: [], unchanged: 3, chunksEmbedded: 0, rebuilt: undefined });
    expect(lines.at(-1)).toBe('index is up to date: nothing to embed (3 articles unchanged)');
    expect(lastChange(index)).toBe(before);
  });

  it('re-embeds only a changed article and serves its new text, not the old', async () => {
    const { sync, corpus } = await setup();
    const first = await sync();
    const frostId = (await loadCorpus(corpus)).articles.find((a) => a.title.includes('frost'))!.id;
    const others = [...(await first.store.fingerprints()).keys()].filter((id) => id !== frostId);
    const kept = await Promise.all(others.map((id) => first.store.getArticle(id)));
    await first.store.close();
    await writeFile(join(corpus, 'orchard.md'), ARTICLES['orchard.md'].replace('a third smaller', 'a quarter smaller, said Tomas Brennick'));

    const { store, report } = await sync();
    expect(report.changed).toEqual([frostId]);
    expect(report.added).toEqual([]);
    expect(report.unchanged).toBe(2);
    expect(report.chunksEmbedded).toBe((await store.listArticles({ offset: 0, limit: 10 })).items.find((a) => a.id === frostId)!.chunks);
    expect((await store.getArticle(frostId))!.text).toContain('Tomas Brennick');
    expect(await store.keywordSearch('Brennick', 5)).toHaveLength(1);
    expect(await store.keywordSearch('third', 5)).toEqual([]);
    // The untouched articles are the very same records.
    for (const a of kept) expect(await store.getArticle(a!.id)).toEqual(a);
  });

  it("removes a deleted file's article and its chunks, but keeps articles added through the API", async () => {
    const { sync, corpus, config } = await setup();
    const first = await sync();
    const archive = createArchive({ store: first.store, embedder, options: archiveOptions(config) });
    const [added] = await archive.put([
      apiArticle({ title: 'Ferry timetable changes', text: 'The island ferry will leave at 7:15 from June onwards, the operator said.' }),
    ]);
    expect(added.status).toBe('added');
    await first.store.close();
    const library = (await loadCorpus(corpus)).articles.find((a) => a.title === 'Old library reopens')!;
    await rm(join(corpus, 'library.html'));

    const { store, report } = await sync();
    expect(report.removed).toEqual([library.id]);
    expect(await store.getArticle(library.id)).toBeUndefined();
    expect(await store.keywordSearch('Oduya librarian', 5)).toEqual([]);
    expect(await store.getChunks([`${library.id}:0`])).toEqual([]);
    expect((await store.getArticle(added.id))?.source).toBe('api');
    expect((await store.counts()).articles).toBe(3);
  });

  it('stores the same article under two file names once and reports the duplicate', async () => {
    const { sync } = await setup({
      ...ARTICLES,
      'copy-of-harbour.txt': ARTICLES['harbour.txt'],
      'same-url.md': `---\ntitle: Cranes (updated headline)\nurl: https://news.example/valdoria-cranes/\n---\nOther text.`,
    });
    lines.length = 0;
    const { store } = await sync();
    expect((await store.counts()).articles).toBe(3);
    expect(lines).toContain('duplicate: harbour.txt is the same article as copy-of-harbour.txt; stored once');
    expect(lines).toContain('duplicate: same-url.md is the same article as copy-of-harbour.txt; stored once');
  });

  it('rebuilds everything with the reason when the chunk settings change', async () => {
    const { sync } = await setup();
    await (await sync()).store.close();
    lines.length = 0;
    const { store, report } = await sync({ CHUNK_SIZE: '120', CHUNK_OVERLAP: '20' });
    expect(report.rebuilt).toBe('settings changed: chunkSize 800 → 120, chunkOverlap 100 → 20');
    expect(report.added).toHaveLength(3);
    expect(lines.at(-1)).toMatch(/^ingest: full build \(settings changed: chunkSize 800 → 120, chunkOverlap 100 → 20\), 3 added/);
    expect(await store.settings()).toMatchObject({ chunkSize: 120, chunkOverlap: 20 });
    const { items } = await store.listArticles({ offset: 0, limit: 10 });
    expect(items.every((a) => a.chunks >= 2)).toBe(true);
  });

  it('rebuilds with the reason when the index was made by another model, keeping API articles', async () => {
    const { sync, index, config } = await setup();
    const first = await sync();
    const archive = createArchive({ store: first.store, embedder, options: archiveOptions(config) });
    const [api] = await archive.put([apiArticle({ title: 'Ferry timetable changes', text: 'The island ferry will leave at 7:15 from June onwards.' })]);
    await first.store.close();
    // An index written by an older model: the log's settings are the record of what made the vectors.
    const db = new Database(join(index, 'articles.db'));
    const settings = JSON.parse((db.prepare(`SELECT value FROM meta WHERE key = 'settings'`).get() as { value: string }).value);
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'settings'`).run(JSON.stringify({ ...settings, model: 'Xenova/all-MiniLM-L6-v2' }));
    db.close();

    const { store, report } = await sync();
    expect(report.rebuilt).toBe(`settings changed: model Xenova/all-MiniLM-L6-v2 → ${embedder.model}`);
    expect(report.added).toHaveLength(4);
    expect((await store.settings())!.model).toBe(embedder.model);
    expect((await store.getArticle(api.id))?.source).toBe('api');
    const [hit] = await store.vectorSearch((await embedder.vectors(['When does the island ferry leave?']))[0], 1);
    expect(hit.chunkId.startsWith(api.id)).toBe(true);
  });
});

describe('ingest of a corpus larger than a batch', () => {
  it('stores it in changes of at most INGEST_BATCH articles, the first with the reset, and all of it', async () => {
    const dir = await mkdtemp(join(root, 'batches-'));
    const store = await LocalStore.open(join(dir, 'index'));
    const changes: number[] = [];
    // The real store, with each change's size written down on the way through.
    const apply = store.apply.bind(store);
    store.apply = (change) => {
      changes.push(change.put.length);
      return apply(change);
    };
    const n = INGEST_BATCH + 20;
    const articles = Array.from({ length: n }, (_, i) =>
      makeArticle(
        {
          title: `Council note ${i}`,
          url: `https://news.example/note-${i}`,
          text: `The council of town ${i} met on Monday and agreed item ${i} of its budget.`,
        },
        `note-${i}.txt`,
      ),
    );
    const progress: [number, number][] = [];
    const report = await ingest({
      store,
      embedder,
      chunking: { chunkSize: 800, chunkOverlap: 100 },
      articles,
      onProgress: (_s, done, total) => progress.push([done, total]),
    });
    expect(changes).toEqual([INGEST_BATCH, 20]);
    expect(report.added).toHaveLength(n);
    expect(await store.counts()).toEqual({ articles: n, chunks: n });
    const [done, total] = progress.at(-1)!;
    expect(done).toBe(total);
    expect(total).toBeGreaterThanOrEqual(n);
    await store.close();
  }, 180_000);
});

describe('rebuildReason', () => {
  const base = { model: 'm', dims: 384, chunkSize: 800, chunkOverlap: 100 };
  it.each([
    [null, undefined],
    [base, undefined],
    [{ ...base, model: 'old' }, 'settings changed: model old → m'],
    [{ ...base, dims: 768 }, 'settings changed: dims 768 → 384'],
    [{ ...base, chunkOverlap: 50 }, 'settings changed: chunkOverlap 50 → 100'],
  ])('for stored %o returns %s', (stored, want) => {
    expect(rebuildReason(stored, base)).toBe(want);
  });
});

describe('describeReport', () => {
  it('says the index is up to date when nothing changed', () => {
    expect(describeReport({ added: [], changed: [], removed: [], unchanged: 7, chunksEmbedded: 0, boilerplateLines: 0, ms: 3 })).toBe(
      'index is up to date: nothing to embed (7 articles unchanged)',
    );
  });
});

describe('Embedder.vectors', () => {
  it('returns each text its own vector, in order, whatever batch it was embedded in', async () => {
    // Short prose, a long token-dense line (urls) and everything between: the batches differ by size.
    const texts = [
      'Dock workers said the cranes would halve the time needed.',
      `See ${Array.from({ length: 60 }, (_, i) => `https://example.org/a/${i}?q=${i}`).join(' ')}`,
      ...Array.from({ length: 20 }, (_, i) => `Paragraph ${i}: ${'the council met again and agreed the budget '.repeat(1 + (i % 7))}`),
    ];
    const together = await embedder.vectors(texts);
    const alone = await Promise.all(texts.map(async (t) => (await embedder.vectors([t]))[0]));
    together.forEach((v, i) => {
      const cos = v.reduce((s, x, d) => s + x * alone[i][d], 0);
      expect(cos).toBeGreaterThan(0.999);
    });
  });

  it('gives no run of the model more than RUN_TOKENS tokens, padding included, so one run holds the event loop briefly', async () => {
    const runs: string[][] = [];
    const count = embedder.countTokens!;
    const recording = new Embedder(
      embedder.model,
      embedder.dims,
      16,
      async (texts) => {
        runs.push(texts);
        const vectors = await embedder.vectors(texts);
        return { data: Float32Array.from(vectors.flatMap((v) => [...v])), dims: [texts.length, embedder.dims] };
      },
      count,
    );
    // 40 sentences of ~20 tokens: 16 to a batch by count alone (320 tokens), and 12 paragraphs of ~100 tokens (16 × 100 by count alone).
    const texts = [
      ...Array.from({ length: 40 }, (_, i) => `Sentence ${i}: the ferry to Brevik leaves the new quay at seven.`),
      ...Array.from({ length: 12 }, (_, i) => `Paragraph ${i}: ${'the council met again and agreed the budget for the harbour '.repeat(8)}`),
    ];
    const vectors = await recording.vectors(texts);
    expect(vectors).toHaveLength(texts.length);
    expect(runs.flat().sort()).toEqual([...texts].sort());
    for (const run of runs) expect(run.length * Math.max(...run.map((t) => Math.min(512, count(t))))).toBeLessThanOrEqual(RUN_TOKENS);
    expect(Math.max(...runs.map((r) => r.length))).toBeGreaterThan(1);
  });
});
