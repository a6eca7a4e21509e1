/**
 * Syndicated copies: near-duplicate articles (one wire story published by several outlets, each
 * with its own furniture) found at ingest by MinHash over word 5-shingles of the prose (marked
 * boilerplate left out), with LSH banding so a large archive is not compared pair by pair. Every
 * article is kept; copies share a `cluster` (the id of the story's first-stored article), which
 * the answer uses to quote a story once and list the other outlets under the quote.
 *
 * Written here: the npm MinHash packages we found (`minhash` 0.0.9 and its forks) are years
 * without a release; the algorithm is forty lines and needs no dependency.
 */
import type { Article } from '../corpus/article.js';
import { inBoilerplate } from './boilerplate.js';

const SHINGLE = 5;
const HASHES = 64;
const BANDS = 16; // 16 bands of 4 rows: pairs with Jaccard 0.75 meet in a band with p ≈ 0.999
const ROWS = HASHES / BANDS;
/** Estimated Jaccard similarity of shingles above which two articles are copies of one story. */
export const COPY_THRESHOLD = 0.75;

/** murmur3's 32-bit finaliser: spreads the bits of a hash. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over a string, 32 bits. */
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const SEEDS = Array.from({ length: HASHES }, (_, i) => mix(0x9e3779b9 + i * 0x7f4a7c15));

/** Lower-cased words of the article's prose (its boilerplate lines left out). */
function proseWords(a: Pick<Article, 'text' | 'boilerplate'>): string[] {
  const words: string[] = [];
  for (const m of a.text.matchAll(/[\p{L}\p{N}]+/gu)) {
    if (!inBoilerplate(a.boilerplate, m.index!, m.index! + m[0].length)) words.push(m[0].toLowerCase());
  }
  return words;
}

/** The MinHash signature of an article's prose, or undefined when it is too short to judge. */
export function signature(a: Pick<Article, 'text' | 'boilerplate'>): Uint32Array | undefined {
  const words = proseWords(a);
  if (words.length < SHINGLE * 4) return undefined;
  const sig = new Uint32Array(HASHES).fill(0xffffffff);
  for (let i = 0; i + SHINGLE <= words.length; i++) {
    const h = fnv(words.slice(i, i + SHINGLE).join(' '));
    for (let k = 0; k < HASHES; k++) {
      const v = mix(h ^ SEEDS[k]);
      if (v < sig[k]) sig[k] = v;
    }
  }
  return sig;
}

/** Share of equal positions: an estimate of the Jaccard similarity of the two shingle sets. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let same = 0;
  for (let k = 0; k < HASHES; k++) if (a[k] === b[k]) same++;
  return same / HASHES;
}

/**
 * Groups copies of one story. Returns, for each article in a cluster of two or more, the
 * cluster id: the id of the member that `first` prefers (already stored articles first, so a
 * new copy joins the story without rewriting the stored ones), else the earliest by date and id.
 * @example clusters(articles).get(copyB.id) // copyA.id
 */
export function clusters(articles: Article[], first: (a: Article) => boolean = () => false): Map<string, string> {
  const sigs = articles.map((a) => signature(a));
  const parent = articles.map((_, i) => i);
  const find = (i: number): number => (parent[i] === i ? i : (parent[i] = find(parent[i])));
  const buckets = new Map<string, number[]>();
  sigs.forEach((sig, i) => {
    if (!sig) return;
    for (let b = 0; b < BANDS; b++) {
      const key = `${b}:${Array.from(sig.subarray(b * ROWS, (b + 1) * ROWS)).join(',')}`;
      const list = buckets.get(key) ?? [];
      for (const j of list) {
        if (find(i) !== find(j) && similarity(sig, sigs[j]!) >= COPY_THRESHOLD) parent[find(i)] = find(j);
      }
      list.push(i);
      buckets.set(key, list);
    }
  });
  const members = new Map<number, Article[]>();
  articles.forEach((a, i) => members.set(find(i), [...(members.get(find(i)) ?? []), a]));
  const out = new Map<string, string>();
  for (const group of members.values()) {
    if (group.length < 2) continue;
    const rank = (a: Article) => `${first(a) ? 0 : 1}${a.date ?? '9999'}${a.id}`;
    const head = [...group].sort((x, y) => rank(x).localeCompare(rank(y)))[0];
    for (const a of group) out.set(a.id, head.id);
  }
  return out;
}
