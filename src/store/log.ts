/**
 * The article log: the one durable copy of every accepted article, its chunks and their vectors,
 * in SQLite (better-sqlite3) inside INDEX_DIR. Everything else the local store keeps (the HNSW
 * graph, the keyword index) is derived from it and can be rebuilt from it without re-embedding.
 *
 * Why SQLite: a write is one transaction, durable when COMMIT returns (WAL + synchronous=FULL), so
 * a write costs the size of the change, not of the archive; its file lock serialises writers
 * across processes (two servers, or `npm run ingest` beside a server); WAL lets readers go on
 * while one process writes. Each article row carries a checksum over its JSON, its chunks and
 * their vectors, so a damaged record is found, named and skipped while the rest loads.
 * `changes` numbers every write: a process replays the changes after the last one it has seen.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Article } from '../corpus/article.js';
import { AppError } from '../errors.js';
import { AnswerLog } from './answerLog.js';
import { SentenceLog } from './sentenceLog.js';
import { SourceLog } from './sourceLog.js';
import type { IndexSettings, SentenceSet, StoredChunk } from './types.js';

export const LOG_FILE = 'articles.db';
/** The schema version inside the database; a file of another version is refused. */
export const LOG_VERSION = 1;
/** Waits for another process's write this long before giving up with a clear error. */
const LOCK_WAIT_MS = 30_000;

export interface LogChunk extends StoredChunk {
  /** The chunk's row id: never reused, so it doubles as the HNSW label. */
  label: number;
  vector: Float32Array;
}

export interface LogRecord {
  article: Article;
  chunks: LogChunk[];
}

export type LogChange = { seq: number; articleId: string | null; op: 'put' | 'remove' | 'reset' };

/** Checksum of one record: the article JSON, then each chunk's id, offsets and vector bytes. */
function checksum(json: string, chunks: { id: string; start: number; end: number; vector: Buffer | Float32Array }[]): string {
  const h = createHash('sha256').update(json);
  for (const c of chunks) {
    h.update(`\0${c.id}\0${c.start}\0${c.end}\0`);
    h.update(Buffer.isBuffer(c.vector) ? c.vector : Buffer.from(c.vector.buffer, c.vector.byteOffset, c.vector.byteLength));
  }
  return h.digest('hex').slice(0, 32);
}

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS articles (id TEXT PRIMARY KEY, hash TEXT NOT NULL, source TEXT NOT NULL, json TEXT NOT NULL, crc TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS chunks (label INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, article_id TEXT NOT NULL,
    ord INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, vector BLOB NOT NULL);
  CREATE INDEX IF NOT EXISTS chunks_article ON chunks (article_id, ord);
  CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, article_id TEXT, op TEXT NOT NULL);
