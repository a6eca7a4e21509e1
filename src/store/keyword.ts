/**
 * Keyword side of the local store's hybrid search: BM25 over chunk text with MiniSearch, on the
 * one tokenizer of src/text.ts (lower-cased, stop words dropped, Porter-stemmed).
 */
import { LRUCache } from 'lru-cache';
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
  addPreparedDocs(index, docs.map(prepareKeywordDoc));
}

/** Docs already passed through `prepareKeywordDoc` (moved from one index to another). */
export function addPreparedDocs(index: MiniSearch<KeywordDoc>, docs: KeywordDoc[]): void {
  index.addAll(docs);
  addedTo(index, docs);
}

/**
 * The highest-scoring chunk labels; `keep` sees each candidate's article id and label.
 *
 * The scores and their order are MiniSearch's own `search` (BM25+ with its defaults, summed over
 * the query's terms, times the number of distinct terms matched; ties in first-match order),
 * computed here from its index because `search` scores and sorts every document that matches any
 * term: on a large archive a question's common words match most chunks, and that was most of the
 * time a question took (docs/performance.md).
 *
 * Two things make it fast; no library does either over MiniSearch's index:
 * - a word's postings are read from typed arrays made from its posting maps once and kept (an
 *   array is read several times faster than a Map is iterated);
 * - words are added rarest first, term at a time with a MaxScore-style stop: once the best k so
 *   far are sure to beat any chunk that only the words left could match, those words add to the
 *   chunks already gathered and bring in no new ones, and a gathered chunk that can no longer
 *   reach the k-th best is dropped.
 * The survivors are scored again exactly as MiniSearch adds up (query order), so the results are
 * the same chunks, scores and order as its `search` (tests/keyword.test.ts).
 */
export function searchKeyword(
  index: MiniSearch<KeywordDoc>,
  query: string,
  k: number,
  keep?: (articleId: string, label: number) => boolean,
): { id: number; score: number }[] {
  const queryTerms = terms(query);
  k = Math.floor(k);
  if (!queryTerms.length || k <= 0) return [];
  const m = index as unknown as Internals;
  const fields = OPTIONS.fields.map((f) => ({ id: m._fieldIds[f], boost: OPTIONS.searchOptions.boost[f as 'text' | 'title'] }));
  const lengths = fieldLengths(m, fields.length);

  // Each distinct query word the index holds, with its postings per field.
  const words = new Map<string, Word>();
  for (const term of queryTerms) {
    const known = words.get(term);
    if (known) {
      known.weight++;
      continue;
    }
    const data = m._index.get(term);
    if (!data) continue;
    const word: Word = { postings: [], weight: 1, bound: 0, size: 0 };
    fields.forEach(({ id: fieldId, boost }, position) => {
      const freqs = data.get(fieldId);
      if (!freqs) return;
      const length = lengths[fieldId];
      const list = postingList(m, term, fieldId, freqs, length, m._avgFieldLength[fieldId]);
      if (!list.docs.length) return;
      // Discarded documents are not in the list (it is remade after a discard) nor in the
      // document frequency, so the scores are those the index has once vacuumed. (MiniSearch's
      // `search` tidies such postings as it meets them, mid-count; this one leaves the index as
      // it is, which a snapshot being written needs.)
      const matching = list.docs.length;
      const idf = Math.log(1 + (m._documentCount - matching + 0.5) / (matching + 0.5));
      const p: Posting = { list, freqs, idf, boost, position, avg: m._avgFieldLength[fieldId], length };
      word.postings.push(p);
      // BM25+ grows with the term frequency and falls with the length: its most is at the list's
      // highest frequency and shortest chunk.
      word.bound += boost * bm25(p, list.maxTf, list.minLength);
      word.size += matching;
    });
    if (word.postings.length) words.set(term, word);
  }
  if (!words.size) return [];

  const s = scratch(m);
  // `keep`'s answer per chunk, asked once.
  const filter =
    keep &&
    ((doc: number) => {
      if (s.kept[doc] === 0) s.kept[doc] = keep((m._storedFields.get(doc) as { articleId: string }).articleId, m._documentIds.get(doc) as number) ? 1 : 2;
      return s.kept[doc] === 1;
    });
  // Every chunk met (to clear the scratch arrays after), and those still in the running.
  const seen: number[] = [];
  let gathered: number[] = seen;
  const drop = (least: number, rest: number, left: number) => {
    const next: number[] = [];
    const { partial, count, alive } = s;
    for (let d = 0; d < gathered.length; d++) {
      const doc = gathered[d];
      if ((partial[doc] + rest) * (count[doc] + left) >= least) next.push(doc);
      else alive[doc] = 0;
    }
    gathered = next;
  };
  // A chunk's score as MiniSearch adds it up: query order, each field in turn. Its first-match
  // order (where it breaks ties) is the first word and field a chunk is in, then the posting's
  // place, which is the short id's (postings are only ever appended, in id order).
  const size = m._nextId;
  const firstAt = queryTerms.map((term) => queryTerms.indexOf(term));
  const exact = (doc: number) => {
    let total = 0;
    let matched = 0;
    let rank = Infinity;
    queryTerms.forEach((term, at) => {
      const word = words.get(term);
      if (!word) return;
      let score = 0;
      let hit = false;
      for (const p of word.postings) {
        const tf = p.freqs.get(doc);
        if (tf === undefined) continue;
        score += p.boost * bm25(p, tf, p.length[doc]);
        if (rank === Infinity) rank = (at * fields.length + p.position) * size + doc;
        hit = true;
      }
      if (!hit) return;
      total += score;
      if (firstAt[at] === at) matched++;
    });
    return { doc, score: total * (matched || 1), rank };
  };
  // The k-th best of the exact scores taken so far is a floor for the k-th best of all: they are
  // final. The chunks scored are those with the best partial sums (a few times k of them, since
  // the best partial sums are not quite the best scores).
  const exactly = new Map<number, number>();
  const least = () => {
    for (const doc of bestK(gathered, SAMPLE * k, s, filter)) if (!exactly.has(doc)) exactly.set(doc, exact(doc).score);
    if (exactly.size < k) return -Infinity;
    return [...exactly.values()].sort((a, b) => b - a)[k - 1] * (1 - SLACK);
  };

  const list = [...words.values()].sort((a, b) => a.size - b.size);
  let rest = list.reduce((n, w) => n + w.weight * w.bound, 0);
  let gathering = true;
  let bar = -Infinity;
  try {
    for (let i = 0; i < list.length; i++) {
      const word = list[i];
      const left = list.length - i;
      // A new floor costs a pass over the chunks gathered: it is taken when it could stop the
      // gathering (the words left are within twice the floor) or once gathering has stopped.
      if (gathered.length >= k && (!gathering || bar === -Infinity || rest * left < 2 * bar)) bar = Math.max(bar, least());
      if (gathering && rest * left < bar) gathering = false;
      if (!gathering) drop(bar, rest, left);
      const stamp = i + 1;
      for (const p of word.postings) {
        const { docs, parts } = p.list;
        const weighted = word.weight * p.boost * p.idf;
        const stretch = Math.max(1, p.avg / p.list.avg) * (1 + PART_ROUNDING);
        for (let j = 0; j < docs.length; j++) {
          const doc = docs[j];
          if (gathering) {
            if (s.stamp[doc] === 0) {
              seen.push(doc);
              s.alive[doc] = 1;
            }
          } else if (s.alive[doc] === 0) continue;
          if (s.stamp[doc] !== stamp) {
            s.stamp[doc] = stamp;
            s.count[doc]++;
          }
          s.partial[doc] += weighted * (BM25.d + parts[j] * stretch);
        }
      }
      rest -= word.weight * word.bound;
    }
    if (gathered.length > k) drop(Math.max(bar, least()), 0, 0);

    const scored = (filter ? gathered.filter(filter) : gathered).map(exact);
    scored.sort((a, b) => b.score - a.score || a.rank - b.rank);
    return scored.slice(0, k).map((c) => ({ id: m._documentIds.get(c.doc) as number, score: c.score }));
  } finally {
    for (const doc of seen) {
      s.partial[doc] = 0;
      s.count[doc] = 0;
      s.stamp[doc] = 0;
      s.kept[doc] = 0;
      s.alive[doc] = 0;
    }
  }
}

