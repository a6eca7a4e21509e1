/**
 * The local store's derived, in-memory side: the article and chunk tables, the HNSW graph
 * (hnswlib-node) and the keyword index (MiniSearch), all keyed by chunk label (the chunk's row
 * id in the article log). Changed in place one article at a time; every method is synchronous,
 * so a reader never sees half an article.
 */
import hnswlib from 'hnswlib-node';
import type MiniSearch from 'minisearch';
import type { Article } from '../corpus/article.js';
import { addKeywordDocs, createKeywordIndex, searchKeyword, type KeywordDoc } from './keyword.js';
import type { LogRecord } from './log.js';
import { isEmptyFilter, matchesFilter, type ArticleMeta, type Hit, type SearchFilter, type StoredChunk } from './types.js';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

const HNSW = { m: 16, efConstruction: 100, efSearch: 80, initialCapacity: 1024 };

interface Row {
  article: Article;
  chunks: (StoredChunk & { label: number })[];
}

export class MemoryIndex {
  readonly rows = new Map<string, Row>();
  private readonly byLabel = new Map<number, { chunk: StoredChunk; article: Article }>();
  private readonly byChunkId = new Map<string, number>();

  /** Starts from a snapshot's graph and keyword index (holding `labels`), or empty. */
  constructor(
    readonly dims: number,
    private hnsw: Hnsw | null = null,
    private keyword: MiniSearch<KeywordDoc> = createKeywordIndex(),
    private snapshotLabels: Set<number> = new Set(),
  ) {
    hnsw?.setEf(HNSW.efSearch);
  }

  /** Brings a snapshot in line with the log: labels it holds that the log no longer has go. */
  dropStale(live: Set<number>): void {
    for (const label of this.snapshotLabels) {
      if (live.has(label)) continue;
      this.hnsw?.markDelete(label);
      this.keyword.discard(label);
      this.snapshotLabels.delete(label);
    }
  }

  /** Adds (or replaces) one article; chunks the snapshot already holds are not added again. */
  put(rec: LogRecord): void {
    this.drop(rec.article.id);
    const fresh = rec.chunks.filter((c) => !this.snapshotLabels.delete(c.label));
    this.ensureCapacity(fresh.length);
    const docs: KeywordDoc[] = [];
    for (const c of fresh) {
      this.hnsw!.addPoint(Array.from(c.vector), c.label, true);
      docs.push({ id: c.label, text: rec.article.text.slice(c.start, c.end), title: rec.article.title, articleId: rec.article.id });
    }
    addKeywordDocs(this.keyword, docs);
    const row: Row = { article: rec.article, chunks: rec.chunks.map(({ vector: _v, ...c }) => c) };
    this.rows.set(rec.article.id, row);
    for (const { label, ...chunk } of row.chunks) {
      this.byLabel.set(label, { chunk, article: rec.article });
      this.byChunkId.set(chunk.id, label);
    }
  }

  drop(articleId: string): void {
    const row = this.rows.get(articleId);
    if (!row) return;
    for (const c of row.chunks) {
      this.hnsw?.markDelete(c.label);
      this.keyword.discard(c.label);
      this.byLabel.delete(c.label);
      this.byChunkId.delete(c.id);
    }
    this.rows.delete(articleId);
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

  /** What a snapshot needs: the graph, the keyword index and the labels they hold. */
  parts() {
    return { hnsw: this.hnsw, keyword: this.keyword, labels: [...this.byLabel.keys()] };
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
    const live = this.byLabel.size;
    if (!this.hnsw || live === 0) return [];
    const keep = isEmptyFilter(filter) ? undefined : (label: number) => {
      const hit = this.byLabel.get(label);
      return !!hit && matchesFilter(hit.article, filter);
    };
    this.hnsw.setEf(Math.max(HNSW.efSearch, k));
    const { neighbors, distances } = this.hnsw.searchKnn(Array.from(vector), Math.min(k, live), keep);
    return neighbors.flatMap((label, i) => {
      const hit = this.byLabel.get(label);
      return hit ? [{ chunkId: hit.chunk.id, score: 1 - distances[i] }] : [];
    });
  }

  keywordSearch(query: string, k: number, filter?: SearchFilter): Hit[] {
    const keep = isEmptyFilter(filter) ? undefined : (articleId: string) => {
      const row = this.rows.get(articleId);
      return !!row && matchesFilter(row.article, filter);
    };
    return searchKeyword(this.keyword, query, k, keep).flatMap(({ id, score }) => {
      const hit = this.byLabel.get(id);
      return hit ? [{ chunkId: hit.chunk.id, score }] : [];
    });
  }
}
