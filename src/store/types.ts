/**
 * The one interface the rest of the code sees. The local-files store (default) and the
 * PostgreSQL store both implement it; nothing outside src/store knows which one runs.
 */
import type { Article } from '../corpus/article.js';
import type { ChunkSettings } from '../ingest/chunk.js';

/** What an index was built with; a mismatch with the running config means a rebuild. */
export interface IndexSettings extends ChunkSettings {
  model: string;
  dims: number;
  /** Version of the chunking and boilerplate rules (ingest/chunk.ts); absent in older indexes. */
  chunker?: number;
}

export interface ArticleMeta extends Omit<Article, 'text'> {
  chunks: number;
}

export interface StoredChunk {
  id: string;
  articleId: string;
  start: number;
  end: number;
}

/**
 * The vectors of an article's sentences, made at ingest so that answering embeds nothing but the
 * question (ingest/sentences.ts says which sentences and how they are cut). Derived: a missing or
 * outdated set is made again from the article's text.
 */
export interface SentenceSet {
  /** The rule's version (SENTENCES_VERSION); a set of another version is made again. */
  version: number;
  /** The article hash the set was made from: a set of older text is never used. */
  hash: string;
  /** Sentence offsets in the article's text, in order. */
  spans: { start: number; end: number }[];
  vectors: Float32Array[];
}

/** An article with its chunks and their vectors, ready to store. */
export interface ArticleRecord {
  article: Article;
  chunks: StoredChunk[];
  vectors: Float32Array[];
  /** Its sentences' vectors; absent, the store holds none for it until they are made. */
  sentences?: SentenceSet;
}

/** Applied before ranking, so filtered-out articles never take a top-k place. */
export interface SearchFilter {
  since?: string;
  until?: string;
  /** Article ids or url prefixes. */
  sources?: string[];
}

export interface Hit {
  chunkId: string;
  score: number;
}

/**
 * A kept answer as the store holds it: the answer's record and its current judgment, both JSON
 * whose shape belongs to src/answers/record.ts (the store only keeps and returns them).
 */
export interface StoredAnswer {
  id: string;
  /** When it was answered, ISO 8601 in UTC (sorts as text). */
  at: string;
  record: unknown;
  feedback: unknown | null;
}

/** What a save prunes, in the same transaction: unjudged answers older than `before` or beyond the newest `keep`. */
export interface AnswerRetention {
  before?: string;
  keep?: number;
}

export interface Store {
  readonly kind: 'local' | 'postgres';
  /** Settings the stored vectors were made with, or null for an empty store. */
  settings(): Promise<IndexSettings | null>;
  /** Empties the store and records new settings (a full rebuild starts here). */
  reset(settings: IndexSettings): Promise<void>;
  /** Adds or replaces articles and removes others, as one change: all of it lands or none. */
  apply(change: { put: ArticleRecord[]; remove: string[] }): Promise<void>;
  /** Content hash and source per article id, for incremental ingest. */
  fingerprints(): Promise<Map<string, { hash: string; source: string }>>;
  counts(): Promise<{ articles: number; chunks: number }>;
  listArticles(page: { offset: number; limit: number }): Promise<{ total: number; items: ArticleMeta[] }>;
  getArticle(id: string): Promise<Article | undefined>;
  /** Chunks with their articles, for answering. Unknown ids are left out. */
  getChunks(ids: string[]): Promise<{ chunk: StoredChunk; article: Article }[]>;
  vectorSearch(vector: Float32Array, k: number, filter?: SearchFilter): Promise<Hit[]>;
  keywordSearch(query: string, k: number, filter?: SearchFilter): Promise<Hit[]>;
  /** Stored sentence sets by article id (ids without one are left out). */
  sentenceSets(articleIds: string[]): Promise<Map<string, SentenceSet>>;
  /** Stores sets made after the article was written; a set whose hash is no longer the article's is dropped. */
  putSentenceSets(sets: { articleId: string; set: SentenceSet }[]): Promise<void>;
  /** Up to `limit` article ids after `after` (in id order) with no set of this version for their current text. */
  lackingSentences(version: number, after: string, limit: number): Promise<string[]>;
  /** Damage found while serving: `damaged` (reads or writes fail) takes the server out of readiness. */
  health(): StoreHealth;
  /** Keeps an answer (durable when this resolves) and prunes by `retention`. Ids are unique. */
  saveAnswer(answer: { id: string; at: string; record: unknown }, retention?: AnswerRetention): Promise<void>;
  getAnswer(id: string): Promise<StoredAnswer | undefined>;
  /** Newest first. */
  listAnswers(page: { offset: number; limit: number }): Promise<{ total: number; items: StoredAnswer[] }>;
  /** Replaces the answer's judgment; false when there is no such answer. */
  setFeedback(id: string, feedback: unknown): Promise<boolean>;
  /** False when there was no such answer. */
  deleteAnswer(id: string): Promise<boolean>;
  /** Every answer with a judgment, oldest first. */
  judgedAnswers(): Promise<StoredAnswer[]>;
  close(): Promise<void>;
}

export interface StoreHealth {
  /** ok; degraded: serving, but some stored data is unreadable; damaged: reads or writes fail. */
  status: 'ok' | 'degraded' | 'damaged';
  problem?: string;
}

/** Shared by both stores so a filter means the same thing everywhere. */
export function matchesFilter(meta: Pick<Article, 'id' | 'url' | 'date'>, filter?: SearchFilter): boolean {
  if (!filter) return true;
  if (filter.since && (!meta.date || meta.date.slice(0, 10) < filter.since.slice(0, 10))) return false;
  if (filter.until && (!meta.date || meta.date.slice(0, 10) > filter.until.slice(0, 10))) return false;
  if (filter.sources?.length) {
    return filter.sources.some((s) => s === meta.id || (!!meta.url && meta.url.startsWith(s)));
  }
  return true;
}

export const isEmptyFilter = (f?: SearchFilter) => !f || (!f.since && !f.until && !f.sources?.length);
