/**
 * The local store's derived, in-memory side: the article and chunk tables, the HNSW graph
 * (hnswlib-node) and the keyword index (MiniSearch), all keyed by chunk label (the chunk's row
 * id in the article log). Changed in place one article at a time; every method is synchronous,
 * so a reader never sees half an article.
 *
 * While a snapshot saves the graph and the keyword index (`freeze` … `unfreeze`), neither may
 * change: hnswlib writes the graph from another thread and the keyword index is serialised in
 * pieces. Writes go on meanwhile: the tables change at once, new vectors and keyword documents
 * wait in small pending indexes (searched beside the main ones, by brute force for vectors), and
 * removals are remembered and filtered out of results. `drain` moves what waited into the main
 * indexes afterwards, a batch at a time.
 */
import hnswlib from 'hnswlib-node';
import type MiniSearch from 'minisearch';
import type { Article } from '../corpus/article.js';
import { addPreparedDocs, createKeywordIndex, prepareKeywordDoc, searchKeyword, VACUUM, vacuumDue, type KeywordDoc } from './keyword.js';
import type { LogRecord } from './log.js';
import { isEmptyFilter, matchesFilter, type ArticleMeta, type Hit, type SearchFilter, type StoredChunk } from './types.js';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

const HNSW = { m: 16, efConstruction: 100, efSearch: 80, initialCapacity: 1024 };

/** One article as the tables hold it (and as a snapshot stores it). */
export interface MemoryRow {
  article: Article;
  chunks: (StoredChunk & { label: number })[];
}

/** What a snapshot serialises: unchanged until `unfreeze`. */
export interface FrozenParts {
  hnsw: Hnsw | null;
  keyword: MiniSearch<KeywordDoc>;
  rows: MemoryRow[];
}

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

export class MemoryIndex {
  readonly rows = new Map<string, MemoryRow>();
  private readonly byLabel = new Map<number, { chunk: StoredChunk; article: Article }>();
  private readonly byChunkId = new Map<string, number>();
  private saving = false;
  /** The keyword index's tidying under way (see maybeVacuum), and whether new ones are held back. */
  private vacuuming: Promise<void> | null = null;
  private keywordHeld = false;
  /** Vectors not yet in the graph, by label. */
  private readonly pendingVectors = new Map<number, Float32Array>();
  /** Graph labels to mark deleted once the graph may change again. */
  private readonly pendingDeletes = new Set<number>();
  /** Keyword documents not yet in the main keyword index (prepared), and a small index over them. */
  private readonly pendingDocs = new Map<number, KeywordDoc>();
  private pendingKeyword = createKeywordIndex();
  /** Main keyword index labels to discard once it may change again. */
  private readonly pendingDiscards = new Set<number>();

  /** Starts from a snapshot's graph, keyword index and tables, or empty. */
  constructor(
    readonly dims: number,
    private hnsw: Hnsw | null = null,
    private keyword: MiniSearch<KeywordDoc> = createKeywordIndex(),
    rows: MemoryRow[] = [],
  ) {
    hnsw?.setEf(HNSW.efSearch);
    for (const row of rows) this.setRow(row);
  }

  private setRow(row: MemoryRow) {
    this.rows.set(row.article.id, row);
    for (const { label, ...chunk } of row.chunks) {
      this.byLabel.set(label, { chunk, article: row.article });
      this.byChunkId.set(chunk.id, label);
    }
  }

