/**
 * The one byte layout of a sentence set (types.ts `SentenceSet`), shared by the local store's
 * `sentences` table and PostgreSQL's: little-endian int32 `dims`, `n`, then `n` pairs of
 * `start`, `end`, then `n × dims` float32. One blob per article, read in one go at answer time.
 */
import { AppError } from '../errors.js';
import type { SentenceSet } from './types.js';

/** @example decodeSentences(encodeSentences(set), set.version, set.hash) // same spans and vectors */
export function encodeSentences(set: Pick<SentenceSet, 'spans' | 'vectors'>): Buffer {
  const n = set.spans.length;
  const dims = set.vectors[0]?.length ?? 0;
  const head = new Int32Array(2 + 2 * n);
  head[0] = dims;
  head[1] = n;
  set.spans.forEach((s, i) => {
    head[2 + 2 * i] = s.start;
    head[3 + 2 * i] = s.end;
  });
  const body = new Float32Array(n * dims);
  set.vectors.forEach((v, i) => {
    if (v.length !== dims) throw new AppError('internal', `store: sentence vector of ${v.length} dimensions among ${dims}`);
    body.set(v, i * dims);
  });
  return Buffer.concat([Buffer.from(head.buffer), Buffer.from(body.buffer)]);
}

/** Undefined when the bytes do not hold a whole set (a damaged row is made again, never used). */
export function decodeSentences(bytes: Uint8Array, version: number, hash: string): SentenceSet | undefined {
  if (bytes.byteLength < 8) return undefined;
  // Copied: SQLite's and pg's buffers are neither aligned for Float32Array nor ours to keep.
  const buf = new Uint8Array(bytes).buffer;
  const [dims, n] = new Int32Array(buf, 0, 2);
  if (dims < 0 || n < 0 || buf.byteLength !== 8 + 8 * n + 4 * n * dims) return undefined;
  const head = new Int32Array(buf, 8, 2 * n);
  const spans = Array.from({ length: n }, (_, i) => ({ start: head[2 * i], end: head[2 * i + 1] }));
  const vectors = Array.from({ length: n }, (_, i) => new Float32Array(buf, 8 + 8 * n + 4 * i * dims, dims));
  return { version, hash, spans, vectors };
}
