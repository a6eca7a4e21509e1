/**
 * The second look retrieval takes at its best candidates: the whole of the best articles is read
 * (every chunk, not only the ones the searches ranked), and each candidate is scored again by
 * its best sentence — how much of the question's weighted words one sentence holds. A chunk
 * ranks by what its whole text shares with the question; the answer to a news question sits in
 * one sentence that shares most of it. Nothing is embedded here: the words, and the sentence
 * vectors made at ingest (store.sentenceSets), do the work.
 */
import { sentences, strongWords, terms } from '../text.js';

export interface RerankOptions {
  /** Fused candidates (best first) scored again; 0 switches the re-rank off. */
  depth: number;
  /** Best articles (by their best candidate) whose every chunk joins the candidates. */
  articles: number;
  /** How much the best sentence's share of the question's weighted words adds: score × (1 + weight × share). */
  weight: number;
  /** A chunk that joins from its article starts from this share of the article's best score. */
  articleShare: number;
  /** How much the best sentence's similarity to the question (its stored vector) adds, beside `weight`. */
  vectorWeight: number;
}

/**
 * The best setting measured on RealTimeQA's 2023 development weeks and the SQuAD sample
 * (docs/quality.md): the sentence vectors (weight 2) keep recall@1, the words (1) find the
 * sentence that names the asked-for thing; a heavier hand on either, or a joined chunk starting
 * nearer its article's best, lost recall@5 on the news.
 */
export const RERANK: RerankOptions = { depth: 50, articles: 5, weight: 1, articleShare: 0.5, vectorWeight: 2 };

/** What the re-rank needs besides the candidates. */
export interface RerankDeps<P> {
  /** Every chunk of these articles, as candidates without a score. */
  chunksOf: (articleIds: string[]) => Promise<P[]>;
  /** Each candidate's best sentence similarity to the question, in order (0 where none is known). */
  similarity?: (candidates: P[]) => Promise<number[]>;
}

/** What the re-rank reads of a candidate. */
export interface Scored {
  chunkId: string;
  article: { id: string; title: string };
  text: string;
  score: number;
}

/** Names and numbers weigh this many times a plain word: a news question pins its answer on them. */
const STRONG = 2;

/**
 * The share of the question's weighted terms the best sentence of `text` holds (0–1). Weights
 * are inverse document frequencies over the candidates, so a word every candidate has counts
 * for little; names and numbers count double.
 */
export function sentenceShare(text: string, weights: Map<string, number>): number {
  const total = [...weights.values()].reduce((a, b) => a + b, 0);
  if (!total) return 0;
  let best = 0;
  for (const s of sentences(text)) {
    const have = new Set(terms(text.slice(s.start, s.end)));
    let sum = 0;
    for (const [t, w] of weights) if (have.has(t)) sum += w;
    best = Math.max(best, sum / total);
  }
  return best;
}

/** The question's terms, each weighted by its rarity among `texts` (names and numbers ×STRONG). */
export function termWeights(query: string, texts: string[]): Map<string, number> {
  const strong = new Set(terms(strongWords(query).join(' ')));
  const sets = texts.map((t) => new Set(terms(t)));
  const weights = new Map<string, number>();
  for (const t of new Set(terms(query))) {
    const df = sets.filter((s) => s.has(t)).length;
    weights.set(t, Math.log(1 + sets.length / (df || 1)) * (strong.has(t) ? STRONG : 1));
  }
  return weights;
}

/**
 * Re-ranks `candidates` (best first): the first `depth` of them, plus every chunk of the best
 * `articles` articles (`chunksOf` fetches them), scored by fused score × (1 + weight × best
 * sentence share + vectorWeight × best sentence similarity). Candidates past `depth` keep their
 * order after the re-ranked ones.
 */
export async function rerank<P extends Scored>(query: string, candidates: P[], deps: RerankDeps<P>, options: RerankOptions = RERANK): Promise<P[]> {
  const { chunksOf } = deps;
  if (!options.depth || !candidates.length) return candidates;
  const head = candidates.slice(0, options.depth);
  const best = new Map<string, number>();
  for (const p of head) if (!best.has(p.article.id)) best.set(p.article.id, p.score);
  const top = [...best.keys()].slice(0, options.articles);
  const have = new Set(head.map((p) => p.chunkId));
  const joined = options.articles ? (await chunksOf(top)).filter((p) => !have.has(p.chunkId)) : [];
  const pool = [...head, ...joined.map((p) => ({ ...p, score: (best.get(p.article.id) ?? 0) * options.articleShare }))];
  const weights = termWeights(
    query,
    pool.map((p) => p.text),
  );
  const sims = options.vectorWeight && deps.similarity ? await deps.similarity(pool) : pool.map(() => 0);
  const scored = pool.map((p, i) => ({
    ...p,
    score: p.score * (1 + options.weight * sentenceShare(p.text, weights) + options.vectorWeight * Math.max(0, sims[i])),
  }));
  scored.sort((a, b) => b.score - a.score);
  return [...scored, ...candidates.slice(options.depth)];
}
