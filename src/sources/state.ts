/**
 * What each source remembers between syncs, so a restart does not fetch again what it has:
 * entries seen, the feed's validators, last success, last error, articles added — and the
 * definitions of sources added through the API (file sources are read from SOURCES_FILE).
 *
 * Local store: one versioned JSON file, `sources-state.json` in INDEX_DIR, replaced atomically
 * (temp file, fsync, rename, fsync of the folder). It is self-contained: nothing else in the
 * index folder is read or written here. PostgreSQL: the `sources` table (migration 3).
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { AppError } from '../errors.js';
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

export interface StateStore {
  load(): Promise<Map<string, SourceRecord>>;
  save(id: string, record: SourceRecord): Promise<void>;
  remove(id: string): Promise<void>;
  close(): Promise<void>;
}

export const emptyState = (): SourceState => ({ seen: {}, validators: {}, failures: 0, added: 0, lastAdded: 0 });

export const STATE_FILE = 'sources-state.json';
const VERSION = 1;

/** The local state file: read once, kept in memory, every change written whole and atomically. */
export function localStateStore(dir: string): StateStore {
  const path = join(dir, STATE_FILE);
  const records = new Map<string, SourceRecord>();
  let loaded = false;
  let writing: Promise<void> = Promise.resolve();

  const write = async () => {
    await mkdir(dir, { recursive: true });
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(JSON.stringify({ version: VERSION, sources: Object.fromEntries(records) }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    const d = await open(dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  };
  // Writes go one after another, each with everything known so far.
  const persist = () => (writing = writing.catch(() => undefined).then(write));

  return {
    async load() {
      if (!loaded) {
        let doc: { version?: number; sources?: Record<string, SourceRecord> } | undefined;
        try {
          doc = JSON.parse(await readFile(path, 'utf8'));
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AppError('store_unavailable', `sources: ${STATE_FILE} in INDEX_DIR cannot be read (${(e as Error).message}); move it aside to start the sources afresh`);
        }
        if (doc && doc.version !== VERSION) throw new AppError('store_unavailable', `sources: ${STATE_FILE} is version ${doc.version}, this Archivist reads version ${VERSION}; upgrade Archivist or move the file aside`);
        for (const [id, r] of Object.entries(doc?.sources ?? {})) records.set(id, r);
        loaded = true;
      }
      return new Map(records);
    },
    async save(id, record) {
      records.set(id, record);
      await persist();
    },
    async remove(id) {
      records.delete(id);
      await persist();
    },
    close: () => writing.catch(() => undefined),
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
    async save(id, record) {
      await pool.query(
        `INSERT INTO sources (id, def, state, updated_at) VALUES ($1, $2, $3, now())
         ON CONFLICT (id) DO UPDATE SET def = EXCLUDED.def, state = EXCLUDED.state, updated_at = now()`,
        [id, record.def ? JSON.stringify(record.def) : null, JSON.stringify(record.state)],
      );
    },
    async remove(id) {
      await pool.query('DELETE FROM sources WHERE id = $1', [id]);
    },
    close: () => pool.end(),
  };
}
