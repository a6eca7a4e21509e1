/**
 * The command line: `start` (default), `ingest [dir]`, `ask "question"`, `sync`, `mcp` (stdio), `eval [file]`,
 * `check [--repair]`.
 * Reads the config once, wires the parts, and for `start` listens.
 */
import { AppError } from './errors.js';
import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Archive } from './archive.js';
import { loadConfig, loadDotEnv, type Config } from './config.js';
import { bootArchive, checkIndex } from './boot.js';
import { cliLogger, createLogger, type Logger } from './log.js';
import { createApp } from './server/app.js';
import { bootingHandler } from './server/booting.js';
import { startSchedule } from './sources/schedule.js';
import { openSources, type Sources } from './sources/service.js';
import { redactUrl } from './sources/redact.js';

/**
 * Listens first (health says "starting", readiness 503), boots, then serves the app. On
 * SIGTERM/SIGINT: readiness turns 503, no new connections, requests in flight finish (at most
 * SHUTDOWN_TIMEOUT_MS), the store is closed, exit 0. A second signal exits at once.
 */
async function start(config: Config, logger: Logger) {
  const say = cliLogger(logger, 'server');
  let stage = 'loading the model and index';
  let handler: RequestListener = bootingHandler(() => stage);
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    // Keep-alive clients are told to go away once shutdown has begun.
    if (draining) res.setHeader('Connection', 'close');
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shown = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}`;
  say.info(`Archivist: listening on ${shown}; ${stage}`);

  let archive: Archive | undefined;
  let sources: Sources | undefined;
  let stopSchedule = () => {};
  const stop = async (signal: string) => {
    if (draining) {
      say.info(`Archivist: ${signal} again: exiting now`);
      process.exit(1);
    }
    draining = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Said once the port is closed, so whoever reads it finds new connections refused.
    say.info(`Archivist: ${signal}: finishing requests in flight (at most ${config.shutdownTimeoutMs} ms)`);
    // Connections that go idle after their last response are closed as they do.
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      say.info('Archivist: time is up; closing the remaining connections');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    stopSchedule();
    await closed;
    clearInterval(idle);
    clearTimeout(deadline);
    await sources?.close();
    await archive?.close();
    say.info('Archivist: stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  archive = await bootArchive(config, cliLogger(logger, 'boot'), { onStage: (s) => (stage = s) });
  if (draining) return;
  sources = await openSources(config, archive, say);
  if (config.sync) stopSchedule = startSchedule(sources.syncer, { logger: say });
  handler = createApp({ archive, config, logger, sources, isDraining: () => draining });
  const c = await archive.counts();
  const n = sources.registry.list().length;
  say.info(
    `Archivist: ${c.articles} articles, ${c.chunks} chunks, ${n} sources${n ? (config.sync ? ' (synced on schedule)' : ' (SYNC=false: synced on request only)') : ''}; serving ${shown}`,
  );
}

/** `npm run sync`: every due source once, a line per source, then exit (non-zero when one failed). */
async function syncOnce(config: Config, logger: Logger) {
  const log = cliLogger(logger, 'sync');
  const archive = await bootArchive(config, log, { sync: false });
  const sources = await openSources(config, archive, log);
  try {
    const due = sources.registry.list();
    if (!due.length) log.info('sync: no sources; list them in SOURCES_FILE or add one with POST /api/sources');
    const reports = await sources.syncer.syncDue();
    for (const r of reports) {
      const def = sources.registry.get(r.id)?.def;
      const name = def?.name ?? (def ? redactUrl(def.url) : r.id);
      const what = r.error
        ? `failed: ${r.error}`
        : r.notModified
          ? 'not modified'
          : `${r.added} added, ${r.known} already archived, ${r.skipped.length} skipped`;
      log.info(`sync: ${name}: ${what} (${(r.ms / 1000).toFixed(1)} s)`);
      for (const s of r.skipped.slice(0, 5)) log.info(`  skipped ${s.url}: ${s.reason}`);
    }
    if (reports.length < due.length) log.info(`sync: ${due.length - reports.length} sources not due yet`);
    if (reports.some((r) => r.error)) process.exitCode = 1;
  } finally {
    await sources.close();
    await archive.close();
  }
}

/** Prints the answer and its quotes on stdout (the command's output); progress goes to the log. */
async function ask(config: Config, logger: Logger, args: string[]) {
  // `--as-of 2024-10-16` (or `--as-of=2024-10-16`) sets the reference date for "last week", "latest".
  let asOf: string | undefined;
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--as-of') asOf = args[++i] ?? '';
    else if (args[i].startsWith('--as-of=')) asOf = args[i].slice('--as-of='.length);
    else words.push(args[i]);
  }
  const question = words.join(' ');
  if (asOf !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(asOf)) throw new AppError('bad_request', 'ask: --as-of must be an ISO date such as 2024-10-14');
  if (!question.trim()) throw new AppError('bad_request', 'ask: give a question, e.g. npm run ask -- "Who visited Beijing?"');
  const archive = await bootArchive(config, cliLogger(logger, 'boot'));
  const r = await archive.ask({ question, asOf });
  console.log(r.answer);
  const { since, until } = r.time;
  if (since || until) console.log(`\n(searched articles ${since ? `from ${since}` : ''}${since && until ? ' ' : ''}${until ? `to ${until}` : ''})`);
  if (r.warning) console.log(`\n(${r.warning})`);
  if (r.query !== question) console.log(`\n(searched for: ${r.query})`);
  for (const q of r.quotes) {
    console.log(`\n[${q.n}] ${q.title}${q.date ? ` (${q.date})` : ''}${q.url ? `\n    ${q.url}` : ''}\n    “${q.text}”`);
  }
  await archive.close();
}

async function main(argv: string[]) {
  loadDotEnv();
  const config = loadConfig(process.env);
  logger = createLogger(config.logLevel);
  const [command = 'start', ...rest] = argv;
  switch (command) {
    case 'start':
      return start(config, logger);
    case 'ingest': {
      const force = rest.includes('--rebuild');
      const dir = rest.find((a) => !a.startsWith('--')) ?? config.seedsDir;
      const archive = await bootArchive(config, cliLogger(logger, 'ingest'), { dir, force });
      return archive.close();
    }
    case 'ask':
      return ask(config, logger, rest);
    case 'sync':
      return syncOnce(config, logger);
    case 'mcp': {
      const { serveStdio } = await import('./mcp/stdio.js');
      return serveStdio(config, cliLogger(logger, 'mcp'));
    }
    case 'check': {
      const { ok, lines } = await checkIndex(config, { repair: rest.includes('--repair') });
      for (const line of lines) console.log(line);
      if (!ok) process.exitCode = 1;
      return;
    }
    case 'eval': {
      const { runEvalCli } = await import('./eval/cli.js');
      await runEvalCli(config, rest, cliLogger(logger, 'eval'));
      return;
    }
    default:
      throw new AppError('bad_request', `main: unknown command "${command}"; must be one of start, ingest, ask, sync, mcp, eval, check`);
  }
}

// Until the config is read (a bad setting is reported through this one), info to stderr.
let logger: Logger = createLogger('info');

main(process.argv.slice(2)).catch((e) => {
  // The message only: errors say what to do, and a stack frame helps no one running a command.
  cliLogger(logger, 'main').error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
