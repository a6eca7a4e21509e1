/**
 * The keyword search's own BM25 scoring (keyword.ts searchKeyword) against MiniSearch's `search`
 * on the same index: the same chunks in the same order with the same scores, on real text (the
 * SQuAD sample's paragraphs cut into sentence chunks) and real questions.
 */
import { describe, expect, it } from 'vitest';
import { loadEvalSet } from '../src/eval/dataset.js';
import { keywordQuery } from '../src/answering/retrieve.js';
import { addKeywordDocs, createKeywordIndex, prepareKeywordDoc, searchKeyword, type KeywordDoc } from '../src/store/keyword.js';
import { terms } from '../src/text.js';

/** MiniSearch's own ranking: what searchKeyword must equal. */
function reference(index: ReturnType<typeof createKeywordIndex>, query: string, k: number, keep?: (articleId: string, label: number) => boolean) {
  const q = terms(query).join(' ');
  if (!q) return [];
  const results = index.search(q, keep ? { filter: (r) => keep(r.articleId as string, r.id as number) } : {});
  return results.slice(0, k).map((r) => ({ id: r.id as number, score: r.score }));
}

async function fixture() {
  const set = await loadEvalSet('eval/squad/squad-v2-small.json');
  const docs: KeywordDoc[] = [];
  for (const a of set.articles) {
    // A chunk a sentence, the first one with the article's title.
    a.text.split(/(?<=[.!?])\s+/).forEach((text, i) => docs.push({ id: docs.length, text, title: i === 0 ? a.title : '', articleId: a.id }));
  }
  const index = createKeywordIndex();
  index.addAll(docs.map(prepareKeywordDoc));
  // Repeated names and numbers, as the retriever asks (keywordQuery), and a few plain word lists.
  const queries = [...set.questions.slice(0, 60).map((q) => keywordQuery(q.question)), 'the of and', 'university university city', 'zzzz unknownword', ''];
  return { set, docs, index, queries };
}

describe('searchKeyword', () => {
  it('ranks and scores as MiniSearch does, also with a filter and after documents are discarded', async () => {
    const { docs, index, queries } = await fixture();
    expect(docs.length).toBeGreaterThan(300);
    let nonEmpty = 0;
    for (const q of queries) {
      const got = searchKeyword(index, q, 20);
      expect(got).toEqual(reference(index, q, 20));
      if (got.length) nonEmpty++;
    }
    expect(nonEmpty).toBeGreaterThan(50);

    const articleIds = [...new Set(docs.map((d) => d.articleId))];
    const allowed = new Set(articleIds.filter((_, i) => i % 3 === 0));
    const keep = (articleId: string, label: number) => allowed.has(articleId) && label % 2 === 0;
    for (const q of queries) expect(searchKeyword(index, q, 10, keep)).toEqual(reference(index, q, 10, keep));

    // Discarded documents stay in the postings until the vacuum: left out, and out of the
    // document frequencies, so the ranking is the one of the vacuumed index.
    for (const d of docs.filter((_, i) => i % 5 === 0)) index.discard(d.id);
    expect(index.dirtCount).toBeGreaterThan(0);
    const dirty = queries.map((q) => searchKeyword(index, q, 15));
    await index.vacuum();
    expect(index.dirtCount).toBe(0);
    queries.forEach((q, i) => {
      expect(dirty[i]).toEqual(reference(index, q, 15));
      expect(dirty[i].every((h) => h.id % 5 !== 0)).toBe(true);
      expect(searchKeyword(index, q, 15)).toEqual(dirty[i]);
    });
  });

  it('sees documents added after a search (its posting lists are remade)', async () => {
    const { docs, index, queries } = await fixture();
    for (const q of queries) searchKeyword(index, q, 10);
    // Copies of earlier chunks under new ids: every query word gains postings, and the copies tie
    // with their originals, which must stay first.
    const copies = docs.slice(0, 200).map((d, i) => ({ ...d, id: docs.length + i }));
    addKeywordDocs(index, copies);
    for (const q of queries) expect(searchKeyword(index, q, 10)).toEqual(reference(index, q, 10));
    // The same words added straight to MiniSearch, past addKeywordDocs: the changed list sizes tell.
    index.addAll(docs.slice(200, 260).map((d, i) => prepareKeywordDoc({ ...d, id: docs.length + 200 + i })));
    for (const q of queries) expect(searchKeyword(index, q, 10)).toEqual(reference(index, q, 10));
  });

  it('keeps every match when k is larger than the matches, best first', async () => {
    const { index } = await fixture();
    const q = 'the year city university';
    const all = reference(index, q, 1e9);
    const got = searchKeyword(index, q, all.length + 50);
    expect(got).toEqual(all);
    expect(got.length).toBeGreaterThan(10);
    expect(searchKeyword(index, q, 0)).toEqual([]);
    // A fractional depth is read as its whole part, as slice does.
    expect(searchKeyword(index, q, 2.5)).toEqual(reference(index, q, 2));
  });
});

describe('searchKeyword on common words', () => {
  // Every chunk holds the common words, a few hold the rare ones, and some are copies of each
  // other (equal scores): the search stops bringing in chunks for the common words once the best
  // k are settled, and must still give MiniSearch's chunks, scores and tie order.
  function index() {
    const docs: KeywordDoc[] = [];
    const filler = ['market report city council', 'weather report city', 'council report market news', 'city news report'];
    for (let i = 0; i < 3000; i++) {
      const rare = i % 97 === 0 ? ' volcano eruption island' : i % 41 === 0 ? ' volcano island' : i % 13 === 0 ? ' island' : '';
      const text = `${filler[i % filler.length]}${rare}${i % 7 === 0 ? ' report report' : ''}`;
      docs.push({ id: i, text, title: i % 10 === 0 ? 'City report' : '', articleId: `a${i % 300}` });
    }
    const index = createKeywordIndex();
    index.addAll(docs.map(prepareKeywordDoc));
    return index;
  }
  const queries = ['volcano eruption island report city', 'island report', 'report city council market news', 'volcano volcano report', 'eruption city'];

  it('gives the same chunks, scores and tie order as MiniSearch for every k', () => {
    const idx = index();
    for (const q of queries)
      for (const k of [1, 3, 10, 40, 500]) {
        const got = searchKeyword(idx, q, k);
        expect(got).toEqual(reference(idx, q, k));
        expect(got).toHaveLength(Math.min(k, reference(idx, q, 1e9).length));
      }
  });

  it('keeps only what the filter allows while it stops early', () => {
    const idx = index();
    const keep = (articleId: string, label: number) => Number(articleId.slice(1)) % 4 === 1 && label % 3 !== 0;
    for (const q of queries) for (const k of [1, 5, 25]) expect(searchKeyword(idx, q, k, keep)).toEqual(reference(idx, q, k, keep));
  });
});
