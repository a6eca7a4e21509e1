/**
 * Brings a store in line with a set of articles: plans what is added, changed and removed,
 * embeds only what changed, and applies it as one change. A change of model, dimensions or
 * chunk settings means a full rebuild, and the report says why.
 */
import type { Article } from '../corpus/article.js';
import type { Embedder } from '../embed.js';
import type { ArticleRecord, IndexSettings, Store } from '../store/types.js';
import { markBoilerplate, outletOf, repeatedLines } from './boilerplate.js';
import { clusters } from './dedupe.js';
import { CHUNKER_VERSION, chunkArticle, type ChunkSettings } from './chunk.js';
import { SENTENCES_VERSION, sentenceSpans, sentenceText } from './sentences.js';

export interface IngestReport {
  added: string[];
  changed: string[];
  removed: string[];
  unchanged: number;
  chunksEmbedded: number;
  /** Lines marked as boilerplate in the articles embedded by this ingest. */
  boilerplateLines: number;
  /** Articles embedded by this ingest that are copies of a story another article carries. */
  copies?: number;
  /** Why everything was rebuilt, when it was. */
  rebuilt?: string;
  ms: number;
}

export interface IngestOptions {
  store: Store;
  embedder: Embedder;
  chunking: ChunkSettings;
  articles: Article[];
  force?: boolean;
  onProgress?: (stage: 'embed', done: number, total: number) => void;
}

/** Why the stored index cannot be reused with these settings, or undefined when it can. */
export function rebuildReason(stored: IndexSettings | null, wanted: IndexSettings): string | undefined {
  if (!stored) return undefined;
  const diffs = (Object.keys(wanted) as (keyof IndexSettings)[]).filter((k) => stored[k] !== wanted[k]).map((k) => `${k} ${stored[k]} → ${wanted[k]}`);
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
 * Marks each article's boilerplate lines and its story cluster (syndicated copies). `context` is
 * every article known to the same ingest (a whole folder), so lines an outlet repeats and copies
 * already stored are found even when only one article changed; by default the batch itself.
 * `stored` tells which context articles are already in the store (a new copy joins their story).
 */
export function markArticles(articles: Article[], context: Article[] = articles, stored: (a: Article) => boolean = () => false): Article[] {
  const repeated = repeatedLines(context);
  const mark = (a: Article): Article => ({ ...a, boilerplate: markBoilerplate(a, repeated.get(outletOf(a))) });
  const marked = new Map(context.map((a) => [a.id, mark(a)]));
  for (const a of articles) if (!marked.has(a.id)) marked.set(a.id, mark(a));
  const story = clusters([...marked.values()], stored);
  return articles.map((a) => {
    const { cluster: _old, ...m } = marked.get(a.id)!;
    const cluster = story.get(a.id);
    return cluster ? { ...m, cluster } : m;
  });
}

/**
 * Chunks and embeds articles already marked (see markArticles) into records a store can take: each
 * chunk's vector and the vectors of its article's sentences (ingest/sentences.ts), in one call
 * to the model so short sentences and long chunks each batch with their own kind.
 */
async function embedRecords(
  articles: Article[],
  embedder: Embedder,
  chunking: ChunkSettings,
  onProgress?: (done: number, total: number) => void,
): Promise<ArticleRecord[]> {
  const chunked = articles.map((a) => chunkArticle(a, chunking));
  const spans = articles.map(sentenceSpans);
  const texts = [
    ...chunked.flatMap((chunks, i) => chunks.map((c) => embeddingText(articles[i], c.start, c.end))),
    ...spans.flatMap((list, i) => list.map((s) => sentenceText(articles[i].text, s))),
  ];
  const vectors = await embedder.vectors(texts, (done) => onProgress?.(done, texts.length));
  let at = 0;
  const take = (n: number) => vectors.slice(at, (at += n));
  const chunkVectors = chunked.map((chunks) => take(chunks.length));
  return articles.map((article, i) => ({
    article,
    chunks: chunked[i],
    vectors: chunkVectors[i],
    sentences: { version: SENTENCES_VERSION, hash: article.hash, spans: spans[i], vectors: take(spans[i].length) },
  }));
}

/** Marks boilerplate and clusters, then chunks and embeds (see embedRecords). */
export async function buildRecords(
  input: Article[],
  embedder: Embedder,
  chunking: ChunkSettings,
  onProgress?: (done: number, total: number) => void,
  context?: Article[],
  stored?: (a: Article) => boolean,
): Promise<ArticleRecord[]> {
  return embedRecords(markArticles(input, context, stored), embedder, chunking, onProgress);
}

/**
 * Articles embedded and stored per change. What an ingest holds at once (chunk and sentence
 * texts, vectors, the model's batches) is bounded by this, not by the corpus: 256 news articles
 * are ~4,000 chunks.
 */
export const INGEST_BATCH = 256;

/**
 * Splits the articles to store into changes of at most INGEST_BATCH articles, except the first,
 * which also carries every article no file holds (`keep`): on a rebuild those exist nowhere but in
 * the old index, so they must land in the same change as the reset.
 */
function batches(todo: Article[], keep: (a: Article) => boolean): Article[][] {
  const first = todo.filter(keep);
  const rest = todo.filter((a) => !keep(a));
  const out: Article[][] = [[...first, ...rest.slice(0, INGEST_BATCH)]];
  for (let i = INGEST_BATCH; i < rest.length; i += INGEST_BATCH) out.push(rest.slice(i, i + INGEST_BATCH));
  return out;
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
  const removable = (source: string) => source !== 'api' && !source.startsWith('feed:');
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
  let copies = 0;
  if (todo.length || removed.length || rebuilt) {
    const pending = new Set(todo.map((a) => a.id));
    const marked = markArticles(todo, articles, (a) => !pending.has(a.id));
    // Chunked and split once up front only to count (offsets are cheap next to embedding), so
    // progress counts texts embedded (chunks and sentences) of the whole ingest.
    const total = marked.reduce((n, a) => n + chunkArticle(a, chunking).length + sentenceSpans(a).length, 0);
    let done = 0;
    let first = true;
    // Embedded and stored a batch at a time, so memory does not grow with the corpus. Each batch is
    // one change (all of it lands or none); an ingest stopped half way leaves whole batches
    // stored, and the next ingest plans only what is still missing.
    for (const batch of batches(marked, (a) => !removable(a.source))) {
      const put = await embedRecords(batch, embedder, chunking, (d) => opts.onProgress?.('embed', done + d, total));
      done += put.reduce((n, r) => n + r.chunks.length + (r.sentences?.spans.length ?? 0), 0);
      chunksEmbedded += put.reduce((n, r) => n + r.chunks.length, 0);
      boilerplateLines += put.reduce((n, r) => n + (r.article.boilerplate?.length ?? 0), 0);
      copies += put.filter((r) => r.article.cluster && r.article.cluster !== r.article.id).length;
      // Reset only once the first batch's vectors exist: embedding is the long part, and until
      // then the old index keeps serving (and stays the live one on disk if the process dies).
      if (first && rebuilt) await store.reset(wanted);
      await store.apply({ put, remove: first ? removed : [] });
      first = false;
    }
  }
  return {
    added: added.map((a) => a.id),
    changed: changed.map((a) => a.id),
    removed,
    unchanged: articles.length - todo.length,
    chunksEmbedded,
    boilerplateLines,
    copies,
    rebuilt,
    ms: performance.now() - t0,
  };
}