  /** Adds (or replaces) one article; the same record again changes nothing. */
  put(rec: LogRecord): void {
    // Labels are never reused: the same labels are the same write, replayed.
    const old = this.rows.get(rec.article.id);
    if (old && rec.chunks.length && old.chunks.length === rec.chunks.length && old.chunks.every((c, i) => c.label === rec.chunks[i].label)) return;
    this.drop(rec.article.id);
    const docs: KeywordDoc[] = rec.chunks.map((c) =>
      prepareKeywordDoc({ id: c.label, text: rec.article.text.slice(c.start, c.end), title: rec.article.title, articleId: rec.article.id }),
    );
    if (this.saving) {
      for (const c of rec.chunks) this.pendingVectors.set(c.label, c.vector);
      for (const d of docs) this.pendingDocs.set(d.id, d);
      addPreparedDocs(this.pendingKeyword, docs);
    } else {
      this.ensureCapacity(rec.chunks.length);
      for (const c of rec.chunks) this.hnsw!.addPoint(Array.from(c.vector), c.label, true);
      addPreparedDocs(this.keyword, docs);
    }
    this.setRow({ article: rec.article, chunks: rec.chunks.map(({ vector: _v, ...c }) => c) });
  }

  drop(articleId: string): void {
    const row = this.rows.get(articleId);
    if (!row) return;
    for (const c of row.chunks) {
      if (!this.pendingVectors.delete(c.label)) {
        if (this.saving) this.pendingDeletes.add(c.label);
        else this.hnsw?.markDelete(c.label);
      }
      if (this.pendingDocs.delete(c.label)) this.pendingKeyword.discard(c.label);
      else if (this.saving) this.pendingDiscards.add(c.label);
      else this.keyword.discard(c.label);
      this.byLabel.delete(c.label);
      this.byChunkId.delete(c.id);
    }
    this.rows.delete(articleId);
    this.maybeVacuum();
  }

  private ensureCapacity(adding: number) {
    const needed = (this.hnsw?.getCurrentCount() ?? 0) + adding;
    if (!this.hnsw) {
      this.hnsw = new HierarchicalNSW('ip', this.dims);
      this.hnsw.initIndex({ maxElements: Math.max(HNSW.initialCapacity, needed), m: HNSW.m, efConstruction: HNSW.efConstruction, allowReplaceDeleted: true });
      this.hnsw.setEf(HNSW.efSearch);
    } else if (needed > this.hnsw.getMaxElements()) {
      this.hnsw.resizeIndex(Math.max(needed, this.hnsw.getMaxElements() * 2));
    }
  }

  /**
   * Holds back new tidyings of the keyword index (until `unfreeze` or `releaseKeyword`) and
   * returns the one under way, if any: a snapshot waits for it once, then freezes.
   */
  holdKeyword(): Promise<void> | null {
    this.keywordHeld = true;
    return this.vacuuming;
  }

  releaseKeyword(): void {
    this.keywordHeld = false;
    this.maybeVacuum();
  }

  /**
   * Starts tidying the keyword index when enough of it is discarded documents (MiniSearch's own
   * default thresholds). MiniSearch would start this itself on any discard (autoVacuum); it is
   * started here instead so that it never starts while a snapshot waits to freeze the index or
   * holds it frozen, and a snapshot under a steady stream of removals is not put off for good.
   */
  private maybeVacuum(): void {
    if (this.saving || this.keywordHeld || this.vacuuming || !vacuumDue(this.keyword)) return;
    this.vacuuming = this.keyword.vacuum(VACUUM).finally(() => {
      this.vacuuming = null;
    });
  }

  /**
   * The graph, keyword index and tables as they are now, for a snapshot; from here until
   * `unfreeze` the graph and the keyword index are not changed (writes wait beside them).
   */
  freeze(): FrozenParts {
    this.saving = true;
    return { hnsw: this.hnsw, keyword: this.keyword, rows: [...this.rows.values()] };
  }

  /** The snapshot is saved: removals are applied; what was added waits for `drain`. */
  unfreeze(): void {
    this.saving = false;
    for (const label of this.pendingDeletes) this.hnsw?.markDelete(label);
    this.pendingDeletes.clear();
    for (const label of this.pendingDiscards) this.keyword.discard(label);
    this.pendingDiscards.clear();
    this.releaseKeyword();
  }

