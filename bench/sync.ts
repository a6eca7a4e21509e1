/**
 * Feed sync benchmark: `npm run bench:ingest -- --sync 200 [--json sync.json]`.
 *
 * A local news site (tests/newsServer.ts on loopback) serves an RSS feed of N entries whose
 * pages carry N articles of real text (bench/corpus.ts). Measured in this one process, model
 * loaded before any timing:
 * 1. baseline: the same N articles written straight through `archive.put` into an empty index;
 * 2. the first sync of the feed into another empty index: fetch feed, N pages, read, embed, save;
 * 3. a second sync with nothing new (the feed answers 304): its time and requests.
 * FETCH_MIN_DELAY_MS is 0 here unless set: the politeness delay is a deliberate wait, not cost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArchive } from '../src/archive.js';
import { archiveOptions } from '../src/boot.js';
import { loadConfig } from '../src/config.js';
import { createEmbedder } from '../src/embed.js';
import { openSources } from '../src/sources/service.js';
import { LocalStore } from '../src/store/local.js';
import { rss, startNewsServer, storyPage } from '../tests/newsServer.js';
import { distractorArticles } from './corpus.js';

const say = (s: string) => process.stderr.write(`${s}\n`);
const r1 = (n: number) => Math.round(n * 10) / 10;

/** Runs the sync benchmark for `n` feed entries and returns its figures. */
export async function syncBench(n: number) {
  const articles = await distractorArticles(n);
  const stories = articles.map((a, i) => ({
    slug: `s${i}`,
    title: a.title,
    date: new Date(Date.UTC(2024, 9, 1) + i * 3_600_000).toISOString(),
    text: a.text.split(/\n\n+/),
  }));
  const site = await startNewsServer({
    routes: (base) => ({
      '/robots.txt': { type: 'text/plain', body: 'User-agent: *\nAllow: /\n' },
      '/rss.xml': {
        type: 'application/rss+xml',
        body: rss(
          stories.map((s) => ({ path: `/articles/${s.slug}`, title: s.title, date: s.date })),
          base,
        ),
      },
      ...Object.fromEntries(stories.map((s) => [`/articles/${s.slug}`, { type: 'text/html; charset=utf-8', body: storyPage(s, base) }])),
    }),
  });
  const work = await mkdtemp(join(tmpdir(), 'archivist-bench-sync-'));
  try {
    const config = loadConfig({
      FETCH_MIN_DELAY_MS: '0',
      ...process.env,
      INDEX_DIR: join(work, 'sync'),
      ALLOW_PRIVATE_SOURCES: 'true',
      SYNC_MAX_ENTRIES: String(n),
      LOG_LEVEL: 'silent',
    });
    const embedder = await createEmbedder(config);
    await embedder.vectors(['warm up']);

    say(`baseline: ${n} articles straight through archive.put …`);
    const baseStore = await LocalStore.open(join(work, 'direct'));
    const direct = createArchive({ store: baseStore, embedder, options: archiveOptions(config) });
    let t = performance.now();
    await direct.put(articles);
    const putSec = (performance.now() - t) / 1000;
    await baseStore.close();

    say(`first sync of a feed of ${n} entries …`);
    const store = await LocalStore.open(config.indexDir);
    const archive = createArchive({ store, embedder, options: archiveOptions(config) });
    const sources = await openSources(config, archive);
    const { entry } = await sources.registry.add({ url: `${site.base}/rss.xml` });
    t = performance.now();
    const first = await sources.syncer.sync(entry.def.id);
    const firstSec = (performance.now() - t) / 1000;
    const requestsFirst = [...site.hits.values()].reduce((a, b) => a + b, 0);

    say('second sync, nothing new …');
    t = performance.now();
    const second = await sources.syncer.sync(entry.def.id);
    const secondMs = performance.now() - t;
    const requestsSecond = [...site.hits.values()].reduce((a, b) => a + b, 0) - requestsFirst;
    const { chunks } = await store.counts();
    await sources.close();
    await store.close();
    return {
      entries: n,
      added: first.added,
      skipped: first.skipped.length,
      chunks,
      firstSyncSec: r1(firstSec * 10) / 10,
      entriesPerSec: r1(n / firstSec),
      directPutSec: r1(putSec * 10) / 10,
      syncOverDirectPut: Math.round((firstSec / putSec) * 100) / 100,
      requestsFirst,
      secondSyncMs: r1(secondMs),
      secondSyncNotModified: second.notModified,
      secondSyncAdded: second.added,
      requestsSecond,
      notModifiedResponses: site.notModified(),
      minDelayMs: config.fetchMinDelayMs,
    };
  } finally {
    await site.close();
    await rm(work, { recursive: true, force: true });
  }
}
