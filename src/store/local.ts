/**
 * The default store: an article log in INDEX_DIR (SQLite, the source of truth) and indexes
 * derived from it in memory, checkpointed to snapshots off the request path.
 *
 * Write path: `apply` commits one SQLite transaction (durable when it returns), then brings the
 * in-memory indexes up to the log's change sequence. Every read first catches up the same way,
 * so several processes on one folder (two servers, `npm run ingest` beside a server) each see
 * every committed write. Start: load the newest good snapshot, then add what the log holds that
 * the snapshot does not and drop what it no longer holds; with no snapshot, build from the log
 * (no re-embedding: the vectors are in the log).
 */
import { join } from 'node:path';
import type { Article } from '../corpus/article.js';
import { AppError } from '../errors.js';
import { inspectFolder, readLegacy, writeMarker } from './folder.js';
import type { AnswerLog } from './answerLog.js';
import { ArticleLog, LOG_FILE } from './log.js';
import { MemoryIndex } from './memory.js';
import { loadSnapshot, writeSnapshot } from './snapshot.js';
import type { AnswerRetention, ArticleRecord, Hit, IndexSettings, SearchFilter, Store } from './types.js';

/** Changes after which a snapshot is written at once, however busy the writes. */
const SNAPSHOT_EVERY = 1000;

export interface LocalStoreOptions {
  /** Where damage found and set aside is reported (the log, not a response). */
  report?: (line: string) => void;
  /** A snapshot is written this long after the last write (0: only on close). */
  snapshotDelayMs?: number;
}

export class LocalStore implements Store {
  readonly kind = 'local' as const;
  private mem: MemoryIndex | null = null;
  private settingsNow: IndexSettings | null;
  /** A reset waits in memory until the next apply commits it with its articles. */
  private pendingReset: IndexSettings | null = null;
  private seq = 0;
  private snapshotSeq = 0;
  /** Writes and snapshots take turns: hnswlib must not be changed while its graph is saved. */
  private turn: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Kept answers: read and written straight in the log file, so every process sees them at once. */
  private readonly answers: AnswerLog;

  private constructor(private readonly dir: string, private readonly log: ArticleLog, private readonly opts: LocalStoreOptions) {
    this.settingsNow = log.settings();
    this.answers = log.answers(opts.report);
  }

  /**
   * Opens the index in `dir`: creates it when the folder is empty, imports a folder of the
   * previous format, loads snapshot + log.
   * @throws AppError('store_unavailable') for a folder that is not an Archivist index or is of
   *   another format; the folder is left exactly as it was.
   */
  static async open(dir: string, opts: LocalStoreOptions = {}): Promise<LocalStore> {
    const state = await inspectFolder(dir);
    const legacy = state.kind === 'legacy' ? await readLegacy(dir) : undefined;
    const log = new ArticleLog(join(dir, LOG_FILE));
    let store: LocalStore;
    try {
      store = new LocalStore(dir, log, opts);
      if (legacy) {
        await log.write({ reset: legacy.settings, put: legacy.records, remove: [] });
        store.settingsNow = legacy.settings;
        opts.report?.(`store: imported ${legacy.records.length} articles from the previous index format; the old gen-* folders and CURRENT are kept and can be deleted`);
      }
      if (state.kind !== 'current') await writeMarker(dir);
      await store.load();
    } catch (e) {
      log.close();
      throw e;
    }
    return store;
  }

  private async load(): Promise<void> {
    const settings = this.log.settings();
    this.settingsNow = settings;
    if (!settings) return;
    const { seq, records, damaged } = this.log.readAll();
    for (const d of damaged) {
      this.opts.report?.(`store: article log record ${d.row} (article ${d.articleId}) fails its checksum and is skipped; add the article again to repair it`);
    }
    const snap = await loadSnapshot(this.dir, settings.dims, this.opts.report ?? (() => undefined));
    const mem = snap ? new MemoryIndex(settings.dims, snap.hnsw, snap.keyword, new Set(snap.labels)) : new MemoryIndex(settings.dims);
    mem.dropStale(new Set(records.flatMap((r) => r.chunks.map((c) => c.label))));
    for (const rec of records) mem.put(rec);
    this.mem = mem;
    this.seq = seq;
    this.snapshotSeq = snap?.seq ?? 0;
  }

  /** Replays the changes other processes (or this one) committed since we last looked. */
  private catchUp(): void {
    if (this.pendingReset) return; // a rebuild in progress sees only its own state
    const last = this.log.lastSeq();
    if (last <= this.seq) return;
    const changes = this.log.changesAfter(this.seq);
    const resetAt = changes.findLastIndex((c) => c.op === 'reset');
    if (resetAt >= 0) {
      this.settingsNow = this.log.settings();
      this.mem = new MemoryIndex(this.settingsNow!.dims);
    }
    const mem = this.mem!;
    const touched = new Set(changes.slice(resetAt + 1).map((c) => c.articleId!));
    if (resetAt >= 0) for (const rec of this.log.readAll().records) mem.put(rec);
    else {
      for (const id of touched) {
        const rec = this.log.read(id);
        if (rec) mem.put(rec);
        else mem.drop(id);
      }
    }
    this.seq = changes.at(-1)!.seq;
  }

