/**
 * The PostgreSQL + pgvector store (`STORE=postgres`, `DATABASE_URL`): all state lives in the
 * database, so any number of stateless server replicas can share it behind a load balancer.
 *
 * Tables (see migrations.ts): `articles`, `chunks` (offsets, chunk text, `embedding vector(dims)`
 * with an HNSW index for cosine distance, a generated English `tsvector` with a GIN index) and
 * `settings` (the manifest: model, dims, chunk settings). Nothing is cached in the process: every
 * call reads the database, so a change made through one replica is seen by all the others.
 *
 * Why not LangChain's `PGVectorStore` (@langchain/community): it keeps one table of documents
 * with free-form JSON metadata and a vector. We need articles and their chunks as related rows
 * (delete an article and its chunks go with it, in one transaction with its replacement), exact
 * character offsets, a full-text index ranked with `ts_rank_cd` next to the vectors, filters by
 * date and source applied in SQL before ranking, and a manifest that refuses a database built
 * with another model. It offers none of those, so it would be a second table to keep in step.
 */
import pg from 'pg';
import type { Article } from '../corpus/article.js';
import { AppError } from '../errors.js';
import { searchWords } from '../text.js';
import { migrate } from './migrations.js';
import { decodeSentences, encodeSentences } from './sentences.js';
import type {
  AnswerRetention,
  ArticleMeta,
  ArticleRecord,
  Hit,
  IndexSettings,
  SearchFilter,
  SentenceSet,
  Store,
  StoredAnswer,
  StoredChunk,
  StoreHealth,
} from './types.js';

/**
 * Runs `fn` in one transaction on a pooled connection: COMMIT when it resolves, ROLLBACK when
 * it throws. The one place BEGIN/COMMIT/ROLLBACK are written (migrations and every store write).
 */
export async function withTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

/** Matches the local store's HNSW search breadth; raised per query when k is larger. */
const EF_SEARCH = 80;
/** BM25's term-frequency saturation, as in MiniSearch. */
const BM25_K1 = 1.2;
const HNSW_INDEX = 'chunks_embedding_hnsw';
/** Advisory lock keys: `reset` takes a global one; `apply` one per article id (namespace seed). */
const RESET_LOCK = 0x41524349;
const ARTICLE_LOCK_SEED = 0x4152;

/** Connections in the pool: the answer queue bounds how many questions run at once, and ten covers it with writes beside. */
const POOL_SIZE = 10;

interface ArticleRow {
  id: string;
  title: string;
  url: string | null;
  date: string | null;
  hash: string;
  source: string;
  text?: string;
  marks?: { boilerplate?: [number, number][]; cluster?: string } | null;
}

const toVector = (v: Float32Array | number[]) => `[${Array.from(v).join(',')}]`;

function toArticle(r: ArticleRow): Article {
  return {
    id: r.id,
    title: r.title,
    ...(r.url !== null ? { url: r.url } : {}),
    ...(r.date !== null ? { date: r.date } : {}),
    text: r.text ?? '',
    source: r.source,
    hash: r.hash,
    ...(r.marks?.boilerplate ? { boilerplate: r.marks.boilerplate } : {}),
    ...(r.marks?.cluster ? { cluster: r.marks.cluster } : {}),
  };
}

/**
 * The same semantics as `matchesFilter` in types.ts, as SQL over `articles a`. Dates compare by
 * their first ten characters (the day), byte-wise so that collation cannot reorder them.
 */
function filterSql(filter: SearchFilter | undefined, params: unknown[]): string {
  const where: string[] = [];
  if (filter?.since) {
    params.push(filter.since.slice(0, 10));
    where.push(`a.date IS NOT NULL AND left(a.date, 10) COLLATE "C" >= $${params.length}`);
  }
  if (filter?.until) {
    params.push(filter.until.slice(0, 10));
    where.push(`a.date IS NOT NULL AND left(a.date, 10) COLLATE "C" <= $${params.length}`);
  }
  if (filter?.sources?.length) {
    params.push(filter.sources);
    where.push(`EXISTS (SELECT 1 FROM unnest($${params.length}::text[]) s WHERE a.id = s OR (a.url IS NOT NULL AND starts_with(a.url, s)))`);
  }
  return where.length ? where.map((w) => `(${w})`).join(' AND ') : 'TRUE';
}

