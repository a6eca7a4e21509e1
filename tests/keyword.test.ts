/**
 * The keyword search's own BM25 scoring (keyword.ts searchKeyword) against MiniSearch's `search`
 * on the same index: the same chunks in the same order with the same scores, on real text (the
 * SQuAD sample's paragraphs cut into sentence chunks) and real questions.
 */
import { describe, expect, it } from 'vitest';
import { loadEvalSet } from '../src/eval/dataset.js';
import { keywordQuery } from '../src/answering/retrieve.js';
import { createKeywordIndex, prepareKeywordDoc, searchKeyword, type KeywordDoc } from '../src/store/keyword.js';
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
    });
  });

  it('keeps every match when k is larger than the matches, best first', async () => {
    const { index } = await fixture();
    const q = 'the year city university';
    const all = reference(index, q, 1e9);
    const got = searchKeyword(index, q, all.length + 50);
    expect(got).toEqual(all);
    expect(got.length).toBeGreaterThan(10);
    expect(searchKeyword(index, q, 0)).toEqual([]);
  });
});
