/**
 * The archive as the outside sees it: ask a question, add or remove articles, list and read them,
 * count them, close. The HTTP routes, the CLI and the evaluation harness all go through here, so
 * they answer alike; the store, embedder and retriever behind it are not part of this face.
 */
import type { Article } from './corpus/article.js';
import type { Embedder } from './embed.js';
import { AppError } from './errors.js';
import { buildRecords, indexSettings } from './ingest/ingest.js';
import type { ChunkSettings } from './ingest/chunk.js';
import { createAnswerBook } from './answers/book.js';
import { citation, type Answer, type Cited } from './answering/answer.js';
import { createAsk } from './answering/ask.js';
import type { AnswerOptions } from './answering/extractive.js';
import type { GenerativeAnswerer } from './answering/generative.js';
import { createRetriever, type Retrieval, type RetrievalMode, type RetrieverOptions } from './answering/retrieve.js';
import type { Turn } from './answering/rewrite.js';
import type { TimeFrame } from './answering/time.js';
import { matchesFilter, type ArticleMeta, type SearchFilter, type Store } from './store/types.js';

export interface AskInput {
  question: string;
  history?: Turn[];
  filter?: SearchFilter;
  mode?: RetrievalMode;
  /** The reference date for "last week", "latest" (YYYY-MM-DD); default: the newest article's date. */
  asOf?: string;
  signal?: AbortSignal;
  /** Called with the retrieved passages before the answer is built (the SSE route sends them early). */
  onPassages?: (passages: PassageOut[]) => void;
  /** Called with each piece of the model's answer as it arrives (GENERATOR=openai only). */
  onDelta?: (text: string) => void;
}

export interface PassageOut extends Cited {
  chunkId: string;
}

export interface AskResult extends Answer {
  passages: PassageOut[];
  /** What the question was understood to mean in time. */
  time: TimeFrame;
  /** The kept answer's id (src/answers/keep.ts), when answers are kept. */
  answerId?: string;
  /** Milliseconds: retrieval's parts, evidence (read + choose), the model, the total, and each stage by name. */
  timings: { embedMs: number; vectorMs: number; keywordMs: number; evidenceMs: number; generateMs?: number; totalMs: number; stages: Record<string, number> };
}

/** What /api/health says about who writes the answers. */
export type GeneratorStatus = { kind: 'extractive' } | { kind: 'openai'; model: string; answered: boolean | null; lastCallAt?: string; error?: string };

export interface ArchiveOptions extends RetrieverOptions, AnswerOptions {
  chunking: ChunkSettings;
}

/** A retrieved passage as callers see it: its citation, offsets, rounded score and text. */
const passageOut = (p: Retrieval['passages'][number]): PassageOut => ({
  chunkId: p.chunkId,
  ...citation(p.article),
  start: p.start,
  end: p.end,
  score: Number(p.score.toFixed(5)),
  text: p.text,
});

const aborted = (signal?: AbortSignal) => {
  if (signal?.aborted) throw new AppError('cancelled', 'chat: the request was cancelled');
};

