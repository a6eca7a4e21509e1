/**
 * Synthetic articles for the scale benchmark (bench/scale.ts): real sentences, vectors made from
 * real vectors. The model embeds ~50 chunks a second here, so a million chunks cannot be embedded
 * for a benchmark; what is synthetic must still look real to both indexes:
 *
 * - Text: each article is paragraphs of whole sentences drawn at random from a pool of real
 *   sentences (news or prose already on the machine), so the keyword index sees a real vocabulary,
 *   real word frequencies and real sentence lengths. Chunks are cut by the real chunker.
 * - Vectors: each article draws PARENTS real chunk vectors (embedded by the real model); each of
 *   its chunks gets a random convex mix of them (weights uniform on the simplex, i.e. Dirichlet(1,…,1))
 *   plus Gaussian noise of norm ≈ NOISE, normalised to unit length. The vectors therefore lie where
 *   real news vectors lie (same cone, same spread, chunks of one article close to each other),
 *   which is what the HNSW graph's speed and recall depend on; they do not describe their text.
 *
 * Everything is seeded: the same arguments give the same archive on every run.
 */
import { makeArticle, type Article } from '../src/corpus/article.js';
import { chunkArticle, type ChunkSettings } from '../src/ingest/chunk.js';
import type { ArticleRecord } from '../src/store/types.js';
import { sentences } from '../src/text.js';

/** Real vectors mixed into each synthetic article's chunks. */
export const PARENTS = 3;
/** Norm of the Gaussian noise added to each mix before normalising (a unit vector is 1). */
export const NOISE = 0.25;

/** mulberry32: a small, fast, seeded generator (Math.random cannot be seeded). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller). */
function gaussian(rand: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = rand() || Number.MIN_VALUE;
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

/**
 * Whole sentences of real articles that read as prose: 40–400 characters, with a few words.
 * `skip` drops sentences the benchmark must not reuse (e.g. ones holding a sample's gold answer).
 */
export function sentencePool(articles: Pick<Article, 'text'>[], skip: (sentence: string) => boolean = () => false): string[] {
  const out = new Set<string>();
  for (const a of articles) {
    for (const s of sentences(a.text)) {
      const t = a.text.slice(s.start, s.end).replace(/\s+/g, ' ').trim();
      if (t.length >= 40 && t.length <= 400 && /\p{L}{3,} \p{L}{3,} \p{L}{3,}/u.test(t) && !skip(t)) out.add(t);
    }
  }
  return [...out];
}

/** A unit vector: a random convex mix of `parents` plus noise of norm ≈ NOISE. */
export function mixVector(parents: Float32Array[], rand: () => number, normal: () => number, noise = NOISE): Float32Array {
  const dims = parents[0].length;
  const w = parents.map(() => -Math.log(rand() || Number.MIN_VALUE));
  const sum = w.reduce((a, b) => a + b, 0);
  const v = new Float32Array(dims);
  const sigma = noise / Math.sqrt(dims);
  for (let j = 0; j < parents.length; j++) {
    const p = parents[j];
    const wj = w[j] / sum;
    for (let i = 0; i < dims; i++) v[i] += wj * p[i];
  }
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    v[i] += sigma * normal();
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm);
  for (let i = 0; i < dims; i++) v[i] /= norm;
  return v;
}

export interface SyntheticOptions {
  /** Real sentences to draw from (see sentencePool). */
  pool: string[];
  /** Real chunk vectors to mix (see mixVector). */
  vectors: Float32Array[];
  chunking: ChunkSettings;
  seed: number;
  /** Characters per article, roughly (the real sample's mean is a good choice). */
  meanChars: number;
  /** Dates are spread evenly over [from, to] (YYYY-MM-DD). */
  dates: { from: string; to: string };
}

/**
 * Synthetic article `i` of an archive, with its chunks and vectors, ready for `Store.apply`.
 * The same options and `i` always give the same record.
 * @example const rec = syntheticRecord(0, opts); await store.apply({ put: [rec], remove: [] });
 */
export function syntheticRecord(i: number, opts: SyntheticOptions): ArticleRecord {
  const rand = seeded(opts.seed * 1_000_003 + i);
  const normal = gaussian(rand);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  const target = opts.meanChars * (0.5 + rand());
  const paragraphs: string[] = [];
  let length = 0;
  while (length < target) {
    const n = 2 + Math.floor(rand() * 4);
    const p = Array.from({ length: n }, () => pick(opts.pool)).join(' ');
    paragraphs.push(p);
    length += p.length + 2;
  }
  const from = Date.parse(opts.dates.from);
  const span = Math.max(0, Date.parse(opts.dates.to) - from);
  const date = new Date(from + Math.floor(rand() * (span / 86_400_000 + 1)) * 86_400_000).toISOString().slice(0, 10);
  const title = pick(opts.pool)
    .split(' ')
    .slice(0, 12)
    .join(' ')
    .replace(/[,;:.]$/, '');
  const article = makeArticle({ title, url: `https://synthetic.example/${i}`, date, text: paragraphs.join('\n\n') }, 'synthetic');
  const chunks = chunkArticle(article, opts.chunking);
  const parents = Array.from({ length: PARENTS }, () => pick(opts.vectors));
  return { article, chunks, vectors: chunks.map(() => mixVector(parents, rand, normal)) };
}
