/**
 * Wires the sources room for `start` and `npm run sync`: the state store that matches STORE,
 * SOURCES_FILE, the polite fetcher and the syncer. The routes and the schedule use what it returns.
 */
import type { Archive } from '../archive.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createFetcher } from './fetch.js';
import { createParser } from './parse.js';
import { createRegistry, readSourcesFile, type SourceDef } from './registry.js';
import { localStateStore, postgresStateStore } from './state.js';
import { createSyncer } from './sync.js';

export type SourcesConfig = Pick<
  Config,
  | 'store'
  | 'databaseUrl'
  | 'indexDir'
  | 'sourcesFile'
  | 'allowPrivateSources'
  | 'privateSourceRanges'
  | 'fetchTimeoutMs'
  | 'fetchMaxBytes'
  | 'fetchMinDelayMs'
  | 'fetchMaxRedirects'
  | 'fetchUserAgent'
  | 'syncMaxEntries'
  | 'parseThreads'
>;

/**
 * Opens the sources of an archive.
 * @example const sources = await openSources(config, archive); await sources.syncer.syncDue(); await sources.close();
 */
export async function openSources(config: SourcesConfig, archive: Pick<Archive, 'put' | 'fingerprints'>, logger?: Logger) {
  const fileSources: SourceDef[] = config.sourcesFile ? await readSourcesFile(config.sourcesFile) : [];
  const states = config.store === 'postgres' && config.databaseUrl ? postgresStateStore(config.databaseUrl) : await localStateStore(config.indexDir);
  const registry = await createRegistry({ states, fileSources });
  const fetcher = createFetcher({
    allowPrivate: config.allowPrivateSources,
    privateRanges: config.privateSourceRanges,
    userAgent: config.fetchUserAgent,
    timeoutMs: config.fetchTimeoutMs,
    maxBytes: config.fetchMaxBytes,
    minDelayMs: config.fetchMinDelayMs,
    maxRedirects: config.fetchMaxRedirects,
  });
  const parser = createParser({ threads: config.parseThreads });
  const syncer = createSyncer({ archive, fetcher, parser, registry, maxEntries: config.syncMaxEntries, logger });
  return {
    registry,
    syncer,
    async close() {
      await fetcher.close();
      await parser.close();
      await states.close();
    },
  };
}

export type Sources = Awaited<ReturnType<typeof openSources>>;
