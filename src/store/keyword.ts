/**
 * Keyword side of hybrid search: BM25 over chunk text with MiniSearch. Terms are lower-cased,
 * stop words dropped and stemmed (Porter), so "visited" meets "visit".
 */
import MiniSearch from 'minisearch';
import { stemmer } from 'stemmer';

export const STOP_WORDS = new Set(
  ('a an and are as at be been but by did do does for from had has have he her his how i if in into is it its ' +
    'of on or she so than that the their them then there these they this those to was were what when where which ' +
    'who whom whose why will with would you your about after before during also not no can could should may might ' +
    'we our us me my him hers theirs ours yours been being than any some such own same just more most other').split(' '),
);

/** Tokens as the keyword index sees them. Numbers and names survive intact (lower-cased). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu)) {
    const t = m[0].replace(/['’]s$/, '');
    if (STOP_WORDS.has(t)) continue;
    out.push(/^\p{N}/u.test(t) ? t : stemmer(t));
  }
  return out;
}

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
