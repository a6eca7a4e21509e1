/**
 * Finds the passages for a query: vector search and keyword search (BM25), fused by reciprocal
 * rank fusion (with the `rerank` option, re-ranked by their best sentence, the whole of the best
 * articles read: rerank.ts), then near-duplicates from overlapping chunks removed.
 */
import type { Article } from '../corpus/article.js';
import type { Embedder } from '../embed.js';
import type { Hit, SearchFilter, Store } from '../store/types.js';
import { chunkId } from '../ingest/chunk.js';
import { strongWords, terms } from '../text.js';
import type { Question, Stage } from './question.js';
import { rerank, type RerankOptions } from './rerank.js';
import { preferRecent, type TimeFrame } from './time.js';

export type RetrievalMode = 'hybrid' | 'vector' | 'keyword';

export interface Passage {
  chunkId: string;
  article: Article;
  start: number;
  end: number;
  text: string;
  /** Fused score (higher is better); vector similarity and BM25 ranks are kept for evidence scoring. */
  score: number;
  similarity?: number;
  vectorRank?: number;
  keywordRank?: number;
  /** Articles whose passages were dropped as copies of this one (syndicated copies). */
  copies?: Article[];
}

export interface RetrieverOptions {
  topK: number;
  candidates: number;
  vectorWeight: number;
  keywordWeight: number;
  rrfK: number;
  /**
   * The second look at the best candidates by sentence evidence (rerank.ts); off without it. It
   * raises passage recall, but the answers read the shown passages' sentences by the same signals,
   * and on both evaluation sets the quote hit fell with it on (docs/quality.md): `npm run eval -- --rerank`.
   */
  rerank?: RerankOptions;
}

export interface Retrieval {
  passages: Passage[];
  queryVector: Float32Array;
  timings: { embedMs: number; vectorMs: number; keywordMs: number };
}

/**
 * Reciprocal rank fusion: each list adds weight / (k + rank). Robust to the two scores' scales
 * being unrelated, which is why it beats adding raw scores.
 * @example fuse([[{chunkId:'a',score:.9}], [{chunkId:'a',score:7}]], [1, 1], 60) // [{ chunkId: 'a', score: 2/61 }]
 */
export function fuse(lists: Hit[][], weights: number[], k: number): Hit[] {
  const scores = new Map<string, number>();
  lists.forEach((list, li) => {
    list.forEach((hit, rank) => {
      scores.set(hit.chunkId, (scores.get(hit.chunkId) ?? 0) + weights[li] / (k + rank + 1));
    });
  });
  return [...scores.entries()].map(([chunkId, score]) => ({ chunkId, score })).sort((a, b) => b.score - a.score);
}

const jaccard = (a: Set<string>, b: Set<string>) => {
  let inter = 0;
  for (const t of a) if (b.has(t)) inter++;
  return inter / (a.size + b.size - inter || 1);
};

/**
 * Drops passages that mostly repeat a better one: overlapping chunks of one article, or the
 * same text under two articles (syndicated copies).
 */
export function dedupe<P extends Pick<Passage, 'article' | 'start' | 'end' | 'text' | 'copies'>>(passages: P[], maxOverlap = 0.6): P[] {
  const kept: { p: P; t: Set<string> }[] = [];
  for (const p of passages) {
    const t = new Set(terms(p.text));
    const dup = kept.find(({ p: q, t: qt }) => {
      if (q.article.id === p.article.id) {
        const overlap = Math.min(p.end, q.end) - Math.max(p.start, q.start);
        if (overlap > maxOverlap * Math.min(p.end - p.start, q.end - q.start)) return true;
      }
      return jaccard(t, qt) > 0.8;
    });
    // Another article's copy is remembered on the passage kept, for "also reported by".
    if (dup && dup.p.article.id !== p.article.id && !dup.p.copies?.some((a) => a.id === p.article.id)) dup.p.copies = [...(dup.p.copies ?? []), p.article];
    if (!dup) kept.push({ p, t });
  }
  return kept.map((k) => k.p);
}

/**
 * The keyword query: the question with its names and numbers said twice, so BM25 (which sums
 * repeated query terms) weighs the words a news question pins its answer on above the rest.
 * @example keywordQuery('How many ships did Calderra see in 2024?') // '… Calderra 2024'
 */
export function keywordQuery(query: string): string {
  const strong = strongWords(query);
  return strong.length ? `${query} ${strong.join(' ')}` : query;
}

/**
 * The question's date as a prior: news is asked about the days just before it. An article
 * published after asOf cannot be what the asker read, so it counts less; one from the fortnight
 * before counts more, fading with age (half-life RECENT_DAYS).
 */
