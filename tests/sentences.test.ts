/**
 * Sentence vectors made at ingest: answering embeds only the question; an index without them
 * still answers (embedding what it lacks) and the background fill makes them, the same vectors
 * the model gives at query time.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveOptions } from '../src/boot.js';
import { createArchive } from '../src/archive.js';
import { spanVector } from '../src/answering/sentenceVectors.js';
import { makeArticle } from '../src/corpus/article.js';
import { createEmbedder, type Embedder } from '../src/embed.js';
import { buildRecords, indexSettings } from '../src/ingest/ingest.js';
import { fillSentences, sentenceSpans, sentenceText, SENTENCES_VERSION } from '../src/ingest/sentences.js';
import { LocalStore } from '../src/store/local.js';
import { tempDir, testConfig } from './helpers.js';

const articles = [
  makeArticle(
    {
      title: 'Defense minister visits China',
      date: '2024-10-14',
      text: [
        'Russian Defense Minister Andrei Belousov arrived in Beijing on Monday for two days of talks.',
        'He met his Chinese counterpart Dong Jun and pledged closer military ties between the two countries.',
        'Related article: [Drills in the Pacific](#)',
        'The visit follows joint naval drills held in the Sea of Japan last month.',
      ].join('\n'),
    },
    'a.txt',
  ),
  makeArticle(
    {
      title: 'Harvest festival draws crowds',
      date: '2024-10-12',
      text: 'The village harvest festival drew record crowds this autumn. Organisers counted twelve thousand visitors over the weekend. Next year the festival moves to a larger field.',
    },
    'b.txt',
  ),
];

let dir: string;
let embedder: Embedder;
const embedded: string[] = [];
const config = () => testConfig(dir);

beforeAll(async () => {
  dir = await tempDir('archivist-sentences-');
  embedder = await createEmbedder(config());
  const vectors = embedder.vectors.bind(embedder);
  embedder.vectors = (texts, onBatch) => {
    embedded.push(...texts);
    return vectors(texts, onBatch);
  };
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function openWith(records: Awaited<ReturnType<typeof buildRecords>>, name: string) {
  const store = await LocalStore.open(`${dir}/${name}`);
  await store.reset(indexSettings(embedder, archiveOptions(config()).chunking));
  await store.apply({ put: records, remove: [] });
  return { store, archive: createArchive({ store, embedder, options: archiveOptions(config()) }) };
}

describe('sentenceSpans', () => {
  it('leaves out page furniture and keeps every other sentence', () => {
    const texts = sentenceSpans(articles[0]).map((s) => articles[0].text.slice(s.start, s.end));
    expect(texts).toHaveLength(3);
    expect(texts.some((t) => t.startsWith('Related article'))).toBe(false);
  });
});

describe('answering with sentence vectors made at ingest', () => {
  it('embeds nothing at query time but the question', async () => {
    const { store, archive } = await openWith(await buildRecords(articles, embedder, archiveOptions(config()).chunking), 'made');
    embedded.length = 0;
    const r = await archive.ask({ question: 'Who did Belousov meet in Beijing?' });
    expect(r.found).toBe(true);
    expect(r.quotes.length).toBeGreaterThan(0);
    expect(embedded).toEqual(['Who did Belousov meet in Beijing?']);
    await store.close();
  });

  it('answers the same from an index without them, and the fill makes the vectors the model gives', async () => {
    const records = (await buildRecords(articles, embedder, archiveOptions(config()).chunking)).map(({ sentences: _s, ...r }) => r);
    const { store, archive } = await openWith(records, 'filled');
    expect(await store.lackingSentences(SENTENCES_VERSION, '', 10)).toHaveLength(2);
    embedded.length = 0;
    const before = await archive.ask({ question: 'Who did Belousov meet in Beijing?' });
    expect(embedded.length).toBeGreaterThan(1);

    expect(await fillSentences({ store, embedder })).toBe(2);
    expect(await store.lackingSentences(SENTENCES_VERSION, '', 10)).toEqual([]);
    embedded.length = 0;
    const after = await archive.ask({ question: 'Who did Belousov meet in Beijing?' });
    expect(embedded).toEqual(['Who did Belousov meet in Beijing?']);
    expect(after.quotes.map((q) => q.text)).toEqual(before.quotes.map((q) => q.text));

    const set = (await store.sentenceSets([articles[1].id])).get(articles[1].id)!;
    const [direct] = await embedder.vectors([sentenceText(articles[1].text, set.spans[1])]);
    expect([...spanVector(set, set.spans[1].start, set.spans[1].end)!].map((x) => x.toFixed(5))).toEqual([...direct].map((x) => x.toFixed(5)));
    await store.close();
  });
});

describe('spanVector', () => {
  const set = {
    version: 1,
    hash: 'h',
    spans: [
      { start: 0, end: 10 },
      { start: 11, end: 21 },
      { start: 400, end: 410 },
    ],
    vectors: [Float32Array.from([1, 0]), Float32Array.from([0, 1]), Float32Array.from([-1, 0])],
  };

  it.each([
    ['one sentence', 0, 10, [1, 0]],
    ['two joined, weighted by their characters and normalised', 0, 21, [Math.SQRT1_2, Math.SQRT1_2]],
  ])('gives %s its vector', (_what, start, end, want) => {
    expect([...spanVector(set, start, end)!].map((x) => x.toFixed(5))).toEqual(want.map((x) => x.toFixed(5)));
  });

  it.each([
    ['a start no sentence has', 5, 10],
    ['an end no sentence has', 0, 15],
  ])('gives nothing for %s', (_what, start, end) => {
    expect(spanVector(set, start, end)).toBeUndefined();
  });
});
