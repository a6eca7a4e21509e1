/**
 * The PostgreSQL schema, as an ordered list of versioned migrations applied at start-up.
 *
 * Every replica runs `migrate` when it opens the store, inside one transaction (the store's
 * `withTransaction`) under a
 * transaction-level advisory lock, so replicas starting together apply each migration once and
 * a failure leaves the schema as it was. Applied versions are recorded in `schema_migrations`;
 * a database migrated by a newer Archivist (a version this one does not know) is refused.
 *
 * The vector column is created without a dimension: the dimension belongs to the embedding model,
 * which is known only when an index is built, so `PostgresStore.reset(settings)` fixes it
 * (`vector(384)` for the bundled model) and builds the HNSW index over it.
 */
import type pg from 'pg';
import { AppError } from '../errors.js';

export interface Migration {
  version: number;
  name: string;
  statements: string[];
}

/** Never edit a released migration: add a new one with the next version. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'articles, chunks with vectors and full text, settings',
    statements: [
      'CREATE EXTENSION IF NOT EXISTS vector',
      `CREATE TABLE articles (
        id text PRIMARY KEY,
        title text NOT NULL,
        url text,
        date text,
        hash text NOT NULL,
        source text NOT NULL,
        text text NOT NULL
      )`,
      `CREATE TABLE chunks (
        id text PRIMARY KEY,
        article_id text NOT NULL REFERENCES articles (id) ON DELETE CASCADE,
        start integer NOT NULL,
        "end" integer NOT NULL,
        text text NOT NULL,
        embedding vector NOT NULL,
        tsv tsvector GENERATED ALWAYS AS (to_tsvector('english', text)) STORED
      )`,
      'CREATE INDEX chunks_article_id ON chunks (article_id)',
      'CREATE INDEX chunks_tsv ON chunks USING gin (tsv)',
      // One row: the manifest of the stored vectors (what `Store.settings()` returns).
      `CREATE TABLE settings (
        id integer PRIMARY KEY CHECK (id = 1),
        model text NOT NULL,
        dims integer NOT NULL,
        chunk_size integer NOT NULL,
        chunk_overlap integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
  {
    version: 2,
    name: 'derived article marks (boilerplate spans, story cluster) and the chunker version',
    statements: [
      // One JSON column for what ingest derives per article, so a new mark needs no new migration.
      'ALTER TABLE articles ADD COLUMN marks jsonb',
      'ALTER TABLE settings ADD COLUMN chunker integer',
    ],
  },
  {
    version: 3,
    name: 'feed and sitemap sources with their sync state (src/sources/state.ts)',
    statements: [
      // IF NOT EXISTS: the table is self-contained sync state, and a database whose store tables
      // were dropped and migrated afresh may still hold it.
      `CREATE TABLE IF NOT EXISTS sources (
        id text PRIMARY KEY,
        def jsonb,
        state jsonb NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
    ],
  },
  {
    version: 4,
    name: 'kept answers with their judgments (src/answers/)',
    statements: [
      // `at` as ISO 8601 text, as in the local store, so both order and prune alike.
      `CREATE TABLE answers (
        id text PRIMARY KEY,
        at text NOT NULL,
        record jsonb NOT NULL,
        feedback jsonb
      )`,
      'CREATE INDEX answers_at ON answers (at)',
    ],
  },
  {
    version: 5,
    name: 'sentence vectors per article, made at ingest (src/ingest/sentences.ts)',
    statements: [
      // One blob per article in store/sentences.ts's layout: answering reads a few whole sets and
      // never searches them, so neither pgvector nor a row per sentence earns its space.
      `CREATE TABLE sentences (
        article_id text PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
        hash text NOT NULL,
        version integer NOT NULL,
        data bytea NOT NULL
      )`,
    ],
  },
];

/** Any constant works; it only has to be the same in every replica. */
export const MIGRATION_LOCK = 0x41524348; // "ARCH"

/**
 * Brings the schema up to date; returns the versions it applied (empty when there was nothing to do).
 * @example await withTransaction(pool, (client) => migrate(client)) // [1] on a new database, [] afterwards
 * @throws AppError('store_unavailable') when pgvector is missing or the database is newer than this code.
 */
export async function migrate(client: pg.PoolClient, migrations: readonly Migration[] = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
  await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`);
  const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations');
  const have = new Set(rows.map((r) => r.version));
  const newest = Math.max(0, ...migrations.map((m) => m.version));
  const unknown = [...have].filter((v) => v > newest);
  if (unknown.length) {
    throw new AppError(
      'store_unavailable',
      `store: the database schema is at version ${Math.max(...unknown)}, this version of Archivist knows up to ${newest}; upgrade Archivist or use another database`,
    );
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (have.has(m.version)) continue;
    for (const sql of m.statements) {
      try {
        await client.query(sql);
      } catch (e) {
        const msg = (e as Error).message;
        const hint =
          /extension "vector"|vector/.test(msg) && /extension|control file|type "vector"/.test(msg)
            ? ' (the pgvector extension must be installed on the server: PostgreSQL 15+ with pgvector 0.5+)'
            : '';
        throw new AppError('store_unavailable', `store: migration ${m.version} (${m.name}) failed: ${msg}${hint}`, { cause: e });
      }
    }
    await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
    applied.push(m.version);
  }
  return applied;
}
