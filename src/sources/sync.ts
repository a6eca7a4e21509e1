/**
 * One sync of a source: fetch its feed or sitemap (conditionally), keep the entries not seen
 * before, fetch each page, read the article, and write the new ones through `archive.put` with
 * source `feed:<id>` (so a folder ingest leaves them alone). A failure is recorded on that source
 * and retried with back-off; it never throws out of `syncDue`, so one bad source stops nothing.
 */
import type { Archive } from '../archive.js';
import { makeArticle, type Article } from '../corpus/article.js';
import type { Logger } from '../log.js';
import { ACCEPT, FetchError, type Fetcher, type Validators } from './fetch.js';
import type { FeedEntry } from './feeds.js';
import type { Parser } from './parse.js';
import { wanted } from './pick.js';
import { intervalMs, type Registry, type SourceDef } from './registry.js';
import { redactText, redactUrl } from './redact.js';
import type { SourceState } from './state.js';

export interface SyncReport {
  id: string;
  added: number;
  /** Entries whose article the archive already had (under this url or its canonical one). */
  known: number;
  skipped: { url: string; reason: string }[];
  /** Every document answered 304 Not Modified. */
  notModified: boolean;
  error?: string;
  ms: number;
}

const MAX_CHILD_SITEMAPS = 20;
const BATCH = 25;
const DAY_MS = 86_400_000;
const MAX_SEEN = 20_000;

/** The origin (`Article.source`) of the articles a source adds. */
export const feedOrigin = (id: string) => `feed:${id}`;

export interface SyncDeps {
  archive: Pick<Archive, 'put' | 'fingerprints'>;
  fetcher: Fetcher;
  parser: Parser;
  registry: Registry;
  maxEntries: number;
  logger?: Logger;
}

/** One sync of one source under way: its definition, the state it will save, and its report. */
interface SyncRun {
  id: string;
  def: SourceDef;
  state: SourceState;
  /**
   * Entry key → the id of its article ('' for an entry given up on). A Map, not the record: an
   * entry key is the feed's text, and `__proto__` or `toString` in a plain object is already "there".
   */
  seen: Map<string, string>;
  /** Validators of the documents that changed in this sync, kept only when nothing is left to retry. */
  fresh: Record<string, Validators>;
  report: SyncReport;
  started: Date;
}

/**
 * The entries this sync fetches, at most `maxEntries`: each key once, those not in `seen` (a page
 * source's page is fetched every time, conditionally), those the filters want. A feed's are
 * chosen on the parse worker (pick.ts), so its 100,000 items never reach the event loop.
 * Validators of documents that changed go into `fresh`.
 */
async function entriesOf(deps: SyncDeps, { def, state, seen, fresh }: SyncRun) {
  if (def.kind === 'page') {
    const page = { url: def.url, key: def.url };
    return { entries: wanted(def.filters, page) ? [page] : [], notModified: false };
  }
  const queue = [def.url];
  const entries: FeedEntry[] = [];
  const seenKeys = [...seen.keys()];
  let changed = 0;
  for (let i = 0; i < queue.length && i <= MAX_CHILD_SITEMAPS; i++) {
    const got = await deps.fetcher.get(queue[i], ACCEPT[def.kind], state.validators[queue[i]]);
    if (got.status === 304) continue;
    changed++;
    fresh[queue[i]] = got.validators;
    const doc = await deps.parser.document(def.kind, got.body, got.url, {
      seen: seenKeys,
      taken: entries.map((e) => e.key),
      limit: deps.maxEntries - entries.length,
      sitemapLimit: MAX_CHILD_SITEMAPS + 1 - queue.length,
      filters: def.filters,
    });
    entries.push(...doc.entries);
    queue.push(...doc.sitemaps);
  }
  return { entries, notModified: changed === 0 };
}

/**
 * Writes the articles read through `archive.put`, BATCH at a time, counting added and known
 * ones; every written entry's key goes into `seen`. Another source's article (a folder file, the
 * API, another feed) is never overwritten.
 */
function createWriter(archive: SyncDeps['archive'], { id, seen, report }: SyncRun) {
  let batch: { key: string; article: Article }[] = [];
  async function flush() {
    const have = await archive.fingerprints();
    const mine = batch.filter((b) => (have.get(b.article.id)?.source ?? feedOrigin(id)) === feedOrigin(id));
    const results = mine.length ? await archive.put(mine.map((b) => b.article)) : [];
    const added = results.filter((r) => r.status === 'added').length;
    report.added += added;
    report.known += batch.length - added;
    for (const b of batch) seen.set(b.key, b.article.id);
    batch = [];
  }
  return {
    async add(key: string, article: Article) {
      batch.push({ key, article });
      if (batch.length >= BATCH) await flush();
    },
    flush,
  };
}

/**
 * Fetches and reads each entry's page and writes its article. A failed entry is skipped and
 * reported; a permanent failure is marked seen, so it is not tried again. Stops when the source
 * is deleted meanwhile. Returns how many failed for now (worth trying again).
 */