/** MiniSearch's BM25+ for one term in one field, before the field's boost (its calcBM25Score). */
const bm25 = (p: Posting, tf: number, length: number) => p.idf * (BM25.d + tfPart(tf, length, p.avg));
/** BM25+'s term-frequency part: what a posting list keeps per posting. */
const tfPart = (tf: number, length: number, avg: number) => (tf * (BM25.k + 1)) / (tf + BM25.k * (1 - BM25.b + (BM25.b * length) / avg));

/** Scores are compared with this much room: a bound is summed in another order than the score. */
const SLACK = 1e-9;
/** Room for a term-frequency part rounded to float32 (relative error below 2^-24). */
const PART_ROUNDING = 1e-6;
/** How many times k chunks are scored exactly to raise the floor (each costs a lookup per word). */
const SAMPLE = 3;

interface Posting {
  list: PostingList;
  freqs: Map<number, number>;
  idf: number;
  boost: number;
  /** The field's place in OPTIONS.fields (MiniSearch's order of adding a word's fields). */
  position: number;
  avg: number;
  length: Float64Array;
}
interface Word {
  postings: Posting[];
  /** How many times the query holds the word: each adds its score, as in MiniSearch. */
  weight: number;
  /** The most one occurrence of the word can add to a chunk's sum. */
  bound: number;
  /** Its postings in all fields: rarest words are added first. */
  size: number;
}

