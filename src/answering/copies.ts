/**
 * Syndicated copies at answer time: one quote per story, the other outlets that carry the same
 * sentence listed under it ("also reported by"). Copies are the articles ingest put in one
 * cluster (ingest/dedupe.ts); an article is only listed, or kept from being quoted, when its own
 * text holds the quoted sentence word for word — two copies that differ in that sentence (an
 * updated figure, a correction) are never collapsed.
 */
import type { Article } from '../corpus/article.js';
import { outletOf } from '../ingest/boilerplate.js';
import type { Quote, ReportedBy } from './answer.js';

/** The story an article belongs to: its cluster, or itself when it has no copies. */
export const storyOf = (a: Pick<Article, 'id' | 'cluster'>) => a.cluster ?? a.id;

/**
 * True when `b` is another outlet's copy of `a`'s story that carries `sentence` as well, so a
 * quote of it from `b` would say again what the quote from `a` says.
 */
export function sameStory(a: Article, b: Article, sentence: string): boolean {
  return a.id !== b.id && storyOf(a) === storyOf(b) && b.text.includes(sentence);
}

const reportedBy = (a: Article): ReportedBy => ({ articleId: a.id, title: a.title, source: outletOf(a), ...(a.url ? { url: a.url } : {}) });

/**
 * Adds `alsoReportedBy` to each quote from the copies among `articles` (the retrieved passages'
 * articles and the copies retrieval set aside), each article listed once, under the first quote
 * it repeats.
 * @example withCopies(quotes, articles)[0].alsoReportedBy // [{ title, source: 'valleycourier.example', url }]
 */
export function withCopies<Q extends Quote>(quotes: Q[], articles: Article[], byId: Map<string, Article>): Q[] {
  const listed = new Set(quotes.map((q) => q.articleId));
  return quotes.map((q) => {
    const own = byId.get(q.articleId);
    if (!own) return q;
    const also = articles.filter((b) => !listed.has(b.id) && sameStory(own, b, q.text));
    for (const b of also) listed.add(b.id);
    return also.length ? { ...q, alsoReportedBy: also.map(reportedBy) } : q;
  });
}