/**
 * The words of a question that keyword search looks for: letters and digits only (so nothing a
 * user types reaches SQL or tsquery syntax), stop words and possessive 's dropped, each once.
 * PostgreSQL's English configuration stems them ("visited" → "visit").
 * @example queryWords("Who visited Beijing's airport?") // ['visited', 'beijing', 'airport']
 */
export const queryWords = (query: string): string[] => searchWords(query);

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;

  private constructor(private readonly pool: pg.Pool) {}

  /**
   * Connects and applies any pending migrations.
   * @example const store = await PostgresStore.open('postgres://archivist:secret@db:5432/archivist')
   * @throws AppError('store_unavailable') when the database cannot be reached or migrated.
   */
  static async open(url: string): Promise<PostgresStore> {
    const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
    // An idle connection that the server drops must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    // A session setting, so it is sent once per connection rather than with every search.
    pool.on('connect', (client) => {
      client.query(`SET hnsw.ef_search = ${EF_SEARCH}`).catch(() => undefined);
    });
    try {
      await withTransaction(pool, (client) => migrate(client));
    } catch (e) {
      await pool.end().catch(() => undefined);
      if (e instanceof AppError) throw e;
      throw new AppError('store_unavailable', `store: cannot open the PostgreSQL database: ${(e as Error).message}`, { cause: e });
    }
    return new PostgresStore(pool);
  }

  private transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.pool, fn);
  }

  async settings(): Promise<IndexSettings | null> {
    const { rows } = await this.pool.query('SELECT model, dims, chunk_size, chunk_overlap, chunker FROM settings WHERE id = 1');
    if (!rows.length) return null;
    const r = rows[0];
    return { model: r.model, dims: r.dims, chunkSize: r.chunk_size, chunkOverlap: r.chunk_overlap, ...(r.chunker !== null ? { chunker: r.chunker } : {}) };
  }

  /**
   * Empties the tables and records new settings in one transaction; readers see the old index
   * until it commits. The vector column takes the new dimension and the HNSW index is rebuilt.
   */
  async reset(settings: IndexSettings): Promise<void> {
    if (!Number.isInteger(settings.dims) || settings.dims < 1 || settings.dims > 16000) {
      throw new AppError('internal', `store: cannot index vectors of ${settings.dims} dimensions`);
    }
    await this.transaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [RESET_LOCK]);
      await c.query('TRUNCATE sentences, chunks, articles');
      const { rows } = await c.query(`SELECT atttypmod FROM pg_attribute WHERE attrelid = 'chunks'::regclass AND attname = 'embedding'`);
      if (rows[0]?.atttypmod !== settings.dims) {
        await c.query(`DROP INDEX IF EXISTS ${HNSW_INDEX}`);
        await c.query(`ALTER TABLE chunks ALTER COLUMN embedding TYPE vector(${settings.dims})`);
      }
      await c.query(`CREATE INDEX IF NOT EXISTS ${HNSW_INDEX} ON chunks USING hnsw (embedding vector_cosine_ops) WITH (m = 16, ef_construction = 100)`);
      await c.query(
        `INSERT INTO settings (id, model, dims, chunk_size, chunk_overlap, chunker) VALUES (1, $1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET model = excluded.model, dims = excluded.dims, chunk_size = excluded.chunk_size,
           chunk_overlap = excluded.chunk_overlap, chunker = excluded.chunker, updated_at = now()`,
        [settings.model, settings.dims, settings.chunkSize, settings.chunkOverlap, settings.chunker ?? null],
      );
    });
  }

  /**
   * One transaction for the whole change. Each article id is locked (sorted, so two writers
   * cannot deadlock) before its old rows are deleted and the new ones inserted: a second replica
   * writing the same article waits, then replaces it, and never duplicates it.
   */
  async apply(change: { put: ArticleRecord[]; remove: string[] }): Promise<void> {
    const put = [...new Map(change.put.map((r) => [r.article.id, r])).values()];
    const ids = [...new Set([...change.remove, ...put.map((r) => r.article.id)])];
    try {
      await this.transaction(async (c) => {
        const { rows } = await c.query<{ dims: number }>('SELECT dims FROM settings WHERE id = 1 FOR SHARE');
        if (!rows.length) throw new AppError('internal', 'store: reset(settings) must run before the first apply');
        const dims = rows[0].dims;
        if (ids.length) {
          await c.query(
            `SELECT pg_advisory_xact_lock(k) FROM (
               SELECT DISTINCT hashtextextended(id, $2) AS k FROM unnest($1::text[]) AS id ORDER BY k
             ) s`,
            [ids, ARTICLE_LOCK_SEED],
          );
          await c.query('DELETE FROM articles WHERE id = ANY($1::text[])', [ids]);
        }
        for (const rec of put) {
          // Checked here, not up front, so a bad record after good ones still undoes them all.
          if (rec.vectors.length !== rec.chunks.length) {
            throw new AppError('internal', `store: ${rec.article.id} has ${rec.chunks.length} chunks but ${rec.vectors.length} vectors`);
          }
          const bad = rec.vectors.find((v) => v.length !== dims);
          if (bad) throw new AppError('internal', `store: vector of ${bad.length} dimensions, index has ${dims}`);
          const a = rec.article;
          await c.query('INSERT INTO articles (id, title, url, date, hash, source, text, marks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
            a.id,
            a.title,
            a.url ?? null,
            a.date ?? null,
            a.hash,
            a.source,
            a.text,
            a.boilerplate || a.cluster ? JSON.stringify({ boilerplate: a.boilerplate, cluster: a.cluster }) : null,
          ]);
          if (rec.sentences) {
            await c.query('INSERT INTO sentences (article_id, hash, version, data) VALUES ($1, $2, $3, $4)', [
              a.id,
              rec.sentences.hash,
              rec.sentences.version,
              encodeSentences(rec.sentences),
            ]);
          }
          if (!rec.chunks.length) continue;
          await c.query(
            `INSERT INTO chunks (id, article_id, start, "end", text, embedding)
             SELECT id, $1, s, e, t, v::vector FROM unnest($2::text[], $3::int[], $4::int[], $5::text[], $6::text[]) AS x(id, s, e, t, v)`,
            [
              a.id,
              rec.chunks.map((ch) => ch.id),
              rec.chunks.map((ch) => ch.start),
              rec.chunks.map((ch) => ch.end),
              rec.chunks.map((ch) => a.text.slice(ch.start, ch.end)),
              rec.vectors.map(toVector),
            ],
          );
        }
      });
    } catch (e) {
      if (e instanceof AppError) throw e;
      throw new AppError('internal', `store: the change was not saved: ${(e as Error).message}`, { cause: e });
    }
  }

  async fingerprints() {
    const { rows } = await this.pool.query<{ id: string; hash: string; source: string }>('SELECT id, hash, source FROM articles');
    return new Map(rows.map((r) => [r.id, { hash: r.hash, source: r.source }]));
  }

  async counts() {
    const { rows } = await this.pool.query('SELECT (SELECT count(*) FROM articles) AS articles, (SELECT count(*) FROM chunks) AS chunks');
    return { articles: Number(rows[0].articles), chunks: Number(rows[0].chunks) };
  }

  async listArticles({ offset, limit }: { offset: number; limit: number }) {
    // One statement, so the total and the page come from the same snapshot.
    const { rows } = await this.pool.query(
      `SELECT a.id, a.title, a.url, a.date, a.hash, a.source,
              (SELECT count(*) FROM chunks c WHERE c.article_id = a.id) AS chunks,
              count(*) OVER () AS total
         FROM articles a
        ORDER BY coalesce(a.date, '') COLLATE "C" DESC, a.title, a.id
        OFFSET $1 LIMIT $2`,
      [offset, limit],
    );
    let total = rows.length ? Number(rows[0].total) : undefined;
    total ??= Number((await this.pool.query('SELECT count(*) AS n FROM articles')).rows[0].n);
    const items: ArticleMeta[] = rows.map((r) => {
      const { text: _text, ...meta } = toArticle(r);
      return { ...meta, chunks: Number(r.chunks) };
    });
    return { total, items };
  }

  async getArticle(id: string) {
    const { rows } = await this.pool.query<ArticleRow>('SELECT id, title, url, date, hash, source, text, marks FROM articles WHERE id = $1', [id]);
    return rows.length ? toArticle(rows[0]) : undefined;
  }

  async sentenceSets(articleIds: string[]) {
    const { rows } = await this.pool.query<{ article_id: string; hash: string; version: number; data: Buffer }>(
      'SELECT article_id, hash, version, data FROM sentences WHERE article_id = ANY($1::text[])',
      [articleIds],
    );
    const out = new Map<string, SentenceSet>();
    for (const r of rows) {
      const set = decodeSentences(r.data, r.version, r.hash);
      if (set) out.set(r.article_id, set);
    }
    return out;
  }

  async putSentenceSets(sets: { articleId: string; set: SentenceSet }[]) {
    if (!sets.length) return;
    await this.transaction(async (c) => {
      for (const { articleId, set } of sets) {
        // Only while the article still has the text the set was made from.
        await c.query(
          `INSERT INTO sentences (article_id, hash, version, data) SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM articles WHERE id = $1 AND hash = $2)
           ON CONFLICT (article_id) DO UPDATE SET hash = excluded.hash, version = excluded.version, data = excluded.data`,
          [articleId, set.hash, set.version, encodeSentences(set)],
        );
      }
    });
  }

  async lackingSentences(version: number, after: string, limit: number) {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT a.id FROM articles a LEFT JOIN sentences s ON s.article_id = a.id AND s.hash = a.hash AND s.version = $1
       WHERE s.article_id IS NULL AND a.id > $2 ORDER BY a.id LIMIT $3`,
      [version, after, limit],
    );
    return rows.map((r) => r.id);
  }

  async getChunks(ids: string[]) {
    if (!ids.length) return [];
    // Chunks and their articles in one statement, each article's text sent once.
    const { rows } = await this.pool.query(
      `SELECT a.id, a.title, a.url, a.date, a.hash, a.source, a.text, a.marks,
              json_agg(json_build_object('id', c.id, 'start', c.start, 'end', c."end")) AS chunks
         FROM chunks c JOIN articles a ON a.id = c.article_id
        WHERE c.id = ANY($1::text[])
        GROUP BY a.id`,
      [ids],
    );
    const found = new Map<string, { chunk: StoredChunk; article: Article }>();
    for (const r of rows) {
      const article = toArticle(r);
      for (const ch of r.chunks as { id: string; start: number; end: number }[]) {
        found.set(ch.id, { chunk: { id: ch.id, articleId: article.id, start: ch.start, end: ch.end }, article });
      }
    }
    return ids.flatMap((id) => (found.has(id) ? [found.get(id)!] : []));
  }

  /**
   * Nearest chunks by cosine distance; score = 1 − distance (the local store's inner product on
   * normalised vectors). Without a filter the HNSW index answers; with one, the filtered rows are
   * ranked exactly, because an approximate scan that filters afterwards can return fewer than k.
   */
  async vectorSearch(vector: Float32Array, k: number, filter?: SearchFilter): Promise<Hit[]> {
    const params: unknown[] = [toVector(vector), k];
    const where = filterSql(filter, params);
    const sql =
      where === 'TRUE'
        ? `SELECT id, embedding <=> $1::vector AS distance FROM chunks ORDER BY embedding <=> $1::vector LIMIT $2`
        : `WITH f AS MATERIALIZED (
           SELECT c.id, c.embedding FROM chunks c JOIN articles a ON a.id = c.article_id WHERE ${where}
         )
         SELECT id, embedding <=> $1::vector AS distance FROM f ORDER BY 2 LIMIT $2`;
    const run = async (q: pg.Pool | pg.PoolClient) => (await q.query<{ id: string; distance: number }>(sql, params)).rows;
    // Every connection searches with ef_search = EF_SEARCH (set on connect); a larger k needs more.
    const rows =
      k <= EF_SEARCH || where !== 'TRUE'
        ? await run(this.pool)
        : await this.transaction(async (c) => {
            await c.query(`SELECT set_config('hnsw.ef_search', $1, true)`, [String(Math.min(1000, k))]);
            return run(c);
          });
    return rows.map((r) => ({ chunkId: r.id, score: 1 - Number(r.distance) }));
  }

  /**
   * PostgreSQL full-text search ranked like BM25, as the local store's MiniSearch is: a chunk
   * needs only some of the words (OR), and each stemmed word counts by its frequency in the chunk
   * (saturating, k1 = 1.2, from `ts_rank_cd` of that one word) times its rarity across all chunks
   * (BM25's idf). Plain `ts_rank_cd` over an OR query has no idf, so common words swamped rare
   * names: on the SQuAD evaluation set (keyword only) its recall@1 was 0.59, this ranking's 0.81,
   * MiniSearch's 0.83; hybrid recall@1 0.79 on both stores. Length normalisation (BM25's b) needs
   * the average chunk length, a full scan per query, and did not help the hybrid figures.
   */
  async keywordSearch(query: string, k: number, filter?: SearchFilter): Promise<Hit[]> {
    const words = queryWords(query);
    if (!words.length) return [];
    const params: unknown[] = [words.join(' '), k];
    const where = filterSql(filter, params);
    const join = where === 'TRUE' ? '' : 'JOIN articles a ON a.id = c.article_id';
    const { rows } = await this.pool.query<{ id: string; score: number }>(
      `WITH terms AS (
         SELECT q, ln(1 + (n.n - df.df + 0.5) / (df.df + 0.5)) AS idf
           FROM (SELECT quote_literal(lexeme)::tsquery AS q FROM unnest(to_tsvector('english', $1))) t,
                (SELECT count(*)::float8 AS n FROM chunks) n,
                LATERAL (SELECT count(*)::float8 AS df FROM chunks c WHERE c.tsv @@ t.q) df
       )
       SELECT c.id, sum(t.idf * tf.tf * ${BM25_K1 + 1} / (tf.tf + ${BM25_K1})) AS score
         FROM terms t
         JOIN chunks c ON c.tsv @@ t.q
         ${join}
         CROSS JOIN LATERAL (SELECT ts_rank_cd('{1,1,1,1}', c.tsv, t.q, 0) AS tf) tf
        WHERE ${where}
        GROUP BY c.id
        ORDER BY score DESC, c.id
        LIMIT $2`,
      params,
    );
    return rows.map((r) => ({ chunkId: r.id, score: Number(r.score) }));
  }

  /** The database reports its own failures on each query; nothing is kept here. */
  health(): StoreHealth {
    return { status: 'ok' };
  }

  async saveAnswer(answer: { id: string; at: string; record: unknown }, retention: AnswerRetention = {}): Promise<void> {
    await this.transaction(async (c) => {
      await c.query('INSERT INTO answers (id, at, record) VALUES ($1, $2, $3)', [answer.id, answer.at, JSON.stringify(answer.record)]);
      if (retention.before) await c.query('DELETE FROM answers WHERE feedback IS NULL AND at COLLATE "C" < $1', [retention.before]);
      if (retention.keep) {
        await c.query(
          `DELETE FROM answers WHERE feedback IS NULL AND id NOT IN
             (SELECT id FROM answers WHERE feedback IS NULL ORDER BY at COLLATE "C" DESC, id COLLATE "C" DESC LIMIT $1)`,
          [retention.keep],
        );
      }
    });
  }

  async getAnswer(id: string): Promise<StoredAnswer | undefined> {
    const { rows } = await this.pool.query<StoredAnswer>('SELECT id, at, record, feedback FROM answers WHERE id = $1', [id]);
    return rows[0];
  }

  async listAnswers({ offset, limit }: { offset: number; limit: number }) {
    const { rows } = await this.pool.query(
      `SELECT id, at, record, feedback, count(*) OVER () AS total FROM answers
        ORDER BY at COLLATE "C" DESC, id COLLATE "C" DESC OFFSET $1 LIMIT $2`,
      [offset, limit],
    );
    const total = rows.length ? Number(rows[0].total) : Number((await this.pool.query('SELECT count(*) AS n FROM answers')).rows[0].n);
    return { total, items: rows.map(({ total: _t, ...r }) => r as StoredAnswer) };
  }

  async setFeedback(id: string, feedback: unknown): Promise<boolean> {
    const r = await this.pool.query('UPDATE answers SET feedback = $2 WHERE id = $1', [id, JSON.stringify(feedback)]);
    return (r.rowCount ?? 0) > 0;
  }

  async deleteAnswer(id: string): Promise<boolean> {
    const r = await this.pool.query('DELETE FROM answers WHERE id = $1', [id]);
    return (r.rowCount ?? 0) > 0;
  }

  async judgedAnswers(): Promise<StoredAnswer[]> {
    const { rows } = await this.pool.query<StoredAnswer>(
      'SELECT id, at, record, feedback FROM answers WHERE feedback IS NOT NULL ORDER BY at COLLATE "C", id COLLATE "C"',
    );
    return rows;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