export const DATE_PRIOR = { after: 0.5, recentBoost: 1, recentDays: 14 };
/**
 * The prior can only lift what the searches found: with a reference date each search returns
 * this many times CANDIDATES, so a recent article ranked a little lower still reaches the fusion.
 */
export const PRIOR_DEPTH = 2;

const DAY = 86_400_000;

/** The date prior's factor for an article of `date` asked about on `asOf` (1 without either). */
export function datePrior(date: string | undefined, asOf: string | undefined, prior = DATE_PRIOR): number {
  if (!date || !asOf) return 1;
  const days = (Date.parse(date.slice(0, 10)) - Date.parse(asOf.slice(0, 10))) / DAY;
  if (days > 1) return prior.after;
  return 1 + prior.recentBoost * Math.pow(0.5, Math.max(0, -days) / prior.recentDays);
}

/**
 * A time frame the question's own words set ("this week", "last week", "on Monday") is a
 * preference, not a wall: the whole archive is searched beside the frame, and a passage inside
 * the frame counts in both, the frame's lists at this weight of the whole archive's. So among
 * passages that match alike the frame's win, and one from outside it still comes in when both
 * searches rank it far higher: a quiz asked "this week" about a death or a storm is often
 * answered by the background of an older article, or by one whose published date is off by days.
 */
export const FRAME_WEIGHT = 2 / 3;

export interface RetrieveOptions {
  /** Applied to every search: nothing outside it is returned. */
  filter?: SearchFilter;
  /** Preferred, not required: the time frame of the question's words (FRAME_WEIGHT). */
  frame?: Pick<SearchFilter, 'since' | 'until'>;
  mode?: RetrievalMode;
  topK?: number;
  /** The question's reference date (YYYY-MM-DD): articles near it before it are preferred. */
  asOf?: string;
}

/** Chunks of one article read when its whole text is re-ranked (a longer article's tail is not). */
const ARTICLE_CHUNKS = 100;

export function createRetriever(deps: {
  store: Store;
  embedder: Embedder;
  options: RetrieverOptions & { datePrior?: typeof DATE_PRIOR; frameWeight?: number };
}) {
  const { store, embedder, options } = deps;
  const prior = options.datePrior ?? DATE_PRIOR;
  const frameWeight = options.frameWeight ?? FRAME_WEIGHT;

  /** Each passage's best stored sentence vector's similarity to `queryVector` (0 without a set of its text). */
  async function sentenceSimilarity(passages: Passage[], queryVector: Float32Array): Promise<number[]> {
    const sets = await store.sentenceSets([...new Set(passages.map((p) => p.article.id))]);
    return passages.map((p) => {
      const set = sets.get(p.article.id);
      if (!set || set.hash !== p.article.hash) return 0;
      let best = 0;
      set.spans.forEach((s, i) => {
        if (s.start < p.start || s.end > p.end) return;
        const v = set.vectors[i];
        let dot = 0;
        for (let d = 0; d < v.length; d++) dot += v[d] * queryVector[d];
        best = Math.max(best, dot);
      });
      return best;
    });
  }

  /** Every chunk of these articles, as passages without search signals. */
  async function chunksOf(articleIds: string[]): Promise<Passage[]> {
    const ids = articleIds.flatMap((id) => Array.from({ length: ARTICLE_CHUNKS }, (_, n) => chunkId(id, n)));
    return (await store.getChunks(ids)).map(({ chunk, article }) => ({
      chunkId: chunk.id,
      article,
      start: chunk.start,
      end: chunk.end,
      text: article.text.slice(chunk.start, chunk.end),
      score: 0,
    }));
  }

  /** Each chunk's best rank over the lists of one search (the whole archive, the frame). */
  const bestRanks = (lists: Hit[][]) => {
    const ranks = new Map<string, number>();
    for (const list of lists) list.forEach((h, i) => ranks.set(h.chunkId, Math.min(i, ranks.get(h.chunkId) ?? i)));
    return ranks;
  };

  /** Fused hits as passages, in order, with their signals; chunks the store no longer has are left out. */
  async function toPassages(fused: Hit[], vec: Hit[][], kw: Hit[][]): Promise<Passage[]> {
    const vRank = bestRanks(vec);
    const vSim = new Map(vec.flat().map((h) => [h.chunkId, h.score]));
    const kRank = bestRanks(kw);
    const found = new Map((await store.getChunks(fused.map((h) => h.chunkId))).map((c) => [c.chunk.id, c]));
    return fused.flatMap((h) => {
      const c = found.get(h.chunkId);
      if (!c) return [];
      return [
        {
          chunkId: h.chunkId,
          article: c.article,
          start: c.chunk.start,
          end: c.chunk.end,
          text: c.article.text.slice(c.chunk.start, c.chunk.end),
          score: h.score,
          similarity: vSim.get(h.chunkId),
          vectorRank: vRank.get(h.chunkId),
          keywordRank: kRank.get(h.chunkId),
        },
      ];
    });
  }

  return {
    /** @example await retriever.retrieve('Who visited Beijing?', { asOf: '2024-10-16' }) */
    async retrieve(query: string, opts: RetrieveOptions = {}): Promise<Retrieval> {
      const mode = opts.mode ?? 'hybrid';
      const topK = opts.topK ?? options.topK;
      const n = Math.max(options.candidates * (opts.asOf ? PRIOR_DEPTH : 1), topK);
      let t = performance.now();
      const [queryVector] = await embedder.vectors([query]);
      const embedMs = performance.now() - t;
      t = performance.now();
      // With a frame, each search runs twice: over the whole (filtered) archive and inside the frame.
      const scopes = opts.frame ? [opts.filter, { ...opts.filter, ...opts.frame }] : [opts.filter];
      const scopeWeights = opts.frame ? [1, frameWeight] : [1];
      const vec: Hit[][] = [];
      for (const scope of scopes) vec.push(mode === 'keyword' ? [] : await store.vectorSearch(queryVector, n, scope));
      const vectorMs = performance.now() - t;
      t = performance.now();
      const kw: Hit[][] = [];
      for (const scope of scopes) kw.push(mode === 'vector' ? [] : await store.keywordSearch(keywordQuery(query), n, scope));
      const keywordMs = performance.now() - t;
      const weights = scopeWeights.flatMap((w) => [w * options.vectorWeight, w * options.keywordWeight]);
      const fused = fuse(
        scopes.flatMap((_, i) => [vec[i], kw[i]]),
        weights,
        options.rrfK,
      ).slice(0, n);
      const passages = (await toPassages(fused, vec, kw))
        .map((p) => ({ ...p, score: p.score * datePrior(p.article.date, opts.asOf, prior) }))
        .sort((a, b) => b.score - a.score);
      const reranked = options.rerank
        ? await rerank(query, passages, { chunksOf, similarity: (pool) => sentenceSimilarity(pool, queryVector) }, options.rerank)
        : passages;
      return { passages: dedupe(reranked).slice(0, topK), queryVector, timings: { embedMs, vectorMs, keywordMs } };
    },
  };
}

