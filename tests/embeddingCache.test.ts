/** The evaluation's embedding cache on the real model: a text embedded once is read back, not embedded again. */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder } from '../src/embed.js';
import { CachedEmbedder } from '../src/eval/embeddingCache.js';
import { tempDir, testConfig } from './helpers.js';

let root: string;
let model: Embedder;

beforeAll(async () => {
  root = await tempDir('archivist-embcache-');
  model = await createEmbedder(testConfig(root));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('embedding cache', () => {
  it("embeds only texts it has not stored, across runs, and returns the model's vectors", async () => {
    const file = join(root, 'cache', 'embeddings.sqlite');
    const texts = ['The council opened a tram line.', 'Bo Li won the chess final.'];
    const first = new CachedEmbedder(model, file);
    const a = await first.vectors(texts);
    expect(first.stats).toEqual({ hits: 0, misses: 2 });
    first.close();

    const second = new CachedEmbedder(model, file);
    const b = await second.vectors([texts[1], 'A third text, new to the cache.', texts[0]]);
    expect(second.stats).toEqual({ hits: 2, misses: 1 });
    const direct = await model.vectors([texts[1], 'A third text, new to the cache.', texts[0]]);
    for (const [i, v] of b.entries()) {
      expect(v).toHaveLength(model.dims);
      for (let d = 0; d < v.length; d++) expect(v[d]).toBeCloseTo(direct[i][d], 5);
    }
    expect(Array.from(b[2])).toEqual(Array.from(a[0]));
    second.close();
  });
});
