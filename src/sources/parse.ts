/**
 * Parsing off the event loop: feeds, sitemaps and pages are parsed on a piscina pool of worker
 * threads. A 3 MB feed of 100,000 items takes seconds of CPU to parse; on the main thread that
 * would hold up every request meanwhile, health and readiness probes included.
 *
 * The pool starts no thread until the first parse and lets idle threads go, so a server that
 * never syncs pays nothing for it.
 *
 * @example const parser = createParser({ threads: 1 }); (await parser.document('feed', xml, url)).entries; await parser.close();
 */
import { Piscina } from 'piscina';
import type { ArticleInput } from '../corpus/article.js';
import { AppError } from '../errors.js';
import type { FeedEntry, ParsedDocument } from './feeds.js';
import type { ParseResult, ParseTask } from './parseTask.js';
import type { PickOptions } from './pick.js';

export interface Parser {
  /**
   * The entries of a feed or sitemap (feeds.ts); with `pick`, only those a sync takes (pick.ts),
   * chosen on the worker thread. @throws AppError('bad_request') when it is not one.
   */
  document(kind: 'feed' | 'sitemap', body: string, base: string, pick?: PickOptions): Promise<ParsedDocument>;
  /** The article on a page (page.ts). */
  page(html: string, url: string, entry?: FeedEntry): Promise<ArticleInput>;
  close(): Promise<void>;
}

const IDLE_MS = 30_000;

export function createParser(opts: { threads: number }): Parser {
  const pool = new Piscina<ParseTask, ParseResult>({
    filename: new URL('./parseWorker.mjs', import.meta.url).href,
    minThreads: 0,
    maxThreads: opts.threads,
    idleTimeout: IDLE_MS,
  });
  const run = async (task: ParseTask) => {
    const r = await pool.run(task);
    if (!r.ok) throw new AppError(r.code, r.message);
    return r.value;
  };
  return {
    document: async (kind, body, base, pick) => (await run({ task: 'document', kind, body, base, pick })) as ParsedDocument,
    page: async (html, url, entry) => (await run({ task: 'page', html, url, entry })) as ArticleInput,
    close: () => pool.destroy(),
  };
}
