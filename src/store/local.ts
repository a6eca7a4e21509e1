/**
 * The default store: an article log in INDEX_DIR (SQLite, the source of truth) and indexes
 * derived from it in memory, checkpointed to snapshots off the request path.
 *
 * Write path: `apply` commits one SQLite transaction (durable when it returns), then brings the
 * in-memory indexes up to the log's change sequence. Every read first catches up the same way,
 * so several processes on one folder (two servers, `npm run ingest` beside a server) each see
 * every committed write. Start: check that the log ends where the committed mark and the
 * snapshots say it must (before SQLite may touch a damaged WAL), load the newest good snapshot
 * (tables, graph, keyword index as of its sequence), then replay only the log changes after it;
 * with no snapshot, build from the log (no re-embedding: the vectors are in the log). The full
 * re-check of every record is `npm run check` (check.ts), not every start.
 */
import { join } from 'node:path';
import type { Article } from '../corpus/article.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { markWriter, readMark, type Mark } from './committed.js';
import { inspectFolder, readLegacy, writeMarker } from './folder.js';
import type { AnswerLog } from './answerLog.js';
import { ArticleLog, damageError, isDamage, LOG_FILE } from './log.js';
import { MemoryIndex, type FrozenParts } from './memory.js';
import { loadSnapshot, readManifest, snapshotFolders, writeSnapshot } from './snapshot.js';
import type { AnswerRetention, ArticleRecord, Hit, IndexSettings, SearchFilter, SentenceSet, Store, StoreHealth } from './types.js';

/** Changes after which a snapshot is written at once, however busy the writes. */
const SNAPSHOT_EVERY = 1000;

export interface LocalStoreOptions {
  /** Where damage found and set aside is reported as a warning (the log, not a response). */
  logger?: Logger;
  /** A snapshot is written this long after the last write (0: only on close). */
  snapshotDelayMs?: number;
}

/** What the folder says the log must hold at least: the committed mark and the snapshots' sequences. */
export async function committedEvidence(dir: string, logId: string): Promise<{ seq: number; where: string[]; snapshots: { name: string; seq: number }[] }> {
  const where: string[] = [];
  let seq = 0;
  const mark: Mark | undefined = await readMark(dir);
  if (mark && mark.logId === logId && mark.seq > 0) {
    seq = mark.seq;
    where.push(`articles.seq says ${mark.seq}`);
  }
  const snapshots: { name: string; seq: number }[] = [];
  for (const snap of await snapshotFolders(dir)) {
    const body = await readManifest(join(dir, snap.name)).catch(() => undefined);
    if (!body || body.logId !== logId) continue;
    snapshots.push({ name: snap.name, seq: body.seq });
    if (body.seq > seq) seq = body.seq;
    where.push(`${snap.name} covers ${body.seq}`);
  }
  return { seq, where, snapshots };
}

/**
 * Refuses a log that ends before what was committed, reading it without writing (SQLite would
 * otherwise checkpoint the surviving prefix of a damaged WAL and delete the rest for good).
 * @throws AppError('store_unavailable') saying what is missing and how to recover.
 */