export type Retriever = ReturnType<typeof createRetriever>;

const filterOf = (q: Question, time: TimeFrame): SearchFilter | undefined => {
  const f = { ...q.filter, since: q.filter?.since ?? time.since ?? undefined, until: q.filter?.until ?? time.until ?? undefined };
  return f.since || f.until || f.sources?.length ? f : undefined;
};

/**
 * The frame the search prefers rather than requires: one counted from the question's date by its
 * words ("this week", "last week", "yesterday", "on Monday"). A date the question names ("in
 * October 2024") and a range the request sets stay filters.
 */
const preferredFrame = (q: Question, time: TimeFrame): RetrieveOptions['frame'] => {
  if (q.absolute || q.filter?.since || q.filter?.until || (!time.since && !time.until)) return undefined;
  return { since: time.since ?? undefined, until: time.until ?? undefined };
};

/**
 * The "retrieve" stage: the passages for the query within the question's time frame. A date
 * the question names but no article of that time holds ("the Normans in 1066") is about the
 * story, not about when it was reported: then the search runs again without it, and the frame
 * says so. A "latest" question moves newer passages up.
 */
export function retrieveStage(retriever: Retriever): Stage {
  return {
    name: 'retrieve',
    async run(q: Question): Promise<Question> {
      let time = q.time;
      // Only a date the asker gave: the archive's newest date standing in for "now" would push
      // every older story down, and most questions about an archive are not about this week.
      // A question with time words of its own ("last week", "the current …") already has its
      // frame or the recency prior; the date prior is for the ones that say nothing of time.
      const ownFrame = time.recency || !!time.since || !!time.until;
      const asOf = q.asOfGiven && !ownFrame ? (time.asOf ?? undefined) : undefined;
      const frame = preferredFrame(q, time);
      const filter = frame ? filterOf(q, { ...time, since: null, until: null }) : filterOf(q, time);
      let retrieval = await retriever.retrieve(q.query, { filter, frame, mode: q.mode, asOf });
      if (!retrieval.passages.length && q.absolute && (time.since || time.until)) {
        time = { ...time, since: null, until: null };
        retrieval = await retriever.retrieve(q.query, { filter: filterOf(q, time), mode: q.mode, asOf });
      }
      if (time.recency) retrieval = { ...retrieval, passages: preferRecent(retrieval.passages, time.asOf) };
      q.onPassages?.(retrieval);
      return { ...q, time, retrieval };
    },
  };
}
