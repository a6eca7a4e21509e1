/** Small articles with seeded vectors, for store tests that need no model. */
import { makeArticle } from '../src/corpus/article.js';
import type { ArticleRecord } from '../src/store/types.js';

const WORDS = ['harbour', 'lantern', 'orchard', 'glacier', 'meadow', 'quarry', 'beacon', 'canyon', 'thicket', 'estuary'];

/** Article `i`: a unique keyword (`word<i>`) in its text and a unit vector that depends only on `i`. */
export function smallRecord(i: number, dims = 8, version = 0): ArticleRecord {
  const text = `The ${WORDS[i % WORDS.length]} story number ${i} mentions word${i}x${version} once. It is a short article for the store tests.`;
  const article = makeArticle({ title: `Story ${i}`, url: `https://store.example/${i}`, date: '2024-05-01', text }, `test:${i}`);
  return { article, chunks: [{ id: `${article.id}:0`, articleId: article.id, start: 0, end: text.length }], vectors: [seededVector(i * 7 + version, dims)] };
}

export function seededVector(seed: number, dims = 8): Float32Array {
  // 32-bit integer arithmetic (Math.imul): in plain doubles the products lose their low bits and
  // thousands of seeds fall on a few hundred vectors.
  let x = (Math.imul(seed, 2654435761) + 1) >>> 0;
  const v = Float32Array.from({ length: dims }, () => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x / 4294967296 - 0.5;
  });
  const n = Math.hypot(...v);
  return v.map((a) => a / n);
}
