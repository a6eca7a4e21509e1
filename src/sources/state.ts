/**
 * What each source remembers between syncs, so a restart does not fetch again what it has:
 * entries seen, the feed's validators, last success, last error, articles added — and the
 * definitions of sources added through the API (file sources are read from SOURCES_FILE).
 *
 * Kept in the same durable store as the articles, one row per source: locally the `sources`
 * table of the article log (store/sourceLog.ts), in PostgreSQL the `sources` table (migration 3).
 */
import { readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { AppError } from '../errors.js';
import { syncDir } from '../store/folder.js';
import { ArticleLog, LOG_FILE } from '../store/log.js';
import type { SourceLog } from '../store/sourceLog.js';
import type { Validators } from './fetch.js';
import type { SourceDef } from './registry.js';

export interface SourceState {
  /** Entry key → article id it became ('' when the entry was skipped for good). */
  seen: Record<string, string>;
  /** Conditional-GET validators per document url (the feed, child sitemaps). */
  validators: Record<string, Validators>;
  lastAttempt?: string;
  lastSuccess?: string;
  lastError?: string;
  /** Failures in a row; the back-off grows with it. */
  failures: number;
  nextDue?: string;
  /** Articles this source added, ever and in its last sync. */
  added: number;
  lastAdded: number;
}

export interface SourceRecord {
  /** Present for sources added through the API. */
  def?: SourceDef;
  state: SourceState;
}

/**
 * Where sources live. Each call writes one source's row, never the whole list, so processes
 * sharing a store do not undo each other's writes; `load` reads what every process committed.
 */
export interface StateStore {
  load(): Promise<Map<string, SourceRecord>>;
  /** Adds an API source unless one with its id exists; true when this call added it. */
  create(id: string, record: SourceRecord & { def: SourceDef }): Promise<boolean>;
  /** A source's new state: `upsert` for file sources (their row is only state), else only an existing row is updated. */
  saveState(id: string, state: SourceState, upsert: boolean): Promise<void>;
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}

export const emptyState = (): SourceState => ({ seen: {}, validators: {}, failures: 0, added: 0, lastAdded: 0 });

/** The JSON file sources lived in before they moved into the article log; imported once, then renamed `.imported`. */
export const STATE_FILE = 'sources-state.json';
const LEGACY_VERSION = 1;

/** Reads a `sources-state.json` of the previous layout into the log (rows already there win), then sets it aside. */
async function importLegacy(dir: string, log: SourceLog): Promise<void> {
  const path = join(dir, STATE_FILE);
  let doc: { version?: number; sources?: Record<string, SourceRecord> };
  try {
    doc = JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new AppError(
      'store_unavailable',
      `sources: ${STATE_FILE} in INDEX_DIR cannot be read (${(e as Error).message}); move it aside to start the sources afresh`,
    );
  }
  if (doc.version !== LEGACY_VERSION)
    throw new AppError(
      'store_unavailable',
      `sources: ${STATE_FILE} is version ${doc.version}, this Archivist reads version ${LEGACY_VERSION}; upgrade Archivist or move the file aside`,
    );
  for (const [id, r] of Object.entries(doc.sources ?? {})) {
    if (r.def) await log.create({ id, def: r.def, state: r.state });
    else if (!log.all().some((row) => row.id === id)) await log.saveState(id, r.state, true);
  }
  await rename(path, `${path}.imported`);
  await syncDir(dir);
}

/** The local store's sources: the `sources` table of the article log (store/sourceLog.ts). */
export async function localStateStore(dir: string): Promise<StateStore> {
  const db = new ArticleLog(join(dir, LOG_FILE));
  const log = db.sources();
  await importLegacy(dir, log);
  return {
    load: async () => new Map(log.all().map((r) => [r.id, { ...(r.def ? { def: r.def as SourceDef } : {}), state: r.state as SourceState }])),
    create: (id, record) => log.create({ id, def: record.def, state: record.state }),
    saveState: (id, state, upsert) => log.saveState(id, state, upsert),
    remove: (id) => log.remove(id),
    close: async () => db.close(),
  };
}

/** The `sources` table of a PostgreSQL store (created by migration 3 when the store opens). */
export function postgresStateStore(url: string): StateStore {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    async load() {
      const { rows } = await pool.query<{ id: string; def: SourceDef | null; state: SourceState }>('SELECT id, def, state FROM sources');
      return new Map(rows.map((r) => [r.id, { ...(r.def ? { def: r.def } : {}), state: r.state }]));
    },
    async create(id, record) {
      const r = await pool.query('INSERT INTO sources (id, def, state, updated_at) VALUES ($1, $2, $3, now()) ON CONFLICT (id) DO NOTHING', [
        id,
        JSON.stringify(record.def),
        JSON.stringify(record.state),
      ]);
      return r.rowCount === 1;
    },
    async saveState(id, state, upsert) {
      if (upsert) {
        await pool.query(
          `INSERT INTO sources (id, def, state, updated_at) VALUES ($1, NULL, $2, now())
           ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, updated_at = now()`,
          [id, JSON.stringify(state)],
        );
      } else {
        await pool.query('UPDATE sources SET state = $2, updated_at = now() WHERE id = $1', [id, JSON.stringify(state)]);
      }
    },
    async remove(id) {
      await pool.query('DELETE FROM sources WHERE id = $1', [id]);
    },
    close: () => pool.end(),
  };
}
