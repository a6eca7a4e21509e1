/**
 * Kept answers in the local store: one table in the article log's SQLite file, so an answer and
 * the articles it quotes live (and are backed up) together. Each row carries a checksum over its
 * record and one over its judgment, so a damaged row is named instead of shown.
 *
 * The table is added by its own migration, recorded as `answers_version` in the log's `meta`
 * table: a log written before answers existed gains the table on first open and is otherwise
 * unchanged; a file whose answers table is newer than this code is refused.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { AppError } from '../errors.js';
import { migrateTable, writeTransaction } from './sqliteTables.js';
import type { AnswerRetention, StoredAnswer } from './types.js';

/** The version of the answers table inside the log file. */
export const ANSWERS_VERSION = 1;

const MIGRATIONS: Record<number, string> = {
  1: `CREATE TABLE IF NOT EXISTS answers (id TEXT PRIMARY KEY, at TEXT NOT NULL, json TEXT NOT NULL, crc TEXT NOT NULL,
        feedback TEXT, feedback_crc TEXT);
      CREATE INDEX IF NOT EXISTS answers_at ON answers (at);`,
};

const crc = (json: string) => createHash('sha256').update(json).digest('hex').slice(0, 32);

interface Row {
  id: string;
  at: string;
  json: string;
  crc: string;
  feedback: string | null;
  feedback_crc: string | null;
}

export class AnswerLog {
  constructor(
    private readonly db: Database.Database,
    private readonly report: (line: string) => void = () => undefined,
  ) {
    migrateTable(db, { key: 'answers_version', version: ANSWERS_VERSION, migrations: MIGRATIONS, what: 'the kept answers' });
  }

  private write<T>(fn: () => T): Promise<T> {
    return writeTransaction(this.db, fn, 'the answer');
  }

  save(answer: { id: string; at: string; record: unknown }, retention: AnswerRetention = {}): Promise<void> {
    const json = JSON.stringify(answer.record);
    return this.write(() => {
      this.db.prepare('INSERT INTO answers (id, at, json, crc) VALUES (?, ?, ?, ?)').run(answer.id, answer.at, json, crc(json));
      if (retention.before) this.db.prepare('DELETE FROM answers WHERE feedback IS NULL AND at < ?').run(retention.before);
      if (retention.keep) {
        this.db
          .prepare(
            `DELETE FROM answers WHERE feedback IS NULL AND id NOT IN
          (SELECT id FROM answers WHERE feedback IS NULL ORDER BY at DESC, id DESC LIMIT ?)`,
          )
          .run(retention.keep);
      }
    });
  }

  /** @throws AppError('store_unavailable') naming the answer when its row fails its checksum. */
  get(id: string): StoredAnswer | undefined {
    const row = this.db.prepare('SELECT * FROM answers WHERE id = ?').get(id) as Row | undefined;
    if (!row) return undefined;
    const out = toStored(row);
    if (!out) throw new AppError('store_unavailable', `store: kept answer ${id} fails its checksum; it is left as it is and can be deleted`);
    return out;
  }

  list({ offset, limit }: { offset: number; limit: number }): { total: number; items: StoredAnswer[] } {
    return this.db.transaction(() => {
      const total = (this.db.prepare('SELECT count(*) AS n FROM answers').get() as { n: number }).n;
      const rows = this.db.prepare('SELECT * FROM answers ORDER BY at DESC, id DESC LIMIT ? OFFSET ?').all(limit, offset) as Row[];
      return { total, items: this.readable(rows) };
    })();
  }

  judged(): StoredAnswer[] {
    return this.readable(this.db.prepare('SELECT * FROM answers WHERE feedback IS NOT NULL ORDER BY at, id').all() as Row[]);
  }

  setFeedback(id: string, feedback: unknown): Promise<boolean> {
    const json = JSON.stringify(feedback);
    return this.write(() => this.db.prepare('UPDATE answers SET feedback = ?, feedback_crc = ? WHERE id = ?').run(json, crc(json), id).changes > 0);
  }

  delete(id: string): Promise<boolean> {
    return this.write(() => this.db.prepare('DELETE FROM answers WHERE id = ?').run(id).changes > 0);
  }

  /** Rows that pass their checksums; the others are reported by id and left in the file. */
  private readable(rows: Row[]): StoredAnswer[] {
    return rows.flatMap((r) => {
      const out = toStored(r);
      if (!out) this.report(`store: kept answer ${r.id} fails its checksum and is skipped; delete it to clear this`);
      return out ? [out] : [];
    });
  }
}

function toStored(row: Row): StoredAnswer | undefined {
  if (crc(row.json) !== row.crc) return undefined;
  if (row.feedback !== null && crc(row.feedback) !== row.feedback_crc) return undefined;
  try {
    return { id: row.id, at: row.at, record: JSON.parse(row.json), feedback: row.feedback === null ? null : JSON.parse(row.feedback) };
  } catch {
    return undefined;
  }
}
