/**
 * An embedding cache for evaluation runs: (model id, sha256 of the exact text embedded) → vector,
 * in one SQLite file. Keyed by text rather than by article or chunk id, so changing the chunker
 * or the text around a chunk re-embeds only the texts that really changed, and a second run over
 * the same articles embeds nothing. Evaluation tooling only: the server never reads it.
 *
 * Vectors are written after every slice of texts, so an interrupted run keeps what it embedded.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Embedder } from '../embed.js';

/** On-disk format of the cache file; another value means the file is not read. */
const FORMAT = 1;
/** Texts embedded between two writes: what an interrupted run can lose at most. */
const SLICE = 512;

export interface CacheStats {
  hits: number;
  misses: number;
}

/**
 * An `Embedder` that answers from the cache file and embeds only what it lacks with `inner`.
 * `close()` closes the file.
 */
export class CachedEmbedder extends Embedder {
  readonly stats: CacheStats = { hits: 0, misses: 0 };
  private readonly db: Database.Database;
  private readonly get: Database.Statement<[Buffer], { vec: Buffer }>;
  private readonly put: Database.Statement<[Buffer, Buffer]>;

  constructor(
    private readonly inner: Embedder,
    file: string,
  ) {
    super(inner.model, inner.dims, 1, () => Promise.reject(new Error('embedding cache: embeds through its inner embedder')), inner.countTokens);
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (format INTEGER NOT NULL)');
    const row = this.db.prepare('SELECT format FROM meta').get() as { format: number } | undefined;
    if (!row) this.db.prepare('INSERT INTO meta (format) VALUES (?)').run(FORMAT);
    else if (row.format !== FORMAT) throw new Error(`embedding cache: ${file} is of format ${row.format}, not ${FORMAT}; delete it`);
    this.db.exec('CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL) WITHOUT ROWID');
    this.get = this.db.prepare('SELECT vec FROM vectors WHERE key = ?');
    this.put = this.db.prepare('INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)');
  }

  /** The model and dimensions are part of the key: another model never reads these vectors. */
  private key(text: string): Buffer {
    return createHash('sha256').update(`${this.model}\n${this.dims}\n${text}`).digest();
  }

  override async vectors(texts: string[], onBatch?: (done: number) => void): Promise<Float32Array[]> {
    const out: Float32Array[] = new Array(texts.length);
    const keys = texts.map((t) => this.key(t));
    const missing: number[] = [];
    keys.forEach((k, i) => {
      const row = this.get.get(k);
      if (row && row.vec.byteLength === this.dims * 4) {
        // Copied out of the row's buffer, so the vector owns aligned memory of its own.
        out[i] = new Float32Array(row.vec.buffer.slice(row.vec.byteOffset, row.vec.byteOffset + row.vec.byteLength));
      } else missing.push(i);
    });
    this.stats.hits += texts.length - missing.length;
    this.stats.misses += missing.length;
    let done = texts.length - missing.length;
    if (done) onBatch?.(done);
    const write = this.db.transaction((rows: [Buffer, Buffer][]) => {
      for (const [k, v] of rows) this.put.run(k, v);
    });
    for (let s = 0; s < missing.length; s += SLICE) {
      const idx = missing.slice(s, s + SLICE);
      const vecs = await this.inner.vectors(idx.map((i) => texts[i]));
      write(idx.map((i, j) => [keys[i], Buffer.from(vecs[j].buffer, vecs[j].byteOffset, vecs[j].byteLength)]));
      idx.forEach((i, j) => (out[i] = vecs[j]));
      done += idx.length;
      onBatch?.(done);
    }
    return out;
  }

  close(): void {
    this.db.close();
  }
}
