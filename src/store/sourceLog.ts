/**
 * Feed, sitemap and page sources in the local store: one table in the article log's SQLite file,
 * so a source added through the API is as durable as an article (committed before the request is
 * answered) and two processes on one INDEX_DIR each write only their own rows, never the whole
 * list. One row per source: its definition (API sources; file sources keep theirs in
 * SOURCES_FILE) and its sync state, as JSON.
 *
 * Added by its own migration, recorded as `sources_version` in the log's `meta` table: a log
 * written before sources lived here gains the table on first open and is otherwise unchanged.
 */
import type Database from 'better-sqlite3';
import { migrateTable, writeTransaction } from './sqliteTables.js';

/** The version of the sources table inside the log file. */
export const SOURCES_VERSION = 1;

const MIGRATIONS: Record<number, string> = {
  1: 'CREATE TABLE IF NOT EXISTS sources (id TEXT PRIMARY KEY, def TEXT, state TEXT NOT NULL, updated_at TEXT NOT NULL)',
};

/** A source row as stored: `def` and `state` are the JSON the sources room gives. */
export interface SourceRow {
  id: string;
  def: unknown | null;
  state: unknown;
}

export class SourceLog {
  constructor(private readonly db: Database.Database) {
    migrateTable(db, { key: 'sources_version', version: SOURCES_VERSION, migrations: MIGRATIONS, what: 'the sources' });
  }

  private write<T>(fn: () => T): Promise<T> {
    return writeTransaction(this.db, fn, 'the source');
  }

  all(): SourceRow[] {
    const rows = this.db.prepare('SELECT id, def, state FROM sources ORDER BY rowid').all() as { id: string; def: string | null; state: string }[];
    return rows.map((r) => ({ id: r.id, def: r.def === null ? null : JSON.parse(r.def), state: JSON.parse(r.state) }));
  }

  /** Adds a source unless one with its id is there; true when this call added it. */
  create(row: SourceRow): Promise<boolean> {
    return this.write(
      () =>
        this.db
          .prepare('INSERT OR IGNORE INTO sources (id, def, state, updated_at) VALUES (?, ?, ?, ?)')
          .run(row.id, row.def === null ? null : JSON.stringify(row.def), JSON.stringify(row.state), new Date().toISOString()).changes === 1,
    );
  }

  /**
   * Records a source's state. `upsert` for sources defined elsewhere (SOURCES_FILE), whose row is
   * only state; otherwise only a row that is still there is updated, so a sync finishing after
   * another process removed the source does not bring it back.
   */
  saveState(id: string, state: unknown, upsert: boolean): Promise<void> {
    const json = JSON.stringify(state);
    const at = new Date().toISOString();
    return this.write(() => {
      if (upsert)
        this.db
          .prepare(
            'INSERT INTO sources (id, def, state, updated_at) VALUES (?, NULL, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at',
          )
          .run(id, json, at);
      else this.db.prepare('UPDATE sources SET state = ?, updated_at = ? WHERE id = ?').run(json, at, id);
    });
  }

  remove(id: string): Promise<void> {
    return this.write(() => void this.db.prepare('DELETE FROM sources WHERE id = ?').run(id));
  }
}
