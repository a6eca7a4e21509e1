/**
 * Brings a store in line with a set of articles: plans what is added, changed and removed,
 * embeds only what changed, and applies it as one change. A change of model, dimensions or
 * chunk settings means a full rebuild, and the report says why.
 */
import type { Article } from '../corpus/article.js';
import type { Embedder } from '../embed.js';
import type { ArticleRecord, IndexSettings, Store } from '../store/types.js';
import { markBoilerplate, outletOf, repeatedLines } from './boilerplate.js';
import { CHUNKER_VERSION, chunkArticle, type ChunkSettings } from './chunk.js';

export interface IngestReport {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
  chunksEmbedded: number;
  /** Lines marked as boilerplate in the articles embedded by this ingest. */
  boilerplateLines: number;
  /** Why everything was rebuilt, when it was. */
  rebuilt?: string;
  ms: number;
}

export interface IngestOptions {
  store: Store;
  embedder: Embedder;
  chunking: ChunkSettings;
  articles: Article[];
  /**
   * Which stored articles may be removed when they are missing from `articles`. A folder ingest
   * removes articles that came from files; articles added through the API are kept.
   */
  removable?: (source: string) => boolean;
  force?: boolean;
  onProgress?: (stage: 'embed', done: number, total: number) => void;
}

/** Why the stored index cannot be reused with these settings, or undefined when it can. */
export function rebuildReason(stored: IndexSettings | null, wanted: IndexSettings): string | undefined {
  if (!stored) return undefined;
  const diffs = (Object.keys(wanted) as (keyof IndexSettings)[])
    .filter((k) => stored[k] !== wanted[k])
    .map((k) => `${k} ${stored[k]} → ${wanted[k]}`);
  return diffs.length ? `settings changed: ${diffs.join(', ')}` : undefined;
}

/**
 * Text that is embedded for a chunk: the headline and date give a passage the context it lacks
 * (chunks never hold boilerplate lines, see chunk.ts).
 */
export const embeddingText = (article: Pick<Article, 'title' | 'text' | 'date'>, start: number, end: number) =>
  `${article.title}${article.date ? ` (${article.date.slice(0, 10)})` : ''}\n${article.text.slice(start, end)}`;

/** The settings an index is built with; any difference from a stored index means a rebuild. */
export const indexSettings = (embedder: Pick<Embedder, 'model' | 'dims'>, chunking: ChunkSettings): IndexSettings => ({
  model: embedder.model,
  dims: embedder.dims,
  ...chunking,
  chunker: CHUNKER_VERSION,
});

/**
 * Marks each article's boilerplate lines. `context` is every article known from the same
 * ingest (a whole folder), so lines an outlet repeats are found even when only one of its
 * articles changed; by default the batch itself.
 */
export function withBoilerplate(articles: Article[], context: Article[] = articles): Article[] {
  const repeated = repeatedLines(context);
  return articles.map((a) => ({ ...a, boilerplate: markBoilerplate(a, repeated.get(outletOf(a))) }));
}

/** Marks boilerplate, chunks and embeds articles into records a store can take. */
export async function buildRecords(
  input: Article[],
  embedder: Embedder,
  chunking: ChunkSettings,
  onProgress?: (done: number, total: number) => void,
  context?: Article[],
): Promise<ArticleRecord[]> {
  const articles = withBoilerplate(input, context);
  const chunked = articles.map((a) => chunkArticle(a, chunking));
  const texts = chunked.flatMap((chunks, i) => chunks.map((c) => embeddingText(articles[i], c.start, c.end)));
  const vectors = await embedder.vectors(texts, (done) => onProgress?.(done, texts.length));
  let at = 0;
  return articles.map((article, i) => {
    const n = chunked[i].length;
    const rec = { article, chunks: chunked[i], vectors: vectors.slice(at, at + n) };
    at += n;
    return rec;
  });
}

/**
 * @example
 *   const report = await ingest({ store, embedder, chunking, articles });
 *   report.added.length; // 1
 */
export async function ingest(opts: IngestOptions): Promise<IngestReport> {
  const t0 = performance.now();
  const { store, embedder, chunking } = opts;
  const wanted = indexSettings(embedder, chunking);
  const stored = await store.settings();
  let rebuilt = opts.force ? 'a rebuild was requested' : rebuildReason(stored, wanted);
  if (!stored && !rebuilt) rebuilt = 'no index yet';
  // Articles from the API and from feed sources (`feed:<id>`) are not the folder's to remove.
  const removable = opts.removable ?? ((source: string) => source !== 'api' && !source.startsWith('feed:'));
  let articles = opts.articles;
  if (rebuilt && stored) {
    // Articles this ingest does not own (those added through the API) have no file to be
    // rebuilt from: carry their stored text over so a rebuild re-embeds them instead of losing them.
    const incomingIds = new Set(articles.map((a) => a.id));
    const keep = [...(await store.fingerprints()).entries()].filter(([id, f]) => !incomingIds.has(id) && !removable(f.source));
    const kept = await Promise.all(keep.map(([id]) => store.getArticle(id)));
    articles = [...articles, ...kept.filter((a): a is Article => !!a)];
  }

  const have = rebuilt ? new Map() : await store.fingerprints();
  const incoming = new Set(articles.map((a) => a.id));
  const added: Article[] = [];
  const changed: Article[] = [];
  for (const a of articles) {
    const old = have.get(a.id);
    if (!old) added.push(a);
    else if (old.hash !== a.hash) changed.push(a);
  }
  const removed = [...have.entries()].filter(([id, f]) => !incoming.has(id) && removable(f.source)).map(([id]) => id);

  const todo = [...added, ...changed];
  let chunksEmbedded = 0;
  let boilerplateLines = 0;
  if (todo.length || removed.length || rebuilt) {
    const put = await buildRecords(todo, embedder, chunking, (d, t) => opts.onProgress?.('embed', d, t), articles);
    chunksEmbedded = put.reduce((n, r) => n + r.chunks.length, 0);
    boilerplateLines = put.reduce((n, r) => n + (r.article.boilerplate?.length ?? 0), 0);
    // Reset only once the new vectors exist: embedding is the long part, and until here the old
    // index keeps serving (and stays the live one on disk if the process dies).
    if (rebuilt) await store.reset(wanted);
    await store.apply({ put, remove: removed });
  }
  return {
    added: added.map((a) => a.id),
    changed: changed.map((a) => a.id),
    removed,
    unchanged: articles.length - todo.length,
    chunksEmbedded,
    boilerplateLines,
    rebuilt,
    ms: performance.now() - t0,
  };
}
