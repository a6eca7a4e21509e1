/**
 * Opens the parts in order: model, store, then brings the index in line with the corpus folder.
 * Shared by `start`, `ingest` and `ask` so they all see the same index.
 */
import { createGenerator } from './answering/generate.js';
import { createGenerativeAnswerer, type GenerativeAnswerer } from './answering/generative.js';
import { createArchive, type Archive } from './archive.js';
import type { Config } from './config.js';
import { loadCorpus } from './corpus/load.js';
import { createEmbedder, type Embedder } from './embed.js';
import { AppError } from './errors.js';
import { indexSettings, ingest, rebuildReason, type IngestReport } from './ingest/ingest.js';
import { fillSentences } from './ingest/sentences.js';
import { LocalStore } from './store/local.js';
import type { Logger } from './log.js';
import type { Store } from './store/types.js';

/**
 * Opens the configured store; a damaged snapshot or log record is reported and rebuilt from the log.
 * STORE=postgres connects to DATABASE_URL and applies pending migrations (loaded only then).
 */
export async function openStore(config: Config, log: Logger): Promise<Store> {
  if (config.store === 'postgres') {
    if (!config.databaseUrl) throw new AppError('store_unavailable', 'store: STORE=postgres needs DATABASE_URL (postgres://user:pass@host:5432/db)');
    const { PostgresStore } = await import('./store/postgres.js');
    return PostgresStore.open(config.databaseUrl);
  }
  // Never emptied or deleted here: damage is set aside and reported by the store itself, and a
  // folder it cannot read is refused with the reason (the folder stays as it was).
  return LocalStore.open(config.indexDir, { logger: log.child({ component: 'store' }), snapshotDelayMs: config.snapshotDelayMs });
}

/**
 * `npm run check [-- --repair]`: the full check of the local index (store/check.ts). Returns the
 * lines to show and whether nothing is wrong (after repairs). The index must not be open
 * elsewhere for a repair.
 */
export async function checkIndex(config: Config, opts: { repair?: boolean } = {}): Promise<{ ok: boolean; lines: string[] }> {
  if (config.store === 'postgres')
    return { ok: true, lines: ['check: STORE=postgres: PostgreSQL checks its own pages and transactions; nothing to check here'] };
  const { checkStore } = await import('./store/check.js');
  const r = await checkStore(config.indexDir, opts);
  const lines = r.findings.map((f) => `check: ${f.message}${f.repaired ? `\n  repaired: ${f.repaired}` : opts.repair ? '\n  not repaired' : ''}`);
  const what = `${r.articles} articles, the log at change ${r.lastSeq}`;
  if (!r.findings.length) lines.push(`check: ok: integrity_check, every record's checksum, the snapshots and the committed sequence (${what})`);
  else
    lines.push(
      r.ok
        ? `check: repaired; ${what}`
        : `check: problems found${opts.repair ? ' that could not all be repaired' : '; `npm run check -- --repair` repairs what can be rebuilt'}`,
    );
  return { ok: r.ok, lines };
}

export function archiveOptions(config: Config) {
  return {
    chunking: { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap },
    topK: config.topK,
    candidates: config.candidates,
    vectorWeight: config.vectorWeight,
    keywordWeight: config.keywordWeight,
    rrfK: config.rrfK,
    minEvidenceScore: config.minEvidenceScore,
    maxQuotes: config.maxQuotes,
    // Evidence reads every passage the user is shown.
    passages: config.topK,
  };
}

/**
 * The user's model when GENERATOR=openai (config validation has made sure it is named), else
 * undefined. Its failures are warnings on a child of `log`.
 */
export function modelAnswerer(config: Config, log: Logger): GenerativeAnswerer | undefined {
  if (config.generator !== 'openai') return undefined;
  const generator = createGenerator({
    baseUrl: config.llmBaseUrl!,
    model: config.llmModel!,
    apiKey: config.llmApiKey,
    timeoutMs: config.llmTimeoutMs,
    maxTokens: config.llmMaxTokens,
    temperature: config.llmTemperature,
  });
  return createGenerativeAnswerer({
    generator,
    budget: { contextTokens: config.llmContextTokens, maxTokens: config.llmMaxTokens },
    logger: log.child({ component: 'generate' }),
  });
}

