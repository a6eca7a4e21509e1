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
};

// MiniSearch tokenises with our `terms` pre-applied: keeping one tokenizer for index and query
// is what makes the stemming consistent.
const prepare = (d: KeywordDoc) => ({ ...d, text: terms(d.text).join(' '), title: terms(d.title).join(' ') });

export function createKeywordIndex(json?: string): MiniSearch<KeywordDoc> {
  return json ? MiniSearch.loadJSON<KeywordDoc>(json, OPTIONS) : new MiniSearch<KeywordDoc>(OPTIONS);
}

export function addKeywordDocs(index: MiniSearch<KeywordDoc>, docs: KeywordDoc[]): void {
  index.addAll(docs.map(prepare));
}

export function searchKeyword(
  index: MiniSearch<KeywordDoc>,
  query: string,
  k: number,
  keep?: (articleId: string) => boolean,
): { id: number; score: number }[] {
  const q = terms(query).join(' ');
  if (!q) return [];
  const results = index.search(q, keep ? { filter: (r) => keep(r.articleId as string) } : {});
  return results.slice(0, k).map((r) => ({ id: r.id as number, score: r.score }));
}