/** `generative`: the user's model (GENERATOR=openai); without it every answer is extractive. */
export function createArchive(deps: { store: Store; embedder: Embedder; options: ArchiveOptions; generative?: GenerativeAnswerer }) {
  const { store, embedder, options, generative } = deps;
  const retriever = createRetriever({ store, embedder, options });
  const ask = createAsk({ store, retriever, embedder, options, generative });

  // The newest article date, the default reference for "last week": one scan of the article
  // list, kept until a write (and for a minute, as another process may share a PostgreSQL store).
  let newest: { at: number; date: Promise<string | null> } | undefined;
  const newestDate = () => {
    if (!newest || performance.now() - newest.at > 60_000) newest = { at: performance.now(), date: scanNewest() };
    return newest.date;
  };
  async function scanNewest(): Promise<string | null> {
    let max: string | null = null;
    for (let offset = 0; ; offset += 1000) {
      const { items } = await store.listArticles({ offset, limit: 1000 });
      for (const a of items) if (a.date && (!max || a.date > max)) max = a.date.slice(0, 10);
      if (items.length < 1000) return max;
    }
  }

  return {
    /** Which generator answers, and for a model whether its server answered the last call (null before any). */
    generatorStatus(): GeneratorStatus {
      const model = generative?.generator;
      if (!model) return { kind: 'extractive' };
      const last = model.lastCall();
      return {
        kind: 'openai',
        model: model.model,
        answered: last ? last.answered : null,
        ...(last ? { lastCallAt: last.at } : {}),
        ...(last?.error ? { error: last.error } : {}),
      };
    },

    /** Kept answers: permalinks, Markdown export, feedback (answers/book.ts), in the same store. */
    answers: createAnswerBook({ store }),

    /** The chat answer: the ask pipeline (answering/ask.ts) with the archive's newest date as the default asOf. */
    async ask(input: AskInput): Promise<AskResult> {
      const t0 = performance.now();
      const asOf = input.asOf ?? (await newestDate());
      let passages: PassageOut[] = [];
      const onPassages = (r: Retrieval) => {
        passages = r.passages.map(passageOut);
        input.onPassages?.(passages);
      };
      const q = await ask({ ...input, asOf, asOfGiven: input.asOf !== undefined, onPassages });
      const answer = q.answer!;
      const ms = q.stageMs;
      return {
        ...answer,
        passages,
        time: q.time,
        timings: {
          ...q.retrieval!.timings,
          evidenceMs: (ms.read ?? 0) + (ms.choose ?? 0),
          ...(generative ? { generateMs: ms.phrase } : {}),
          totalMs: performance.now() - t0,
          stages: ms,
        },
      };
    },

    /** Adds or replaces articles; searchable when the promise resolves, and saved. */
    async put(input: Article[]): Promise<{ id: string; title: string; status: 'added' | 'replaced' | 'unchanged'; chunks?: number }[]> {
      // One record per id (the last wins): the same article twice in one change would leave the
      // first copy's chunks behind.
      const articles = [...new Map(input.map((a) => [a.id, a])).values()];
      const have = await store.fingerprints();
      const todo = articles.filter((a) => have.get(a.id)?.hash !== a.hash);
      const records = await buildRecords(todo, embedder, options.chunking);
      // A store that was never built (no ingest ran yet) learns its settings from the first write.
      if (records.length && !(await store.settings())) await store.reset(indexSettings(embedder, options.chunking));
      if (records.length) await store.apply({ put: records, remove: [] });
      if (records.length) newest = undefined;
      const chunks = new Map(records.map((r) => [r.article.id, r.chunks.length]));
      return articles.map((a) => ({
        id: a.id,
        title: a.title,
        status: !have.has(a.id) ? 'added' : chunks.has(a.id) ? 'replaced' : 'unchanged',
        ...(chunks.has(a.id) ? { chunks: chunks.get(a.id) } : {}),
      }));
    },

    /**
     * Search only, no answer: the passages a question would read (hybrid, fused), best first.
     * @example await archive.search('Belousov Beijing', { k: 3 })
     */
    async search(query: string, opts: { k?: number; filter?: SearchFilter; signal?: AbortSignal } = {}): Promise<PassageOut[]> {
      aborted(opts.signal);
      const { passages } = await retriever.retrieve(query, { filter: opts.filter, topK: opts.k });
      return passages.map(passageOut);
    },

    /** One article with its text. @throws AppError('not_found') with the message the HTTP API gives. */
    async get(id: string): Promise<Article> {
      const article = await store.getArticle(id);
      if (!article) throw new AppError('not_found', `articles: no article with id "${id}"`);
      return article;
    },

    /**
     * A page of articles, newest first as the store lists them; with a date filter, a page of
     * the matching ones. The store pages only unfiltered lists, so a filter walks the list here
     * (metadata only, no text) rather than widening the Store interface for one caller.
     */
    async list(page: { offset: number; limit: number; filter?: SearchFilter }): Promise<{ total: number; items: ArticleMeta[] }> {
      if (!page.filter) return store.listArticles(page);
      const { total } = await store.listArticles({ offset: 0, limit: 1 });
      const { items } = await store.listArticles({ offset: 0, limit: Math.max(total, 1) });
      const matching = items.filter((a) => matchesFilter(a, page.filter));
      return { total: matching.length, items: matching.slice(page.offset, page.offset + page.limit) };
    },

    /** Tokens in a text as the embedding model counts them, or undefined without a tokenizer. */
    tokens(text: string): number | undefined {
      return embedder.countTokens?.(text);
    },

    /** Removes an article; `not_found` when there is none with this id. */
    async remove(id: string): Promise<void> {
      if (!(await store.getArticle(id))) throw new AppError('not_found', `articles: no article with id "${id}"`);
      await store.apply({ put: [], remove: [id] });
      newest = undefined;
    },

    /** Each stored article's id → hash and source (what a sync compares against). */
    fingerprints: () => store.fingerprints(),
    /** How many articles and chunks are stored. */
    counts: () => store.counts(),
    /** What answers: the model and the kind of store (for health and readiness). */
    about: () => ({ model: embedder.model, dims: embedder.dims, store: store.kind }),
    /** Damage the store found while serving (health shows it; readiness fails while it is `damaged`). */
    storeHealth: () => store.health(),
    /** Closes the store; the archive answers nothing after this. */
    close: () => store.close(),
  };
}

export type Archive = ReturnType<typeof createArchive>;
