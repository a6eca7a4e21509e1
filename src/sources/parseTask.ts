/**
 * What a parse worker thread runs (see parse.ts): a feed or sitemap document into entries, or a
 * page into an article. Errors cross the thread boundary as data, because a thrown AppError
 * arrives on the other side as a plain Error without its code.
 */
import { AppError, type ErrorCode } from '../errors.js';
import type { FeedEntry, ParsedDocument } from './feeds.js';
import { parseDocument } from './feeds.js';
import type { ArticleInput } from '../corpus/article.js';
import { readPage } from './page.js';
import { pickEntries, type PickOptions } from './pick.js';

export type ParseTask =
  | { task: 'document'; kind: 'feed' | 'sitemap'; body: string; base: string; pick?: PickOptions }
  | { task: 'page'; html: string; url: string; entry?: FeedEntry };

export type ParseResult = { ok: true; value: ParsedDocument | ArticleInput } | { ok: false; code: ErrorCode; message: string };

export default function parseTask(t: ParseTask): ParseResult {
  try {
    if (t.task === 'page') return { ok: true, value: readPage(t.html, t.url, t.entry) };
    const doc = parseDocument(t.kind, t.body, t.base);
    return { ok: true, value: t.pick ? pickEntries(doc, t.pick) : doc };
  } catch (e) {
    if (e instanceof AppError) return { ok: false, code: e.code, message: e.message };
    throw e;
  }
}
