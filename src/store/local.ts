/**
 * The default store: files in INDEX_DIR, loaded into memory.
 *
 * Layout: `CURRENT` names the live generation folder (`gen-<n>/`), which holds the HNSW graph,
 * the keyword index, the article and chunk table and a manifest with each file's size and hash.
 * A change writes a complete new generation and then replaces `CURRENT` by rename, the one step
 * a file system does atomically: a crash at any moment leaves the old generation or the new one
 * live, never a mix. We write our own files instead of LangChain's HNSWLib store because it
 * saves in place (a crash can leave a half-written index), cannot delete documents and keeps no
 * keyword index.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import hnswlib from 'hnswlib-node';
import type MiniSearch from 'minisearch';
import type { Article } from '../corpus/article.js';
import { AppError } from '../errors.js';
import { addKeywordDocs, createKeywordIndex, searchKeyword, type KeywordDoc } from './keyword.js';
import {
  isEmptyFilter,
  matchesFilter,
  type ArticleMeta,
  type ArticleRecord,
  type Hit,
  type IndexSettings,
  type SearchFilter,
  type Store,
  type StoredChunk,
} from './types.js';

const { HierarchicalNSW } = hnswlib;
type Hnsw = InstanceType<typeof HierarchicalNSW>;

/** Bump when the layout changes; an index of another version is refused and rebuilt. */
export const FORMAT_VERSION = 1;
const HNSW = { m: 16, efConstruction: 100, efSearch: 80, initialCapacity: 1024 };
const FILES = ['vectors.hnsw', 'keyword.json', 'articles.json'] as const;