/** The allowed docs with the k best sums × counts (fewer when fewer are allowed): a min-heap. */
function bestK(docs: number[], k: number, s: Scratch, allowed?: (doc: number) => boolean): number[] {
  const heap = new Float64Array(k);
  const held = new Int32Array(k);
  const { partial, count } = s;
  const swap = (a: number, b: number) => {
    [heap[a], heap[b]] = [heap[b], heap[a]];
    [held[a], held[b]] = [held[b], held[a]];
  };
  let n = 0;
  for (let d = 0; d < docs.length; d++) {
    const doc = docs[d];
    const v = partial[doc] * count[doc];
    if (n === k && v <= heap[0]) continue;
    if (allowed && !allowed(doc)) continue;
    let i = 0;
    if (n < k) {
      i = n++;
      heap[i] = v;
      held[i] = doc;
      while (i > 0 && heap[(i - 1) >> 1] > heap[i]) {
        swap(i, (i - 1) >> 1);
        i = (i - 1) >> 1;
      }
      continue;
    }
    heap[0] = v;
    held[0] = doc;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < k && heap[l] < heap[w]) w = l;
      if (r < k && heap[r] < heap[w]) w = r;
      if (w === i) break;
      swap(i, w);
      i = w;
    }
  }
  return [...held.subarray(0, n)];
}

/** One word's postings in one field as arrays: live documents only, in the map's order. */
interface PostingList {
  docs: Int32Array;
  /**
   * BM25+'s term-frequency part of each posting, at the field's average length `avg` of when
   * the list was made. Partial sums only bound the scores (the survivors are scored exactly),
   * so a list stays usable as other chunks change the average: the part at a new average is at
   * most the old one times new / old (see `stretch`).
   */
  parts: Float32Array;
  avg: number;
  maxTf: number;
  minLength: number;
  /** When made: the map's size, the index's removals, its next id and the adds seen by addedTo. */
  size: number;
  removed: number;
  nextId: number;
  added: number;
}

/**
 * The posting lists made so far, per index, up to CACHED_POSTINGS postings (8 bytes each), least
 * recently used dropped first. A list is remade when its word is added to (addKeywordDocs and
 * addPreparedDocs drop the added words' lists and count the documents; every add takes the next
 * id, so more ids than counted adds since a list was made means an add went past them, and the
 * list is remade) or after any document is discarded or removed (ids are never reused, so
 * `_nextId - _documentCount`, the documents ever taken out, only grows). A vacuum only drops
 * postings of discarded documents, which no list made after their discard holds.
 */
const CACHED_POSTINGS = 16_000_000;
const listsOf = new WeakMap<Internals, { lists: LRUCache<string, PostingList>; added: number }>();
function postingList(m: Internals, term: string, fieldId: number, freqs: Map<number, number>, length: Float64Array, avg: number): PostingList {
  const removed = m._nextId - m._documentCount;
  let state = listsOf.get(m);
  if (!state) {
    state = { lists: new LRUCache<string, PostingList>({ maxSize: CACHED_POSTINGS, sizeCalculation: (l) => Math.max(1, l.docs.length) }), added: 0 };
    listsOf.set(m, state);
  }
  const { lists, added } = state;
  const key = `${fieldId} ${term}`;
  const known = lists.get(key);
  if (known && known.size === freqs.size && known.removed === removed && m._nextId - known.nextId === added - known.added) return known;
  const docs = new Int32Array(freqs.size);
  const parts = new Float32Array(freqs.size);
  const dirty = m._dirtCount > 0;
  let n = 0;
  let maxTf = 0;
  let minLength = Infinity;
  for (const [doc, tf] of freqs) {
    if (dirty && !m._documentIds.has(doc)) continue;
    docs[n] = doc;
    parts[n] = tfPart(tf, length[doc], avg);
    n++;
    if (tf > maxTf) maxTf = tf;
    if (length[doc] < minLength) minLength = length[doc];
  }
  const list = { docs: docs.subarray(0, n), parts: parts.subarray(0, n), avg, maxTf, minLength, size: freqs.size, removed, nextId: m._nextId, added };
  lists.set(key, list);
  return list;
}

/** Drops the cached posting lists of the words of documents just added to the index. */
function addedTo(index: MiniSearch<KeywordDoc>, docs: KeywordDoc[]): void {
  const m = index as unknown as Internals;
  const state = listsOf.get(m);
  if (!state) return;
  state.added += docs.length;
  const { lists } = state;
  if (!lists.size) return;
  for (const d of docs)
    for (const field of OPTIONS.fields) {
      const text = d[field as 'text' | 'title'];
      if (text) for (const term of text.split(/\s+/)) lists.delete(`${m._fieldIds[field]} ${term}`);
    }
}

/**
 * Per-document sums kept per index and cleared after each search (only the entries it touched):
 * allocating arrays the size of a million-chunk index for every question cost more than scoring
 * the rare words. searchKeyword is synchronous, so one search at a time uses them.
 */
interface Scratch {
  partial: Float64Array;
  count: Uint16Array;
  stamp: Uint16Array;
  kept: Uint8Array;
  alive: Uint8Array;
}
const scratchOf = new WeakMap<Internals, Scratch>();
function scratch(m: Internals): Scratch {
  let s = scratchOf.get(m);
  if (!s || s.partial.length < m._nextId) {
    const n = Math.max(1024, m._nextId * 2);
    s = { partial: new Float64Array(n), count: new Uint16Array(n), stamp: new Uint16Array(n), kept: new Uint8Array(n), alive: new Uint8Array(n) };
    scratchOf.set(m, s);
  }
  return s;
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
