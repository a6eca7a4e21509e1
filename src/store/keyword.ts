/**
 * Keyword side of the local store's hybrid search: BM25 over chunk text with MiniSearch, on the
 * one tokenizer of src/text.ts (lower-cased, stop words dropped, Porter-stemmed).
 */
import MiniSearch from 'minisearch';
import { terms } from '../text.js';

export interface KeywordDoc {
  id: number;
  text: string;
  title: string;
  articleId: string;
}

const OPTIONS = {
  fields: ['text', 'title'],
  storeFields: ['articleId'],
  tokenize: (text: string) => text.split(/\s+/),
  processTerm: (t: string) => t || null,
  searchOptions: { boost: { text: 1, title: 0.3 } },
  // Tidying away discarded documents is started by the memory index (memory.ts maybeVacuum), so
  // a snapshot can hold it back while it freezes the index.
  autoVacuum: false,
};

/** MiniSearch's own defaults for when and how to tidy (its `autoVacuum` options). */
export const VACUUM = { batchSize: 1000, batchWait: 10 };
const DIRT = { minDirtCount: 20, minDirtFactor: 0.1 };
export const vacuumDue = (index: MiniSearch<KeywordDoc>) => index.dirtCount >= DIRT.minDirtCount && index.dirtFactor >= DIRT.minDirtFactor;

// MiniSearch tokenises with our `terms` pre-applied: keeping one tokenizer for index and query
// is what makes the stemming consistent.
export const prepareKeywordDoc = (d: KeywordDoc): KeywordDoc => ({ ...d, text: terms(d.text).join(' '), title: terms(d.title).join(' ') });

export function createKeywordIndex(json?: string): MiniSearch<KeywordDoc> {
  return json ? MiniSearch.loadJSON<KeywordDoc>(json, OPTIONS) : new MiniSearch<KeywordDoc>(OPTIONS);
}

/** Loads a saved index in batches, so the event loop keeps answering (health) while it loads. */
export function loadKeywordIndex(json: string): Promise<MiniSearch<KeywordDoc>> {
  return MiniSearch.loadJSONAsync<KeywordDoc>(json, OPTIONS);
}

export function addKeywordDocs(index: MiniSearch<KeywordDoc>, docs: KeywordDoc[]): void {
  index.addAll(docs.map(prepareKeywordDoc));
}

/** Docs already passed through `prepareKeywordDoc` (moved from one index to another). */
export function addPreparedDocs(index: MiniSearch<KeywordDoc>, docs: KeywordDoc[]): void {
  index.addAll(docs);
}

/** The highest-scoring chunk labels; `keep` sees each candidate's article id and label. */
export function searchKeyword(
  index: MiniSearch<KeywordDoc>,
  query: string,
  k: number,
  keep?: (articleId: string, label: number) => boolean,
): { id: number; score: number }[] {
  const q = terms(query).join(' ');
  if (!q) return [];
  const results = index.search(q, keep ? { filter: (r) => keep(r.articleId as string, r.id as number) } : {});
  return results.slice(0, k).map((r) => ({ id: r.id as number, score: r.score }));
}

/** MiniSearch's own fields, as its `toJSON` reads them (minisearch 7, serialization version 2). */
interface Internals {
  _documentCount: number;
  _nextId: number;
  _documentIds: Map<number, unknown>;
  _fieldIds: Record<string, number>;
  _fieldLength: Map<number, unknown>;
  _avgFieldLength: number[];
  _storedFields: Map<number, unknown>;
  _dirtCount: number;
  _index: Iterable<[string, Map<number, Map<number, number>>]>;
}

/**
 * The index as JSON text in pieces of about `batch` entries or `postings` term–document pairs:
 * the same text as `JSON.stringify(index)` (MiniSearch.loadJSON reads it), but the caller can write each piece and
 * let the event loop run between them. The index must not change until the last piece is taken.
 */
export function* keywordJsonPieces(index: MiniSearch<KeywordDoc>, batch = 2000, postings = 20_000): Generator<string> {
  const m = index as unknown as Internals;
  function* map(name: string, entries: Map<number, unknown>, last = false): Generator<string> {
    let buf: string[] = [];
    let first = true;
    yield `${JSON.stringify(name)}:{`;
    for (const [k, v] of entries) {
      buf.push(`${JSON.stringify(String(k))}:${JSON.stringify(v)}`);
      if (buf.length >= batch) {
        yield (first ? '' : ',') + buf.join(',');
        first = false;
        buf = [];
      }
    }
    if (buf.length) yield (first ? '' : ',') + buf.join(',');
    yield last ? '}' : '},';
  }
  yield `{"documentCount":${m._documentCount},"nextId":${m._nextId},`;
  yield* map('documentIds', m._documentIds);
  yield `"fieldIds":${JSON.stringify(m._fieldIds)},`;
  yield* map('fieldLength', m._fieldLength);
  yield `"averageFieldLength":${JSON.stringify(m._avgFieldLength)},`;
  yield* map('storedFields', m._storedFields);
  yield `"dirtCount":${m._dirtCount},"index":[`;
  let buf: string[] = [];
  let first = true;
  // A piece also ends after `postings` document entries: a few common terms hold most of them,
  // and a piece of 2,000 such terms of a large archive took several hundred ms to serialise,
  // which every write arriving meanwhile waited for.
  let weight = 0;
  for (const [term, fieldIndex] of m._index) {
    const data: Record<string, Record<string, number>> = {};
    for (const [fieldId, freqs] of fieldIndex) {
      data[fieldId] = Object.fromEntries(freqs);
      weight += freqs.size;
    }
    buf.push(JSON.stringify([term, data]));
    if (buf.length >= batch || weight >= postings) {
      yield (first ? '' : ',') + buf.join(',');
      first = false;
      buf = [];
      weight = 0;
    }
  }
  if (buf.length) yield (first ? '' : ',') + buf.join(',');
  yield '],"serializationVersion":2}';
}