interface Manifest {
  formatVersion: number;
  settings: IndexSettings;
  createdAt: string;
  articles: number;
  chunks: number;
  nextLabel: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

interface Row {
  article: Article;
  chunks: (StoredChunk & { label: number })[];
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

async function writeDurably(path: string, data: string | Buffer): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
function processAlive(pid: number): boolean {
  if (pid === process.pid) return false; // our own temp folder is finished with by now
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDir(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class LocalStore implements Store {
  readonly kind = 'local' as const;
  private readonly dir: string;
  private state!: {
    settings: IndexSettings | null;
    rows: Map<string, Row>;
    byLabel: Map<number, { chunk: StoredChunk; article: Article }>;
    byChunkId: Map<string, number>;
    hnsw: Hnsw | null;
    keyword: MiniSearch<KeywordDoc>;
    nextLabel: number;
    generation: number;
  };
  /** One writer at a time: every change waits for the one before it. */
  private writing: Promise<unknown> = Promise.resolve();

  private constructor(dir: string) {
    this.dir = dir;
    this.clear(null, 0);
  }

  /**
   * Opens the index in `dir` (an empty store when there is none yet).
   * @throws AppError('store_unavailable') when the index is damaged or of another format version;
   *   the caller decides whether to rebuild.
   */
  static async open(dir: string): Promise<LocalStore> {
    const store = new LocalStore(dir);
    await store.load();
    return store;
  }

  private clear(settings: IndexSettings | null, generation: number) {
    this.state = {
      settings,
      rows: new Map(),
      byLabel: new Map(),
      byChunkId: new Map(),
      hnsw: null,
      keyword: createKeywordIndex(),
      nextLabel: 0,
      generation,
    };
  }

  private async load(): Promise<void> {
    let current: string;
    try {
      current = (await readFile(join(this.dir, 'CURRENT'), 'utf8')).trim();
    } catch {
      return; // no index yet
    }
    const damaged = (why: string) =>
      new AppError('store_unavailable', `store: the index in ${this.dir} is damaged (${why}); it will be rebuilt from the sources`);
    if (!/^gen-\d+$/.test(current)) throw damaged('CURRENT does not name a generation');
    const gen = join(this.dir, current);
    let manifest: Manifest;
    try {
      manifest = JSON.parse(await readFile(join(gen, 'manifest.json'), 'utf8'));
    } catch (e) {
      throw damaged(`manifest unreadable: ${(e as Error).message}`);
    }
    if (manifest.formatVersion !== FORMAT_VERSION) {
      throw new AppError('store_unavailable', `store: index format ${manifest.formatVersion} in ${this.dir}, this version reads ${FORMAT_VERSION}; it will be rebuilt`);
    }
    const bufs: Record<string, Buffer> = {};
    for (const f of FILES) {
      const want = manifest.files[f];
      let buf: Buffer;
      try {
        buf = await readFile(join(gen, f));
      } catch {
        throw damaged(`${f} missing`);
      }
      if (!want || buf.length !== want.bytes || sha256(buf) !== want.sha256) throw damaged(`${f} does not match its checksum`);
      bufs[f] = buf;
    }
    this.clear(manifest.settings, Number(current.slice(4)));
    const s = this.state;
    const rows: Row[] = JSON.parse(bufs['articles.json'].toString('utf8'));
    for (const row of rows) this.index(row);
    s.nextLabel = manifest.nextLabel;
    s.keyword = createKeywordIndex(bufs['keyword.json'].toString('utf8'));
    if (manifest.chunks > 0 || manifest.nextLabel > 0) {
      const hnsw = new HierarchicalNSW('ip', manifest.settings.dims);
      await hnsw.readIndex(join(gen, 'vectors.hnsw'), true);
      hnsw.setEf(HNSW.efSearch);
      s.hnsw = hnsw;
    }
  }

  private index(row: Row) {
    const s = this.state;
    s.rows.set(row.article.id, row);
    for (const c of row.chunks) {
      const { label, ...chunk } = c;
      s.byLabel.set(label, { chunk, article: row.article });
      s.byChunkId.set(chunk.id, label);
    }
  }

  async settings() {
    return this.state.settings;
  }

  async reset(settings: IndexSettings): Promise<void> {
    // Only in memory: the old generation stays live on disk until the next apply commits.
    await this.serial(async () => this.clear(settings, this.state.generation));
  }

  apply(change: { put: ArticleRecord[]; remove: string[] }): Promise<void> {
    return this.serial(async () => {
      const s = this.state;
      if (!s.settings) throw new AppError('internal', 'store: reset(settings) must run before the first apply');
      for (const rec of change.put) {
        if (rec.vectors.length !== rec.chunks.length) throw new AppError('internal', `store: ${rec.article.id} has ${rec.chunks.length} chunks but ${rec.vectors.length} vectors`);
        for (const v of rec.vectors) {
          if (v.length !== s.settings.dims) throw new AppError('internal', `store: vector of ${v.length} dimensions, index has ${s.settings.dims}`);
        }
      }
      // Everything below is synchronous, so readers never see half a change.
      for (const id of [...change.remove, ...change.put.map((r) => r.article.id)]) this.drop(id);
      const needed = s.nextLabel + change.put.reduce((n, r) => n + r.chunks.length, 0);
      this.ensureCapacity(needed);
      const docs: KeywordDoc[] = [];
      for (const rec of change.put) {
        const row: Row = { article: rec.article, chunks: [] };
        rec.chunks.forEach((chunk, i) => {
          const label = s.nextLabel++;
          s.hnsw!.addPoint(Array.from(rec.vectors[i]), label);
          row.chunks.push({ ...chunk, label });
          docs.push({ id: label, text: rec.article.text.slice(chunk.start, chunk.end), title: rec.article.title, articleId: rec.article.id });
        });
        this.index(row);
      }
      addKeywordDocs(s.keyword, docs);
      try {
        await this.persist();
      } catch (e) {
        // Memory must not run ahead of disk: go back to the last committed generation.
        const settings = s.settings;
        this.clear(settings, 0);
        await this.load().catch(() => this.clear(settings, 0));
        if (e instanceof AppError) throw e;
        throw new AppError('internal', `store: could not save the index: ${(e as Error).message}`, { cause: e });
      }
    });
  }

  private drop(articleId: string) {
    const s = this.state;
    const row = s.rows.get(articleId);
    if (!row) return;
    for (const c of row.chunks) {
      s.hnsw?.markDelete(c.label);
      s.keyword.discard(c.label);
      s.byLabel.delete(c.label);
      s.byChunkId.delete(c.id);
    }
    s.rows.delete(articleId);
  }

  private ensureCapacity(needed: number) {
    const s = this.state;
    if (!s.hnsw) {
      s.hnsw = new HierarchicalNSW('ip', s.settings!.dims);
      s.hnsw.initIndex({ maxElements: Math.max(HNSW.initialCapacity, needed), m: HNSW.m, efConstruction: HNSW.efConstruction, allowReplaceDeleted: true });
      s.hnsw.setEf(HNSW.efSearch);
    } else if (needed > s.hnsw.getMaxElements()) {
      s.hnsw.resizeIndex(Math.max(needed, s.hnsw.getMaxElements() * 2));
    }
  }

  private async persist(): Promise<void> {
    const s = this.state;
    await mkdir(this.dir, { recursive: true });
    // Another process (an `npm run ingest` while the server runs) may have committed since we
    // loaded: writing on would discard its work, so stop and say so.
    const live = await readFile(join(this.dir, 'CURRENT'), 'utf8').then((t) => t.trim(), () => undefined);
    if (live && live !== `gen-${String(s.generation).padStart(6, '0')}`) {
      throw new AppError('conflict', `store: the index in ${this.dir} was changed by another process (now ${live}); it has been reloaded, send the change again`);
    }
    // Above every generation folder present: a writer killed between its rename and the commit
    // leaves an orphan that must not block (or be mistaken for) the next one.
    const existing = (await readdir(this.dir)).map((e) => /^gen-(\d+)$/.exec(e)).filter((m) => !!m).map((m) => Number(m![1]));
    const generation = Math.max(s.generation, ...existing) + 1;
    const name = `gen-${String(generation).padStart(6, '0')}`;
    const tmp = join(this.dir, `.${name}.tmp-${process.pid}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp);
    const rows = [...s.rows.values()];
    const files: Manifest['files'] = {};
    const put = async (f: string, data: Buffer) => {
      await writeDurably(join(tmp, f), data);
      files[f] = { bytes: data.length, sha256: sha256(data) };
    };
    if (s.hnsw) {
      await s.hnsw.writeIndex(join(tmp, 'vectors.hnsw'));
      const buf = await readFile(join(tmp, 'vectors.hnsw'));
      await writeDurably(join(tmp, 'vectors.hnsw'), buf);
      files['vectors.hnsw'] = { bytes: buf.length, sha256: sha256(buf) };
    } else {
      await put('vectors.hnsw', Buffer.alloc(0));
    }
    await put('keyword.json', Buffer.from(JSON.stringify(s.keyword)));
    await put('articles.json', Buffer.from(JSON.stringify(rows)));
    const manifest: Manifest = {
      formatVersion: FORMAT_VERSION,
      settings: s.settings!,
      createdAt: new Date().toISOString(),
      articles: rows.length,
      chunks: s.byLabel.size,
      nextLabel: s.nextLabel,
      files,
    };
    await writeDurably(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 2));
    await rename(tmp, join(this.dir, name));
    await syncDir(this.dir);
    await writeDurably(join(this.dir, 'CURRENT.tmp'), `${name}\n`);
    await rename(join(this.dir, 'CURRENT.tmp'), join(this.dir, 'CURRENT')); // the commit point
    await syncDir(this.dir);
    s.generation = generation;
    await this.removeStale(name);
  }

  /**
   * Generations older than the live one, and temp folders of writers that are gone; never the
   * live one, a newer one, or the temp folder of a process still running.
   */
  private async removeStale(live: string) {
    const liveN = Number(live.slice(4));
    for (const entry of await readdir(this.dir)) {
      const gen = /^gen-(\d+)$/.exec(entry);
      const tmp = /^\.gen-\d+\.tmp-(\d+)$/.exec(entry);
      const stale = gen ? Number(gen[1]) < liveN : tmp ? !processAlive(Number(tmp[1])) : false;
      if (stale) await rm(join(this.dir, entry), { recursive: true, force: true });
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.writing.then(fn, fn);
    this.writing = run.catch(() => undefined);
    return run;
  }

  async fingerprints() {
    return new Map([...this.state.rows.values()].map((r) => [r.article.id, { hash: r.article.hash, source: r.article.source }]));
  }

  async counts() {
    return { articles: this.state.rows.size, chunks: this.state.byLabel.size };
  }

  async listArticles({ offset, limit }: { offset: number; limit: number }) {
    const all = [...this.state.rows.values()].sort(
      (a, b) => (b.article.date ?? '').localeCompare(a.article.date ?? '') || a.article.title.localeCompare(b.article.title),
    );
    const items: ArticleMeta[] = all.slice(offset, offset + limit).map(({ article, chunks }) => {
      const { text: _text, ...meta } = article;
      return { ...meta, chunks: chunks.length };
    });
    return { total: all.length, items };
  }

  async getArticle(id: string) {
    return this.state.rows.get(id)?.article;
  }

  async getChunks(ids: string[]) {
    const out: { chunk: StoredChunk; article: Article }[] = [];
    for (const id of ids) {
      const label = this.state.byChunkId.get(id);
      const hit = label === undefined ? undefined : this.state.byLabel.get(label);
      if (hit) out.push(hit);
    }
    return out;
  }

  async vectorSearch(vector: Float32Array, k: number, filter?: SearchFilter): Promise<Hit[]> {
    const s = this.state;
    const live = s.byLabel.size;
    if (!s.hnsw || live === 0) return [];
    const keep = isEmptyFilter(filter) ? undefined : (label: number) => {
      const hit = s.byLabel.get(label);
      return !!hit && matchesFilter(hit.article, filter);
    };
    s.hnsw.setEf(Math.max(HNSW.efSearch, k));
    const { neighbors, distances } = s.hnsw.searchKnn(Array.from(vector), Math.min(k, live), keep);
    return neighbors.flatMap((label, i) => {
      const hit = s.byLabel.get(label);
      return hit ? [{ chunkId: hit.chunk.id, score: 1 - distances[i] }] : [];
    });
  }

  async keywordSearch(query: string, k: number, filter?: SearchFilter): Promise<Hit[]> {
    const s = this.state;
    const keep = isEmptyFilter(filter) ? undefined : (articleId: string) => {
      const row = s.rows.get(articleId);
      return !!row && matchesFilter(row.article, filter);
    };
    return searchKeyword(s.keyword, query, k, keep).flatMap(({ id, score }) => {
      const hit = s.byLabel.get(id);
      return hit ? [{ chunkId: hit.chunk.id, score }] : [];
    });
  }

  /**
   * Every article with its chunks and stored vectors, read back from the graph: moving an index
   * to another store (PostgreSQL) this way needs no re-embedding.
   */
  *records(): Generator<ArticleRecord> {
    const s = this.state;
    for (const row of s.rows.values()) {
      yield {
        article: row.article,
        chunks: row.chunks.map(({ label: _label, ...chunk }) => chunk),
        vectors: row.chunks.map((c) => Float32Array.from(s.hnsw!.getPoint(c.label))),
      };
    }
  }

  async close() {
    await this.writing;
  }
}

/** Size of the live index on disk, in bytes (for health and benchmarks). */
export async function indexBytes(dir: string): Promise<number> {
  try {
    const gen = (await readFile(join(dir, 'CURRENT'), 'utf8')).trim();
    let total = 0;
    for (const f of await readdir(join(dir, gen))) total += (await stat(join(dir, gen, f))).size;
    return total;
  } catch {
    return 0;
  }
}
