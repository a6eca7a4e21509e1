/**
 * What the tables kept beside the articles in the log's SQLite file (answers, sources, sentence
 * sets) share: each is added by its own numbered migrations, recorded under its own key in the
 * log's `meta` table, and written in transactions that wait while another process writes.
 */
import type Database from 'better-sqlite3';
import { AppError } from '../errors.js';

/** Waits for another process's write this long before giving up (as the article log does). */
const LOCK_WAIT_MS = 30_000;

/**
 * Brings a table to `version`, one migration a transaction, recording each under `key` in `meta`;
 * a file whose table is newer than this code is refused (`what` names it: "the kept answers").
 */
export function migrateTable(db: Database.Database, table: { key: string; version: number; migrations: Record<number, string>; what: string }): void {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(table.key) as { value: string } | undefined;
  const have = row ? Number(row.value) : 0;
  if (have > table.version) {
    throw new AppError(
      'store_unavailable',
      `store: ${table.what} in the article log are of version ${have}, this Archivist reads up to ${table.version}; use the Archivist that wrote them`,
    );
  }
  for (let v = have + 1; v <= table.version; v++) {
    db.transaction(() => {
      db.exec(table.migrations[v]);
      db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)').run(table.key, String(v));
    }).immediate();
  }
}

/**
 * Runs `fn` as one write transaction, waiting (asynchronously) while another process writes.
 * An AppError thrown by `fn` goes out as it is; any other failure names `what` ("the answer").
 */
export async function writeTransaction<T>(db: Database.Database, fn: () => T, what: string): Promise<T> {
  const tx = db.transaction(fn);
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return tx.immediate();
    } catch (e) {
      if (e instanceof AppError) throw e;
      const code = (e as { code?: string }).code;
      if (code !== 'SQLITE_BUSY') throw new AppError('store_unavailable', `store: ${what} could not be written (${code ?? 'error'}); try again`, { cause: e });
      if (Date.now() > deadline)
        throw new AppError('unavailable', 'store: another process has been writing to the index for too long; try again', { cause: e });
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
  }
}