  /**
   * Moves up to `max` waiting chunks into the main indexes; true while some still wait. Small
   * steps: adding a point to a large graph costs about a millisecond, and writes wait for a step.
   */
  drain(max = 32): boolean {
    if (this.saving) return false;
    const labels = [...this.pendingVectors.keys()].slice(0, max);
    if (labels.length) {
      this.ensureCapacity(labels.length);
      for (const label of labels) {
        this.hnsw!.addPoint(Array.from(this.pendingVectors.get(label)!), label, true);
        this.pendingVectors.delete(label);
      }
    }
    const docs = [...this.pendingDocs.values()].slice(0, max);
    if (docs.length) {
      addPreparedDocs(this.keyword, docs);
      for (const d of docs) this.pendingDocs.delete(d.id);
      if (this.pendingDocs.size) for (const d of docs) this.pendingKeyword.discard(d.id);
      else this.pendingKeyword = createKeywordIndex();
    }
    return this.pendingVectors.size > 0 || this.pendingDocs.size > 0;
  }

  counts() {
    return { articles: this.rows.size, chunks: this.byLabel.size };
  }

  list(offset: number, limit: number): { total: number; items: ArticleMeta[] } {
    const all = [...this.rows.values()].sort(
      (a, b) => (b.article.date ?? '').localeCompare(a.article.date ?? '') || a.article.title.localeCompare(b.article.title),
    );
    const items = all.slice(offset, offset + limit).map(({ article, chunks }) => {
      const { text: _text, ...meta } = article;
      return { ...meta, chunks: chunks.length };
    });
    return { total: all.length, items };
  }

  chunks(ids: string[]): { chunk: StoredChunk; article: Article }[] {
    return ids.flatMap((id) => {
      const label = this.byChunkId.get(id);
      const hit = label === undefined ? undefined : this.byLabel.get(label);
      return hit ? [hit] : [];
    });
  }

  vectorSearch(vector: Float32Array, k: number, filter?: SearchFilter): Hit[] {
    if (this.byLabel.size === 0) return [];
    const noFilter = isEmptyFilter(filter);
    const wanted = (label: number) => {
      const hit = this.byLabel.get(label);
      return !!hit && (noFilter || matchesFilter(hit.article, filter));
    };
    const found: { label: number; distance: number }[] = [];
    if (this.hnsw && this.hnsw.getCurrentCount() > 0) {
      // Removed labels still in the graph (while a snapshot saves it) are filtered out here.
      const keep = noFilter && !this.pendingDeletes.size ? undefined : wanted;
      this.hnsw.setEf(Math.max(HNSW.efSearch, k));
      const { neighbors, distances } = this.hnsw.searchKnn(Array.from(vector), Math.min(k, this.byLabel.size, this.hnsw.getMaxElements()), keep);
      neighbors.forEach((label, i) => found.push({ label, distance: distances[i] }));
    }
    for (const [label, v] of this.pendingVectors) if (wanted(label)) found.push({ label, distance: 1 - dot(v, vector) });
    if (this.pendingVectors.size) found.sort((a, b) => a.distance - b.distance);
    return found.slice(0, k).flatMap(({ label, distance }) => {
      const hit = this.byLabel.get(label);
      return hit ? [{ chunkId: hit.chunk.id, score: 1 - distance }] : [];
    });
  }

  keywordSearch(query: string, k: number, filter?: SearchFilter): Hit[] {
    const noFilter = isEmptyFilter(filter);
    const keep =
      noFilter && !this.pendingDiscards.size
        ? undefined
        : (articleId: string, label: number) => {
            if (this.pendingDiscards.has(label)) return false;
            const row = this.rows.get(articleId);
            return !!row && (noFilter || matchesFilter(row.article, filter));
          };
    let results = searchKeyword(this.keyword, query, k, keep);
    if (this.pendingDocs.size) {
      // Scores of the small pending index are on its own statistics: close enough for the
      // moments a snapshot takes, after which the documents join the main index.
      results = [...results, ...searchKeyword(this.pendingKeyword, query, k, keep)].sort((a, b) => b.score - a.score).slice(0, k);
    }
    return results.flatMap(({ id, score }) => {
      const hit = this.byLabel.get(id);
      return hit ? [{ chunkId: hit.chunk.id, score }] : [];
    });
  }
}
