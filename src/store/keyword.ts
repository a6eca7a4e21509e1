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

/**
 * The highest-scoring chunk labels; `keep` sees each candidate's article id and label.
 *
 * The scores and their order are MiniSearch's own `search` (BM25+ with its defaults, summed over
 * the query's terms, times the number of distinct terms matched; ties in first-match order),
 * computed here from its index because `search` builds a result object for every document that
 * matches any term and sorts them all: on a large archive a question's common words match most
 * chunks, and that was most of the time a question took (docs/performance.md). Here the scores
 * add up in arrays and only the best k are kept.
 */
export function searchKeyword(
  index: MiniSearch<KeywordDoc>,
  query: string,
  k: number,
  keep?: (articleId: string, label: number) => boolean,
): { id: number; score: number }[] {
  const queryTerms = terms(query);
  if (!queryTerms.length || k <= 0) return [];
  const m = index as unknown as Internals;
  const fields = OPTIONS.fields.map((f) => ({ id: m._fieldIds[f], boost: OPTIONS.searchOptions.boost[f as 'text' | 'title'] }));
  const size = m._nextId;
  const lengths = fieldLengths(m, fields.length);
  const total = new Float64Array(size);
  const termScore = new Float64Array(size);
  const matched = new Uint16Array(size);
  // 0: not matched yet, 1: matched by an earlier term, 2: matched by this term.
  const seen = new Uint8Array(size);
  // Documents in the order MiniSearch's result map would hold them: where it breaks ties.
  const order: number[] = [];
  const counted = new Set<string>();
  const dirty = m._dirtCount > 0;
  for (const term of queryTerms) {
    const data = m._index.get(term);
    if (!data) continue;
    const distinct = !counted.has(term);
    counted.add(term);
    const touched: number[] = [];
    for (const { id: fieldId, boost } of fields) {
      const freqs = data.get(fieldId);
      if (!freqs) continue;
      // A discarded document's postings stay until the vacuum: it is skipped, and not counted in
      // the term's document frequency, so the scores are those the index has once vacuumed.
      // (MiniSearch's `search` tidies such postings as it meets them, mid-count; this one leaves
      // the index as it is, which a snapshot being written needs.)
      let matching = freqs.size;
      if (dirty) for (const doc of freqs.keys()) if (!m._documentIds.has(doc)) matching--;
      const idf = Math.log(1 + (m._documentCount - matching + 0.5) / (matching + 0.5));
      const avg = m._avgFieldLength[fieldId];
      const length = lengths[fieldId];
      for (const [doc, tf] of freqs) {
        if (dirty && !m._documentIds.has(doc)) continue;
        const raw = idf * (BM25.d + (tf * (BM25.k + 1)) / (tf + BM25.k * (1 - BM25.b + (BM25.b * length[doc]) / avg)));
        const score = boost * raw;
        if (seen[doc] !== 2) {
          if (seen[doc] === 0) order.push(doc);
          seen[doc] = 2;
          termScore[doc] = score;
          touched.push(doc);
        } else termScore[doc] += score;
      }
    }
    for (const doc of touched) {
      total[doc] += termScore[doc];
      if (distinct) matched[doc]++;
      seen[doc] = 1;
    }
  }
  // The k best by score, earlier-matched first among equals: a heap whose top is the worst kept.
  const heap: { doc: number; score: number; rank: number }[] = [];
  const worse = (a: (typeof heap)[number], b: (typeof heap)[number]) => a.score < b.score || (a.score === b.score && a.rank > b.rank);
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < heap.length && worse(heap[l], heap[w])) w = l;
      if (r < heap.length && worse(heap[r], heap[w])) w = r;
      if (w === i) return;
      [heap[i], heap[w]] = [heap[w], heap[i]];
      i = w;
    }
  };
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(heap[i], heap[p])) return;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  };
  order.forEach((doc, rank) => {
    const c = { doc, score: total[doc] * (matched[doc] || 1), rank };
    if (heap.length === k && !worse(heap[0], c)) return;
    if (keep && !keep((m._storedFields.get(doc) as { articleId: string }).articleId, m._documentIds.get(doc) as number)) return;
    if (heap.length < k) {
      heap.push(c);
      up(heap.length - 1);
    } else {
      heap[0] = c;
      down(0);
    }
  });
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0)).map((c) => ({ id: m._documentIds.get(c.doc) as number, score: c.score }));
}

/**
 * Each field's length per document, in arrays indexed by MiniSearch's short id: the scorer reads
 * one for every posting of every question word (a hundred thousand for a common word), and a
 * Map lookup each was a large part of a question's keyword time. A document's lengths never
 * change (a replaced one gets a new short id), so the arrays only grow with the index.
 */
const lengthsOf = new WeakMap<Internals, { upTo: number; fields: Float64Array[] }>();
function fieldLengths(m: Internals, nFields: number): Float64Array[] {
  let cached = lengthsOf.get(m);
  if (!cached || cached.fields[0].length < m._nextId) {
    const capacity = Math.max(1024, m._nextId * 2);
    const fields = Array.from({ length: nFields }, (_, f) => {
      const a = new Float64Array(capacity);
      if (cached) a.set(cached.fields[f]);
      return a;
    });
    cached = { upTo: cached?.upTo ?? 0, fields };
    lengthsOf.set(m, cached);
  }
  for (let doc = cached.upTo; doc < m._nextId; doc++) {
    const l = m._fieldLength.get(doc);
    if (l) for (let f = 0; f < nFields; f++) cached.fields[f][doc] = l[f] ?? 0;
  }
  cached.upTo = m._nextId;
  return cached.fields;
}

/** MiniSearch's BM25+ parameters (its defaults; OPTIONS does not change them). */
const BM25 = { k: 1.2, b: 0.7, d: 0.5 };

/** MiniSearch's own fields, as its `toJSON` reads them (minisearch 7, serialization version 2). */
interface Internals {
  _documentCount: number;
  _nextId: number;
  _documentIds: Map<number, unknown>;
  _fieldIds: Record<string, number>;
  _fieldLength: Map<number, number[]>;
  _avgFieldLength: number[];
  _storedFields: Map<number, unknown>;
  _dirtCount: number;
  _index: Iterable<[string, Map<number, Map<number, number>>]> & { get(term: string): Map<number, Map<number, number>> | undefined };
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