/** A progress line that rewrites itself on a terminal and is logged every 10% elsewhere. */
export function progress(log: Logger) {
  let lastPct = -1;
  return (_stage: string, done: number, total: number) => {
    const pct = Math.floor((done / total) * 100);
    if (process.stderr.isTTY) {
      process.stderr.write(`\rembedding ${done}/${total} texts, chunks and sentences (${pct}%)${done === total ? '\n' : ''}`);
    } else if (pct >= lastPct + 10 || done === total) {
      lastPct = pct;
      log.info(`embedding ${done}/${total} texts, chunks and sentences (${pct}%)`);
    }
  };
}

export function describeReport(r: IngestReport): string {
  const parts = [
    r.rebuilt ? `full build (${r.rebuilt})` : 'incremental',
    `${r.added.length} added`,
    `${r.changed.length} changed`,
    `${r.removed.length} removed`,
    `${r.unchanged} unchanged`,
    `${r.chunksEmbedded} chunks embedded`,
    `${r.boilerplateLines} boilerplate lines marked`,
    ...(r.copies ? [`${r.copies} syndicated copies clustered`] : []),
    `${(r.ms / 1000).toFixed(1)} s`,
  ];
  return r.chunksEmbedded === 0 && !r.removed.length && !r.rebuilt
    ? `index is up to date: nothing to embed (${r.unchanged} articles unchanged)`
    : `ingest: ${parts.join(', ')}`;
}

/** Loads a folder and ingests it, reporting skipped files and duplicates. */
export async function syncFolder(deps: { store: Store; embedder: Embedder; config: Config; dir: string; force?: boolean; log: Logger }): Promise<IngestReport> {
  const { store, embedder, config, dir, log } = deps;
  const corpus = await loadCorpus(dir);
  for (const s of corpus.skipped) log.warn(`skipped ${s.file}: ${s.reason}`);
  for (const d of corpus.duplicates) log.info(`duplicate: ${d.source} is the same article as ${d.sameAs}; stored once`);
  const report = await ingest({
    store,
    embedder,
    chunking: { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap },
    articles: corpus.articles,
    force: deps.force,
    onProgress: progress(log),
  });
  log.info(describeReport(report));
  return report;
}

/**
 * A shared database is rebuilt only on request: one replica started with another model or other
 * chunk settings must not empty the index that every other replica is serving.
 * @throws AppError('store_unavailable') naming the differences and the way to rebuild.
 */
export async function checkSharedSettings(store: Store, embedder: Embedder, config: Config, force?: boolean): Promise<void> {
  if (store.kind !== 'postgres' || force) return;
  const wanted = indexSettings(embedder, { chunkSize: config.chunkSize, chunkOverlap: config.chunkOverlap });
  const reason = rebuildReason(await store.settings(), wanted);
  if (!reason) return;
  throw new AppError(
    'store_unavailable',
    `store: the PostgreSQL database was built with other settings than this server's (${reason.replace(/^settings changed: /, '')}); ` +
      'start it with the settings the database was built with, or rebuild the database for every replica with `npm run ingest -- --rebuild`',
  );
}

/**
 * The archive and the parts it was built from, for whoever opened them (tests and benchmarks
 * look inside); routes and the CLI see only `Archive`.
 */
export type OpenedArchive = Archive & { store: Store; embedder: Embedder };

/**
 * Everything `start` needs: model loaded, index opened and up to date with the seeds folder.
 * `onStage` hears each step as it begins (the booting server reports it on /api/health).
 */
export async function bootArchive(
  config: Config,
  log: Logger,
  opts: { sync?: boolean; force?: boolean; dir?: string; onStage?: (stage: string) => void } = {},
): Promise<OpenedArchive> {
  opts.onStage?.('loading the model');
  const embedder = await createEmbedder(config);
  opts.onStage?.('opening the index');
  const store = await openStore(config, log);
  try {
    await checkSharedSettings(store, embedder, config, opts.force);
  } catch (e) {
    await store.close();
    throw e;
  }
  if (opts.sync !== false) {
    opts.onStage?.('bringing the index in line with the articles folder');
    await syncFolder({ store, embedder, config, dir: opts.dir ?? config.seedsDir, force: opts.force, log });
  }
  const archive = createArchive({ store, embedder, options: archiveOptions(config), generative: modelAnswerer(config, log) });
  // An index written before sentence vectors existed is served at once and filled in the
  // background; until an article has its set, answering embeds its few sentences itself.
  const filler = new AbortController();
  const filling = fillSentences({ store, embedder, log, signal: filler.signal }).catch((e: unknown) =>
    log.warn(`sentence vectors: the background fill stopped (${(e as Error).message}); answers embed the sentences they lack, the next start tries again`),
  );
  const close = async () => {
    filler.abort();
    await filling;
    await archive.close();
  };
  return { ...archive, close, store, embedder };
}
