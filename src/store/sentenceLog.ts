/**
 * Sentence sets in the local store: one table in the article log's SQLite file, one row per
 * article (its hash, the rule's version, the set as one blob with a checksum). Written in the
 * same transaction as the article it belongs to, or later by the background fill
 * (ingest/sentences.ts). Derived data: a damaged, missing or outdated row is made again from the
 * article, never served. Not held in memory: answering reads the few rows of its passages.
 *
 * Added by its own migration, recorded as `sentences_version` in the log's `meta` table, so a
 * log written before sentence sets existed gains the (empty) table on first open.
 */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { migrateTable, writeTransaction } from './sqliteTables.js';
import { decodeSentences, encodeSentences } from './sentences.js';
import type { SentenceSet } from './types.js';

export const SENTENCE_TABLE_VERSION = 1;

const MIGRATIONS: Record<number, string> = {
  1: `CREATE TABLE IF NOT EXISTS sentences (article_id TEXT PRIMARY KEY, hash TEXT NOT NULL, version INTEGER NOT NULL,
        data BLOB NOT NULL, crc TEXT NOT NULL)`,
};

const crc = (data: Uint8Array) => createHash('sha256').update(data).digest('hex').slice(0, 32);

interface Row {
  article_id: string;
  hash: string;
  version: number;
  data: Buffer;
  crc: string;
}

export class SentenceLog {
  constructor(private readonly db: Database.Database) {
    migrateTable(db, { key: 'sentences_version', version: SENTENCE_TABLE_VERSION, migrations: MIGRATIONS, what: 'the sentence sets' });
  }

  /** Inside the article log's write transaction: each put replaces its article's set (or drops a stale one). */
  writeIn(change: { reset: boolean; put: { article: { id: string }; sentences?: SentenceSet }[]; remove: string[] }): void {
    if (change.reset) this.db.exec('DELETE FROM sentences');
    const del = this.db.prepare('DELETE FROM sentences WHERE article_id = ?');
    for (const id of change.remove) del.run(id);
    const put = this.db.prepare('INSERT OR REPLACE INTO sentences (article_id, hash, version, data, crc) VALUES (?, ?, ?, ?, ?)');
    for (const rec of change.put) {
      if (!rec.sentences) del.run(rec.article.id);
      else {
        const data = encodeSentences(rec.sentences);
        put.run(rec.article.id, rec.sentences.hash, rec.sentences.version, data, crc(data));
      }
    }
  }

  get(ids: string[]): Map<string, SentenceSet> {
    const out = new Map<string, SentenceSet>();
    const read = this.db.prepare('SELECT * FROM sentences WHERE article_id = ?');
    for (const id of new Set(ids)) {
      const row = read.get(id) as Row | undefined;
      if (!row || crc(row.data) !== row.crc) continue;
      const set = decodeSentences(row.data, row.version, row.hash);
      if (set) out.set(id, set);
    }
    return out;
  }

  /** Sets made after their article was written; one whose article changed meanwhile is dropped. */
  async put(sets: { articleId: string; set: SentenceSet }[]): Promise<void> {
    const put = this.db.prepare(`INSERT OR REPLACE INTO sentences (article_id, hash, version, data, crc)
      SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM articles WHERE id = ? AND hash = ?)`);
    const tx = () => {
      for (const { articleId, set } of sets) {
        const data = encodeSentences(set);
        put.run(articleId, set.hash, set.version, data, crc(data), articleId, set.hash);
      }
    };
    return writeTransaction(this.db, tx, 'sentence vectors');
  }

  lacking(version: number, after: string, limit: number): string[] {
    return this.db
      .prepare(
        `SELECT a.id FROM articles a LEFT JOIN sentences s ON s.article_id = a.id AND s.hash = a.hash AND s.version = ?
        WHERE s.article_id IS NULL AND a.id > ? ORDER BY a.id LIMIT ?`,
      )
      .pluck()
      .all(version, after, limit) as string[];
  }
}