export async function checkLogEnd(dir: string): Promise<void> {
  const peek = ArticleLog.peek(join(dir, LOG_FILE));
  if (!peek?.logId) return;
  const ev = await committedEvidence(dir, peek.logId);
  if (peek.lastSeq >= ev.seq) return;
  const missing = ev.seq - peek.lastSeq;
  const fromSnapshot = ev.snapshots.some((s) => s.seq > peek.lastSeq);
  throw new AppError(
    'store_unavailable',
    `store: the article log ends at change ${peek.lastSeq}, but changes up to ${ev.seq} were committed (${ev.where.join(', ')}): ` +
      `changes ${peek.lastSeq + 1}–${ev.seq} (${missing} ${missing === 1 ? 'change' : 'changes'}) are missing, so acknowledged articles would be lost. ` +
      'The log is damaged (typically articles.db-wal after a crash or a disk fault). Nothing was changed and no snapshot was written. ' +
      `To recover: stop every server on this folder and restore INDEX_DIR from a copy that holds change ${ev.seq}, ` +
      `or run \`npm run check -- --repair\` to accept the loss explicitly${fromSnapshot ? ' (it first restores from the newest snapshot every article the snapshot holds and the log lost)' : ''}`,
  );
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
  private snapshotting: Promise<number> | null = null;
  private mark: ReturnType<typeof markWriter> | null = null;
  /** Log pages that fail to read or write (the server is not ready while this is set). */
  private damage: string | null = null;
  /** Records skipped for their checksum (served without them). */
  private skipped = new Set<string>();
  /** Kept answers: read and written straight in the log file, so every process sees them at once. */
  private readonly answers: AnswerLog;

  private constructor(
    private readonly dir: string,
    private readonly log: ArticleLog,
    private readonly opts: LocalStoreOptions,
  ) {
    this.settingsNow = log.settings();
    this.answers = log.answers((line) => opts.logger?.warn(line));
  }

  /**
   * Opens the index in `dir`: creates it when the folder is empty, imports a folder of the
   * previous format, loads snapshot + log.
   * @throws AppError('store_unavailable') for a folder that is not an Archivist index or is of
   *   another format; the folder is left exactly as it was.
   */
  static async open(dir: string, opts: LocalStoreOptions = {}): Promise<LocalStore> {
    const state = await inspectFolder(dir);
    await checkLogEnd(dir);
    const legacy = state.kind === 'legacy' ? await readLegacy(dir) : undefined;
    const log = new ArticleLog(join(dir, LOG_FILE));
    let store: LocalStore;
    try {
      store = new LocalStore(dir, log, opts);
      if (legacy) {
        await log.write({ reset: legacy.settings, put: legacy.records, remove: [] });
        store.settingsNow = legacy.settings;
        opts.logger?.info(
          `store: imported ${legacy.records.length} articles from the previous index format; the old gen-* folders and CURRENT are kept and can be deleted`,
        );
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
    this.mark = markWriter(this.dir, this.log.logId(), (line: string) => this.opts.logger?.warn(line));
    const settings = this.log.settings();
    this.settingsNow = settings;
    if (!settings) return;
    const report = (line: string) => this.opts.logger?.warn(line);
    let snap = await loadSnapshot(this.dir, { dims: settings.dims, logId: this.log.logId() }, report);
    const tail = snap ? this.log.changesAfter(snap.seq) : [];
    if (tail.some((c) => c.op === 'reset')) snap = undefined; // rebuilt since: the snapshot is of another index
    if (!snap) {
      const { seq, records, damaged } = this.log.readAll();
      for (const d of damaged) {
        this.skipped.add(d.articleId);
        report(`store: article log record ${d.row} (article ${d.articleId}) fails its checksum and is skipped; add the article again to repair it`);
      }
      const mem = new MemoryIndex(settings.dims);
      for (const rec of records) mem.put(rec);
      this.mem = mem;
      this.seq = seq;
      return;
    }
    this.mem = new MemoryIndex(settings.dims, snap.hnsw, snap.keyword, snap.rows);
    this.seq = snap.seq;
    this.snapshotSeq = snap.seq;
    this.replay(tail, report);
  }

  /** Brings memory up to the log for the articles `changes` touched (each read once, checksum checked). */
  private replay(changes: { seq: number; articleId: string | null }[], report?: (line: string) => void): void {
    if (!changes.length) return;
    const mem = this.mem!;
    for (const id of new Set(changes.map((c) => c.articleId!))) {
      const rec = this.log.read(id);
      if (rec) {
        mem.put(rec);
        this.skipped.delete(id);
      } else {
        if (this.log.has(id)) this.skipped.add(id);
        else this.skipped.delete(id);
        if (report && this.log.has(id))
          report(`store: the article log record of article ${id} fails its checksum and is skipped; add the article again to repair it`);
        mem.drop(id);
      }
    }
    this.seq = changes.at(-1)!.seq;
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
    if (resetAt >= 0) {
      const mem = this.mem!;
      for (const rec of this.log.readAll().records) mem.put(rec);
      this.seq = changes.at(-1)!.seq;
    } else this.replay(changes);
  }

  /** Current in-memory state, after catching up; waits while a snapshot holds the graph. */
  private async view(): Promise<MemoryIndex | null> {
    if (!this.closed && !this.pendingReset && this.guard(() => this.log.lastSeq()) > this.seq) await this.take(async () => this.guard(() => this.catchUp()));
    return this.mem;
  }

  /** Runs a log read; a damaged page is remembered for health and readiness and said as such. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      const cause = e instanceof AppError ? e.cause : e;
      if (!isDamage(cause)) throw e;
      const err = e instanceof AppError ? e : damageError(cause);
      this.damage = err.message;
      throw err;
    }
  }

  health(): StoreHealth {
    if (this.damage) return { status: 'damaged', problem: this.damage };
    if (this.skipped.size) {
      const ids = [...this.skipped];
      return {
        status: 'degraded',
        problem: `store: ${ids.length} article log ${ids.length === 1 ? 'record fails its' : 'records fail their'} checksum and ${ids.length === 1 ? 'is' : 'are'} not served (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}); run \`npm run check\`, or add ${ids.length === 1 ? 'it' : 'them'} again`,
      };
    }
    return { status: 'ok' };
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
    // SQLite commits synchronously, so without this an acknowledged write resolves on microtasks
    // alone: a caller writing back to back (an in-process ingest, a benchmark) would never let
    // the event loop turn, and a snapshot's file I/O and timers would wait for good while the
    // writes kept aside beside its frozen indexes grew without end. One pass of the event loop
    // per write keeps them moving.
    return this.write(change).then(() => new Promise<void>((r) => setImmediate(r)));
  }

  private write(change: { put: ArticleRecord[]; remove: string[] }): Promise<void> {
    return this.take(async () => {
      const settings = this.pendingReset ?? this.settingsNow;
      if (!settings) throw new AppError('internal', 'store: reset(settings) must run before the first apply');
      for (const rec of change.put) {
        if (rec.vectors.length !== rec.chunks.length)
          throw new AppError('internal', `store: ${rec.article.id} has ${rec.chunks.length} chunks but ${rec.vectors.length} vectors`);
        for (const v of rec.vectors) {
          if (v.length !== settings.dims) throw new AppError('internal', `store: vector of ${v.length} dimensions, index has ${settings.dims}`);
        }
      }
      const reset = this.pendingReset ?? undefined;
      try {
        await this.log.write({ reset, put: change.put, remove: change.remove });
      } catch (e) {
        this.guard(() => {
          throw e;
        });
      }
      if (reset) {
        this.pendingReset = null;
        this.settingsNow = reset;
      }
      this.guard(() => this.catchUp());
      this.mark?.committed(this.seq);
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
    this.timer = setTimeout(
      () =>
        void this.checkpoint().catch((e) => this.opts.logger?.warn(`store: snapshot not written (${(e as Error).message}); the article log has every write`)),
      due,
    );
    this.timer.unref();
  }

  /**
   * Writes a snapshot of the indexes as of the log sequence they reflect now, if the log moved
   * since the last one; returns bytes written. Only freezing the state takes the write turn: the
   * snapshot is then written beside the writes (memory.ts keeps their index updates aside until
   * it is done), so an acknowledged write never waits for it.
   */
  checkpoint(): Promise<number> {
    this.snapshotting ??= this.snapshot().finally(() => (this.snapshotting = null));
    return this.snapshotting;
  }

  private async snapshot(): Promise<number> {
    let frozen: { mem: MemoryIndex; seq: number; parts: FrozenParts } | undefined;
    for (;;) {
      const step = await this.take(async () => {
        this.catchUp();
        const mem = this.mem;
        if (!mem || this.pendingReset || this.seq === this.snapshotSeq) {
          mem?.releaseKeyword();
          return undefined;
        }
        // The keyword index must not be frozen while it tidies away discarded documents (that
        // changes it): wait for a tidying under way, once, outside the turn. `holdKeyword`
        // starts no new one until the snapshot is written, so the second pass freezes.
        const tidying = mem.holdKeyword();
        if (tidying) return { tidying }; // wrapped: a promise returned here would hold the turn
        return { mem, seq: this.seq, parts: mem.freeze() };
      });
      if (step && 'tidying' in step) await step.tidying;
      else {
        frozen = step;
        break;
      }
    }
    if (!frozen) return 0;
    let bytes: number;
    try {
      bytes = await writeSnapshot(this.dir, { seq: frozen.seq, dims: frozen.mem.dims, logId: this.log.logId(), parts: frozen.parts });
    } finally {
      frozen.mem.unfreeze();
      while (frozen.mem.drain()) await new Promise((r) => setImmediate(r));
    }
    this.snapshotSeq = Math.max(this.snapshotSeq, frozen.seq);
    await this.mark?.flush();
    return bytes;
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

  /** Read from the log file, not memory: a set is ~1.5 KB a sentence, too much to hold for a large archive. */
  async sentenceSets(articleIds: string[]) {
    return this.guard(() => this.log.sentences.get(articleIds));
  }

  async putSentenceSets(sets: { articleId: string; set: SentenceSet }[]) {
    if (sets.length) await this.log.sentences.put(sets);
  }

  async lackingSentences(version: number, after: string, limit: number) {
    return this.guard(() => this.log.sentences.lacking(version, after, limit));
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
      const sentences = this.log.sentences.get([rec.article.id]).get(rec.article.id);
      yield {
        article: rec.article,
        chunks: rec.chunks.map(({ label: _l, vector: _v, ...c }) => c),
        vectors: rec.chunks.map((c) => c.vector),
        ...(sentences && sentences.hash === rec.article.hash ? { sentences } : {}),
      };
    }
  }

  /** Waits for writes, writes a last snapshot when the log moved (unless told not to), and closes the log. */
  async close(opts: { snapshot?: boolean } = {}) {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await this.snapshotting?.catch(() => undefined);
    if (opts.snapshot !== false)
      await this.checkpoint().catch((e) => this.opts.logger?.warn(`store: snapshot not written (${(e as Error).message}); the article log has every write`));
    await this.turn;
    await this.mark?.flush();
    this.log.close();
  }
}

/** Size of the index folder's files on disk, in bytes (for health and benchmarks). */
export { folderBytes as indexBytes } from './folder.js';