async function readPages(deps: SyncDeps, run: SyncRun, entries: FeedEntry[]) {
  const { id, def, state, fresh, report } = run;
  const writer = createWriter(deps.archive, run);
  let transient = 0;
  for (const e of entries) {
    if (!deps.registry.get(id)) break; // deleted while syncing
    try {
      const validators = def.kind === 'page' ? state.validators[e.url] : undefined;
      const page = await deps.fetcher.get(e.url, ACCEPT.page, validators);
      if (page.status === 304) continue;
      if (def.kind === 'page') fresh[e.url] = page.validators;
      await writer.add(e.key, makeArticle(await deps.parser.page(page.body, page.url, e), feedOrigin(id)));
    } catch (err) {
      const bySettings = err instanceof FetchError && err.bySettings;
      const permanent = !(err instanceof FetchError) || err.permanent;
      if (permanent && !bySettings) run.seen.set(e.key, '');
      else transient++;
      report.skipped.push({ url: redactUrl(e.url), reason: redactText((err as Error).message.replace(/^(sources|article): /, '')) });
    }
  }
  await writer.flush();
  return transient;
}

/** A sync that ran to its end: due again after its interval, the skipped entries named in `lastError`. */
function recordSuccess({ def, state, fresh, report, started }: SyncRun, transient: number) {
  // With entries left to retry, the feed must be read again next time, not answered by a 304.
  if (!transient) Object.assign(state.validators, fresh);
  state.lastSuccess = new Date().toISOString();
  state.failures = 0;
  state.lastError = report.skipped.length ? `${report.skipped.length} skipped: ${report.skipped[0].reason}` : undefined;
  state.nextDue = new Date(started.getTime() + intervalMs(def.interval)).toISOString();
}

/** A sync that failed: recorded, logged, and due again after a back-off (at once when our own settings refused it). */
function recordFailure({ def, state, report, started }: SyncRun, err: unknown, logger?: Logger) {
  report.error = redactText((err as Error).message.replace(/^sources: /, ''));
  state.lastError = report.error;
  if (err instanceof FetchError && err.bySettings) {
    // Refused by our own settings, not failed by the source: due again at once (the next run may have them fixed).
    state.nextDue = undefined;
  } else {
    state.failures += 1;
    const backoff = Math.min(intervalMs(def.interval) * 2 ** (state.failures - 1), DAY_MS);
    state.nextDue = new Date(started.getTime() + backoff).toISOString();
  }
  logger?.warn(`sources: ${def.name ?? redactUrl(def.url)} failed (${state.failures} in a row): ${report.error}`);
}

/** The state to save: the seen keys (the oldest dropped past MAX_SEEN; a feed lists its newest) and the counts. */
function finalState({ state, seen, report }: SyncRun): SourceState {
  const keys = [...seen.keys()];
  for (const k of keys.slice(0, Math.max(0, keys.length - MAX_SEEN))) seen.delete(k);
  state.seen = Object.fromEntries(seen); // own properties, `__proto__` too; JSON keeps them
  state.added += report.added;
  state.lastAdded = report.added;
  return state;
}

/** Creates the syncer over a registry; `maxEntries` bounds the pages one sync fetches per source. */
export function createSyncer(deps: SyncDeps) {
  const { registry } = deps;
  const running = new Map<string, Promise<SyncReport>>();

  async function run(id: string): Promise<SyncReport> {
    const t0 = performance.now();
    const entry = registry.get(id)!;
    const state: SourceState = structuredClone(entry.record.state);
    const started = new Date();
    state.lastAttempt = started.toISOString();
    const report: SyncReport = { id, added: 0, known: 0, skipped: [], notModified: false, ms: 0 };
    const sync: SyncRun = { id, def: entry.def, state, seen: new Map(Object.entries(state.seen)), fresh: {}, report, started };
    try {
      const { entries, notModified } = await entriesOf(deps, sync);
      report.notModified = notModified;
      recordSuccess(sync, await readPages(deps, sync, entries));
    } catch (err) {
      recordFailure(sync, err, deps.logger);
    }
    await registry.saveState(id, finalState(sync));
    report.ms = performance.now() - t0;
    return report;
  }

  /** Syncs one source now (due or not); a sync already running is joined, not repeated. */
  function sync(id: string): Promise<SyncReport> {
    const have = running.get(id);
    if (have) return have;
    const p = run(id).finally(() => running.delete(id));
    running.set(id, p);
    return p;
  }

  return {
    sync,
    /** Syncs every source whose time has come; never rejects. */
    async syncDue(now = Date.now()): Promise<SyncReport[]> {
      await registry.refresh().catch(() => undefined); // the list last read is still a list to sync
      const due = registry.list().filter((s) => !s.record.state.nextDue || Date.parse(s.record.state.nextDue) <= now);
      const settled = await Promise.allSettled(due.map((s) => sync(s.def.id)));
      return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    },
    isRunning: (id: string) => running.has(id),
  };
}

export type Syncer = ReturnType<typeof createSyncer>;