`;

/** A damaged record found while reading: its position in the log and what it was. */
export interface Damaged {
  row: number;
  articleId: string;
}

export class ArticleLog {
  private readonly db: Database.Database;
  /** Sentence vectors, written with their articles (see sentenceLog.ts). */
  readonly sentences: SentenceLog;

  /** Opens (or creates) the log file; `path` stays out of every message a user sees. */
  constructor(path: string) {
    try {
      this.db = new Database(path, { timeout: 50 });
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      this.db.exec(SCHEMA);
      // The log's identity: a snapshot or committed mark of another log is never taken for its own.
      this.db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('log_id', ?)`).run(randomUUID());
      const version = this.db.prepare(`SELECT value FROM meta WHERE key = 'version'`).get() as { value: string } | undefined;
      if (!version) this.db.prepare(`INSERT OR IGNORE INTO meta (key, value) VALUES ('version', ?)`).run(String(LOG_VERSION));
      else if (Number(version.value) !== LOG_VERSION) {
        throw new AppError(
          'store_unavailable',
          `store: the article log is of version ${version.value}, this Archivist reads version ${LOG_VERSION}; use the Archivist that wrote it, or point INDEX_DIR at a new folder`,
        );
      }
      this.sentences = new SentenceLog(this.db);
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError(
        'store_unavailable',
        `store: the article log cannot be opened (${(e as { code?: string }).code ?? 'error'}); it is left as it is. Restore INDEX_DIR from a backup or point INDEX_DIR at a new folder`,
        { cause: e },
      );
    }
  }

  /**
   * The log's id and last committed change, read without writing anything: a read-only
   * connection neither checkpoints the WAL nor deletes it on close, so a damaged WAL stays exactly
   * as it was found. Undefined when there is no log file yet.
   */
  static peek(path: string): { logId: string | null; lastSeq: number } | undefined {
    if (!existsSync(path)) return undefined;
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true, timeout: 1000 });
      const has = db.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name IN ('meta', 'changes')`).get() as { n: number };
      if (has.n < 2) return { logId: null, lastSeq: 0 };
      const id = db.prepare(`SELECT value FROM meta WHERE key = 'log_id'`).get() as { value: string } | undefined;
      const last = (db.prepare('SELECT coalesce(max(seq), 0) AS s FROM changes').get() as { s: number }).s;
      return { logId: id?.value ?? null, lastSeq: last };
    } catch (e) {
      throw new AppError(
        'store_unavailable',
        `store: the article log cannot be read (${(e as { code?: string }).code ?? 'error'}: ${(e as Error).message}); it is left as it is. Run \`npm run check\` to see what is damaged`,
        { cause: e },
      );
    } finally {
      db?.close();
    }
  }

  logId(): string {
    return (this.db.prepare(`SELECT value FROM meta WHERE key = 'log_id'`).get() as { value: string }).value;
  }

  /** SQLite's own check of every table and index page; empty when all is well. */
  integrityProblems(): string[] {
    try {
      const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
      return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    } catch (e) {
      if (isDamage(e)) return [`${(e as Error).message} (integrity_check could not finish)`];
      throw e;
    }
  }

  /** Rebuilds every index of the log's tables from the tables themselves; false when SQLite cannot. */
  reindex(): boolean {
    try {
      this.db.exec('REINDEX');
      return true;
    } catch (e) {
      if (isDamage(e)) return false;
      throw e;
    }
  }

  /**
   * Copies the log into a new file, table by table (the copy's indexes are built afresh), for a
   * repair when an index page is too damaged to rebuild in place; false when a table cannot be read.
   */
  copyInto(path: string): boolean {
    // Not VACUUM INTO: it reads through the damaged index. Each table is read in its own order.
    const objs = this.db.prepare(`SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'`).all() as {
      type: string;
      name: string;
      sql: string;
    }[];
    const q = (name: string) => `"${name.replace(/"/g, '""')}"`;
    this.db.prepare('ATTACH ? AS copy').run(path);
    try {
      this.db.transaction(() => {
        for (const o of objs.filter((x) => x.type === 'table')) {
          this.db.exec(o.sql.replace(/^CREATE TABLE (IF NOT EXISTS )?/i, 'CREATE TABLE copy.'));
          this.db.exec(`INSERT INTO copy.${q(o.name)} SELECT * FROM main.${q(o.name)} NOT INDEXED`);
        }
        if (this.db.prepare(`SELECT 1 FROM copy.sqlite_master WHERE name = 'sqlite_sequence'`).get()) {
          this.db.exec('DELETE FROM copy.sqlite_sequence; INSERT INTO copy.sqlite_sequence SELECT * FROM main.sqlite_sequence');
        }
        for (const o of objs.filter((x) => x.type === 'index')) this.db.exec(o.sql.replace(/^CREATE (UNIQUE )?INDEX (IF NOT EXISTS )?/i, (m) => `${m}copy.`));
      })();
      return true;
    } catch (e) {
      if (isDamage(e)) return false;
      throw e;
    } finally {
      this.db.exec('DETACH copy');
    }
  }

  /** The raw database, for the check command's repairs (never the request path). */
  get raw(): Database.Database {
    return this.db;
  }

  settings(): IndexSettings | null {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = 'settings'`).get() as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as IndexSettings) : null;
  }

  lastSeq(): number {
    return (this.db.prepare('SELECT coalesce(max(seq), 0) AS s FROM changes').get() as { s: number }).s;
  }

  changesAfter(seq: number): LogChange[] {
    return this.db.prepare('SELECT seq, article_id AS articleId, op FROM changes WHERE seq > ? ORDER BY seq').all(seq) as LogChange[];
  }

  /**
   * Writes one change as one transaction, committed (and on disk) when this returns. `reset`
   * empties the log and records new settings in the same transaction as the puts that follow.
   * Waits for another process's write, asynchronously, up to LOCK_WAIT_MS.
   */
  async write(change: {
    reset?: IndexSettings;
    put: { article: Article; chunks: StoredChunk[]; vectors: Float32Array[]; sentences?: SentenceSet }[];
    remove: string[];
  }): Promise<number> {
    const tx = this.db.transaction(() => {
      if (change.reset) {
        this.db.exec('DELETE FROM articles; DELETE FROM chunks;');
        this.db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES ('settings', ?)`).run(JSON.stringify(change.reset));
        this.db.prepare(`INSERT INTO changes (article_id, op) VALUES (NULL, 'reset')`).run();
      }
      const delChunks = this.db.prepare('DELETE FROM chunks WHERE article_id = ?');
      const delArticle = this.db.prepare('DELETE FROM articles WHERE id = ?');
      const addChange = this.db.prepare('INSERT INTO changes (article_id, op) VALUES (?, ?)');
      for (const id of change.remove) {
        delChunks.run(id);
        if (delArticle.run(id).changes) addChange.run(id, 'remove');
      }
      const putArticle = this.db.prepare('INSERT OR REPLACE INTO articles (id, hash, source, json, crc) VALUES (?, ?, ?, ?, ?)');
      const putChunk = this.db.prepare('INSERT INTO chunks (id, article_id, ord, start, "end", vector) VALUES (?, ?, ?, ?, ?, ?)');
      for (const rec of change.put) {
        const json = JSON.stringify(rec.article);
        const chunks = rec.chunks.map((c, i) => ({ ...c, vector: rec.vectors[i] }));
        delChunks.run(rec.article.id);
        putArticle.run(rec.article.id, rec.article.hash, rec.article.source, json, checksum(json, chunks));
        chunks.forEach((c, i) => putChunk.run(c.id, rec.article.id, i, c.start, c.end, Buffer.from(c.vector.buffer, c.vector.byteOffset, c.vector.byteLength)));
        addChange.run(rec.article.id, 'put');
      }
      this.sentences.writeIn({ reset: !!change.reset, put: change.put, remove: change.remove });
      return this.lastSeq();
    });
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        return tx.immediate();
      } catch (e) {
        if ((e as { code?: string }).code !== 'SQLITE_BUSY') throw this.failed(e);
        if (Date.now() > deadline)
          throw new AppError('unavailable', 'store: another process has been writing to the index for too long; try again', { cause: e });
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
    }
  }

  private failed(e: unknown): AppError {
    if (e instanceof AppError) return e;
    if (isDamage(e)) return damageError(e);
    return new AppError(
      'store_unavailable',
      `store: the article log could not be written (${(e as { code?: string }).code ?? 'error'}); nothing of this change was stored, try again`,
      { cause: e },
    );
  }

  /** Whether the log has a row for this article (damaged or not). */
  has(id: string): boolean {
    return !!this.db.prepare('SELECT 1 FROM articles WHERE id = ?').get(id);
  }

  /** One article as stored, or undefined when it is absent or fails its checksum. */
  read(id: string): LogRecord | undefined {
    const row = this.db.prepare('SELECT rowid AS row, id, json, crc FROM articles WHERE id = ?').get(id) as ArticleRow | undefined;
    if (!row) return undefined;
    const chunks = this.db.prepare('SELECT label, id, article_id, start, "end", vector FROM chunks WHERE article_id = ? ORDER BY ord').all(id) as ChunkRow[];
    return toRecord(row, chunks);
  }

  /**
   * Every article in one consistent read, with the sequence it reflects; records that fail their
   * checksum are returned apart, by position, and left in the file untouched.
   */
  readAll(): { seq: number; records: LogRecord[]; damaged: Damaged[] } {
    return this.db.transaction(() => {
      const seq = this.lastSeq();
      const byArticle = new Map<string, ChunkRow[]>();
      // In table order, not through the article index: a damaged index page must not stop the
      // full read that the check and its repairs rely on.
      for (const c of this.db.prepare('SELECT label, id, article_id, ord, start, "end", vector FROM chunks ORDER BY label').iterate() as Iterable<
        ChunkRow & { ord: number }
      >) {
        const list = byArticle.get(c.article_id) ?? [];
        list.push(c);
        byArticle.set(c.article_id, list);
      }
      for (const list of byArticle.values()) (list as (ChunkRow & { ord: number })[]).sort((a, b) => a.ord - b.ord);
      const records: LogRecord[] = [];
      const damaged: Damaged[] = [];
      for (const row of this.db.prepare('SELECT rowid AS row, id, json, crc FROM articles ORDER BY rowid').iterate() as Iterable<ArticleRow>) {
        const rec = toRecord(row, byArticle.get(row.id) ?? []);
        if (rec) records.push(rec);
        else damaged.push({ row: row.row, articleId: row.id });
      }
      return { seq, records, damaged };
    })();
  }

  /** The kept answers, in this same file (their table is created on first use; see answerLog.ts). */
  answers(report?: (line: string) => void): AnswerLog {
    return new AnswerLog(this.db, report);
  }

  /** The feed, sitemap and page sources, in this same file (their table is created on first use; see sourceLog.ts). */
  sources(): SourceLog {
    return new SourceLog(this.db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** SQLite's codes for a file whose pages do not read back as written. */
export const isDamage = (e: unknown) => /^SQLITE_(CORRUPT|NOTADB)/.test((e as { code?: string })?.code ?? '');

/** The one message for a damaged log page, on a read or a write. */
export function damageError(e: unknown): AppError {
  const code = (e as { code?: string }).code;
  return new AppError(
    'store_unavailable',
    `store: the article log is damaged (${code}: ${(e as Error).message}); nothing was changed. Run \`npm run check\` to see what is damaged and \`npm run check -- --repair\` to rebuild what can be rebuilt`,
    { cause: e },
  );
}

interface ArticleRow {
  row: number;
  id: string;
  json: string;
  crc: string;
}
interface ChunkRow {
  label: number;
  id: string;
  article_id: string;
  start: number;
  end: number;
  vector: Buffer;
}

function toRecord(row: ArticleRow, chunks: ChunkRow[]): LogRecord | undefined {
  if (checksum(row.json, chunks) !== row.crc) return undefined;
  let article: Article;
  try {
    article = JSON.parse(row.json) as Article;
  } catch {
    return undefined;
  }
  if (article.id !== row.id) return undefined;
  return {
    article,
    chunks: chunks.map((c) => ({
      label: c.label,
      id: c.id,
      articleId: row.id,
      start: c.start,
      end: c.end,
      // Copy out of SQLite's buffer so the Float32Array is aligned and owns its memory.
      vector: new Float32Array(new Uint8Array(c.vector).buffer),
    })),
  };
}