  /** Current in-memory state, after catching up; waits while a snapshot holds the graph. */
  private async view(): Promise<MemoryIndex | null> {
    if (!this.closed && !this.pendingReset && this.log.lastSeq() > this.seq) await this.take(async () => this.catchUp());
    return this.mem;
  }

  private take<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.turn.then(fn, fn);
    this.turn = run.catch(() => undefined);
    return run;
  }

  async settings() {
    await this.view();
    return this.pendingReset ?? this.settingsNow;
  }

  async reset(settings: IndexSettings): Promise<void> {
    await this.take(async () => {
      this.pendingReset = settings;
      this.mem = new MemoryIndex(settings.dims);
    });
  }

  apply(change: { put: ArticleRecord[]; remove: string[] }): Promise<void> {
    return this.take(async () => {
      const settings = this.pendingReset ?? this.settingsNow;
      if (!settings) throw new AppError('internal', 'store: reset(settings) must run before the first apply');
      for (const rec of change.put) {
        if (rec.vectors.length !== rec.chunks.length) throw new AppError('internal', `store: ${rec.article.id} has ${rec.chunks.length} chunks but ${rec.vectors.length} vectors`);
        for (const v of rec.vectors) {
          if (v.length !== settings.dims) throw new AppError('internal', `store: vector of ${v.length} dimensions, index has ${settings.dims}`);
        }
      }
      const reset = this.pendingReset ?? undefined;
      await this.log.write({ reset, put: change.put, remove: change.remove });
      if (reset) {
        this.pendingReset = null;
        this.settingsNow = reset;
      }
      this.catchUp();
      this.scheduleSnapshot();
    });
  }

  private scheduleSnapshot() {
    const delay = this.opts.snapshotDelayMs ?? 0;
    if (!delay || this.closed) return;
    clearTimeout(this.timer);
    // Debounced, but a steady stream of writes still gets a snapshot every SNAPSHOT_EVERY changes,
    // so the log to replay at the next start stays short.
    const due = this.seq - this.snapshotSeq >= SNAPSHOT_EVERY ? 0 : delay;
    this.timer = setTimeout(() => void this.checkpoint().catch((e) => this.opts.report?.(`store: snapshot not written (${(e as Error).message}); the article log has every write`)), due);
    this.timer.unref();
  }

  /** Writes a snapshot of the indexes as they are now, if the log moved since the last one; returns bytes written. */
  checkpoint(): Promise<number> {
    return this.take(async () => {
      this.catchUp();
      if (!this.mem || this.pendingReset || this.seq === this.snapshotSeq) return 0;
      const parts = this.mem.parts();
      const bytes = await writeSnapshot(this.dir, { seq: this.seq, dims: this.mem.dims, ...parts });
      this.snapshotSeq = this.seq;
      return bytes;
    });
  }

  async fingerprints() {
    const mem = await this.view();
    return new Map([...(mem?.rows.values() ?? [])].map((r) => [r.article.id, { hash: r.article.hash, source: r.article.source }]));
  }

  async counts() {
    return (await this.view())?.counts() ?? { articles: 0, chunks: 0 };
  }

  async listArticles({ offset, limit }: { offset: number; limit: number }) {
    return (await this.view())?.list(offset, limit) ?? { total: 0, items: [] };
  }

  async getArticle(id: string): Promise<Article | undefined> {
    return (await this.view())?.rows.get(id)?.article;
  }

  async getChunks(ids: string[]) {
    return (await this.view())?.chunks(ids) ?? [];
  }

  async vectorSearch(vector: Float32Array, k: number, filter?: SearchFilter): Promise<Hit[]> {
    return (await this.view())?.vectorSearch(vector, k, filter) ?? [];
  }

  async keywordSearch(query: string, k: number, filter?: SearchFilter): Promise<Hit[]> {
    return (await this.view())?.keywordSearch(query, k, filter) ?? [];
  }

  saveAnswer(answer: { id: string; at: string; record: unknown }, retention?: AnswerRetention) {
    return this.answers.save(answer, retention);
  }

  async getAnswer(id: string) {
    return this.answers.get(id);
  }

  async listAnswers(page: { offset: number; limit: number }) {
    return this.answers.list(page);
  }

  setFeedback(id: string, feedback: unknown) {
    return this.answers.setFeedback(id, feedback);
  }

  deleteAnswer(id: string) {
    return this.answers.delete(id);
  }

  async judgedAnswers() {
    return this.answers.judged();
  }

  /** Every stored article with its chunks and vectors, read from the log (moving to PostgreSQL needs no re-embedding). */
  *records(): Generator<ArticleRecord> {
    for (const rec of this.log.readAll().records) {
      yield { article: rec.article, chunks: rec.chunks.map(({ label: _l, vector: _v, ...c }) => c), vectors: rec.chunks.map((c) => c.vector) };
    }
  }

  /** Waits for writes, writes a last snapshot when the log moved, and closes the log. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.checkpoint().catch((e) => this.opts.report?.(`store: snapshot not written (${(e as Error).message}); the article log has every write`));
    await this.turn;
    this.log.close();
  }
}

/** Size of the index folder's files on disk, in bytes (for health and benchmarks). */
export { folderBytes as indexBytes } from './folder.js';
