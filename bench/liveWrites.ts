/**
 * Live writes on a large index (part of `npm run bench:ingest`): the time and the bytes one
 * article costs to add to an index of 10,000 articles, against writing the whole index out the
 * way the previous format did on every write (a new generation: HNSW graph + keyword index +
 * article table) and against one whole snapshot of the derived indexes, in the same run.
 *
 * The 10,000 background articles are real text (bench/corpus.ts) chunked for real, but their
 * vectors are SYNTHETIC (seeded random unit vectors): embedding them with the real model would
 * take about 40 minutes on this machine, and the write cost does not depend on what the vectors
 * say. The index is built once and cached in the temp folder between runs. The articles whose
 * writes are timed are real ones, embedded with the real model before the clock starts.
 */
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import type { Article } from '../src/corpus/article.js';
import { createEmbedder } from '../src/embed.js';
import { chunkArticle } from '../src/ingest/chunk.js';
import { buildRecords } from '../src/ingest/ingest.js';
import { indexBytes, LocalStore } from '../src/store/local.js';
import type { ArticleRecord } from '../src/store/types.js';
import { distractorArticles, syntheticVector } from './corpus.js';

const say = (s: string) => process.stderr.write(`${s}\n`);

/** Bytes this process has handed to write(2)/pwrite(2) so far, worker threads included. */
async function bytesWritten(): Promise<number> {
  return Number(/wchar:\s+(\d+)/.exec(await readFile('/proc/self/io', 'utf8'))![1]);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function writeSynced(path: string, data: string | Buffer) {
  const fh = await open(path, 'w');
  await fh.writeFile(data);
  await fh.sync();
  await fh.close();
}

/** The previous format's write, reproduced: the whole graph, keyword index and article table, fsynced. */
async function wholeGenerationWrite(store: LocalStore, dir: string): Promise<void> {
  const mem = (store as unknown as { mem: { parts(): { hnsw: { writeIndex(p: string): Promise<boolean> }; keyword: unknown }; rows: Map<string, unknown> } })
    .mem;
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir);
  const { hnsw, keyword } = mem.parts();
  await hnsw.writeIndex(join(dir, 'vectors.hnsw'));
  const fh = await open(join(dir, 'vectors.hnsw'), 'r+');
  await fh.sync();
  await fh.close();
  await writeSynced(join(dir, 'keyword.json'), JSON.stringify(keyword));
  await writeSynced(join(dir, 'articles.json'), JSON.stringify([...mem.rows.values()]));
  await writeSynced(join(dir, 'manifest.json'), JSON.stringify({ formatVersion: 1 }));
}

/** Runs in its own process (see bench/ingest.ts); returns the figures. */
export async function phaseLiveWrites(opts: { articles?: number; writes?: number } = {}) {
  const n = opts.articles ?? 10_000;
  const writes = opts.writes ?? 40;
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const embedder = await createEmbedder(config);
  const chunking = { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap };
  const all = await distractorArticles(n + writes);
  if (all.length < n + writes) throw new Error(`bench: only ${all.length} articles of text on this machine, need ${n + writes}`);
  const background = all.slice(0, n);
  const live = all.slice(n, n + writes);

  const cache = join(tmpdir(), 'archivist-bench-live', `n${n}-v2`);
  const index = join(cache, 'index');
  const ready = join(cache, 'READY');
  if (!(await readFile(ready, 'utf8').catch(() => ''))) {
    say(`bench: building the ${n}-article index once, with synthetic vectors (cached in ${cache}) …`);
    await rm(cache, { recursive: true, force: true });
    await mkdir(cache, { recursive: true });
    const store = await LocalStore.open(index);
    await store.reset({ model: embedder.model, dims: embedder.dims, ...chunking });
    for (let i = 0; i < background.length; i += 500) {
      const batch: ArticleRecord[] = [];
      for (const a of background.slice(i, i + 500) as Article[]) {
        const chunks = chunkArticle(a, chunking).map((c, k) => ({ id: `${a.id}:${k}`, articleId: a.id, start: c.start, end: c.end }));
        batch.push({ article: a, chunks, vectors: chunks.map((c) => syntheticVector(c.id, embedder.dims)) });
      }
      await store.apply({ put: batch, remove: [] });
    }
    await store.close(); // writes the snapshot the timed run starts from
    await writeFile(ready, new Date().toISOString());
  }

  // Real embeddings for the timed articles, computed before any clock starts.
  const records = await buildRecords(live, embedder, chunking);
  const t0 = performance.now();
  const store = await LocalStore.open(index);
  const openSec = (performance.now() - t0) / 1000;
  const counts = await store.counts();
  const times: number[] = [];
  const bytes: number[] = [];
  try {
    for (const rec of records) {
      const b0 = await bytesWritten();
      const s = performance.now();
      await store.apply({ put: [rec], remove: [] });
      times.push(performance.now() - s);
      bytes.push((await bytesWritten()) - b0);
    }
    // The baselines, in the same process and on the same index.
    const genDir = join(cache, 'whole-generation');
    const gen = { ms: [] as number[], bytes: [] as number[] };
    for (let i = 0; i < 3; i++) {
      const b0 = await bytesWritten();
      const s = performance.now();
      await wholeGenerationWrite(store, genDir);
      gen.ms.push(performance.now() - s);
      gen.bytes.push((await bytesWritten()) - b0);
    }
    await rm(genDir, { recursive: true, force: true });
    const b0 = await bytesWritten();
    const s = performance.now();
    const snapshotBytes = await store.checkpoint();
    const snapshotMs = performance.now() - s;
    const snapshotWchar = (await bytesWritten()) - b0;
    // Leave the cached index as it was: the timed articles go again (not timed).
    await store.apply({ put: [], remove: records.map((r) => r.article.id) });
    const medianBytes = quantile(bytes, 0.5);
    return {
      indexArticles: counts.articles,
      indexChunks: counts.chunks,
      syntheticBackgroundVectors: true,
      writes: times.length,
      openSec,
      addMedianMs: quantile(times, 0.5),
      addP95Ms: quantile(times, 0.95),
      addMedianBytes: medianBytes,
      addP95Bytes: quantile(bytes, 0.95),
      wholeGenerationMedianMs: quantile(gen.ms, 0.5),
      wholeGenerationBytes: quantile(gen.bytes, 0.5),
      wholeSnapshotMs: snapshotMs,
      wholeSnapshotBytes: Math.max(snapshotBytes, snapshotWchar),
      bytesShareOfWholeGeneration: medianBytes / quantile(gen.bytes, 0.5),
      indexMb: (await indexBytes(index)) / 1024 / 1024,
    };
  } finally {
    await store.close();
  }
}
