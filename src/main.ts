/**
 * The command line: `start` (default), `ingest [dir]`, `ask "question"`, `sync`, `mcp` (stdio), `eval [file]`.
 * Reads the config once, wires the parts, and for `start` listens.
 */
import { AppError } from './errors.js';
import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { Archive } from './archive.js';
import { loadConfig, loadDotEnv, type Config } from './config.js';
import { bootArchive } from './boot.js';
import { createApp } from './server/app.js';
import { bootingHandler } from './server/booting.js';
import { startSchedule } from './sources/schedule.js';
import { openSources, type Sources } from './sources/service.js';

const say = (line: string) => console.error(line);

/**
 * Listens first (health says "starting", readiness 503), boots, then serves the app. On
 * SIGTERM/SIGINT: readiness turns 503, no new connections, requests in flight finish (at most
 * SHUTDOWN_TIMEOUT_MS), the store is closed, exit 0. A second signal exits at once.
 */
async function start(config: Config) {
  const logger = pino({ level: config.logLevel });
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
  say(`Archivist: listening on ${shown}; ${stage}`);

  let archive: Archive | undefined;
  let sources: Sources | undefined;
  let stopSchedule = () => {};
  const stop = async (signal: string) => {
    if (draining) {
      say(`Archivist: ${signal} again: exiting now`);
      process.exit(1);
    }
    draining = true;
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    say(`Archivist: ${signal}: finishing requests in flight (at most ${config.shutdownTimeoutMs} ms)`);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Connections that go idle after their last response are closed as they do.
    const idle = setInterval(() => server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => {
      say('Archivist: time is up; closing the remaining connections');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    stopSchedule();
    await closed;
    clearInterval(idle);
    clearTimeout(deadline);
    await sources?.close();
    await archive?.store.close();
    say('Archivist: stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  archive = await bootArchive(config, (line) => {
    stage = line;
    say(line);
  });
  if (draining) return;
  sources = await openSources(config, archive, say);
  if (config.sync) stopSchedule = startSchedule(sources.syncer, { say });
  handler = createApp({ archive, config, logger, sources, isDraining: () => draining });
  const c = await archive.store.counts();
  const n = sources.registry.list().length;
  say(`Archivist: ${c.articles} articles, ${c.chunks} chunks, ${n} sources${n ? (config.sync ? ' (synced on schedule)' : ' (SYNC=false: synced on request only)') : ''}; serving ${shown}`);
}

/** `npm run sync`: every due source once, a line per source, then exit (non-zero when one failed). */
async function syncOnce(config: Config) {
  const archive = await bootArchive(config, say, { sync: false });
  const sources = await openSources(config, archive, say);
  try {
    const due = sources.registry.list();
    if (!due.length) say('sync: no sources; list them in SOURCES_FILE or add one with POST /api/sources');
    const reports = await sources.syncer.syncDue();
    for (const r of reports) {
      const name = sources.registry.get(r.id)?.def.name ?? sources.registry.get(r.id)?.def.url ?? r.id;
      const what = r.error ? `failed: ${r.error}` : r.notModified ? 'not modified' : `${r.added} added, ${r.known} already archived, ${r.skipped.length} skipped`;
      say(`sync: ${name}: ${what} (${(r.ms / 1000).toFixed(1)} s)`);
      for (const s of r.skipped.slice(0, 5)) say(`  skipped ${s.url}: ${s.reason}`);
    }
    if (reports.length < due.length) say(`sync: ${due.length - reports.length} sources not due yet`);
    if (reports.some((r) => r.error)) process.exitCode = 1;
  } finally {
    await sources.close();
    await archive.store.close();
  }
}

async function ask(config: Config, args: string[]) {
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
  const archive = await bootArchive(config, say);
  const r = await archive.ask({ question, asOf });
  console.log(r.answer);
  const { since, until } = r.time;
  if (since || until) console.log(`\n(searched articles ${since ? `from ${since}` : ''}${since && until ? ' ' : ''}${until ? `to ${until}` : ''})`);
  if (r.warning) console.log(`\n(${r.warning})`);
  if (r.query !== question) console.log(`\n(searched for: ${r.query})`);
  for (const q of r.quotes) {
    console.log(`\n[${q.n}] ${q.title}${q.date ? ` (${q.date})` : ''}${q.url ? `\n    ${q.url}` : ''}\n    “${q.text}”`);
  }
  await archive.store.close();
}

async function main(argv: string[]) {
  loadDotEnv();
  const config = loadConfig(process.env);
  const [command = 'start', ...rest] = argv;
  switch (command) {
    case 'start':
      return start(config);
    case 'ingest': {
      const force = rest.includes('--rebuild');
      const dir = rest.find((a) => !a.startsWith('--')) ?? config.seedsDir;
      const archive = await bootArchive(config, say, { dir, force });
      return archive.store.close();
    }
    case 'ask':
      return ask(config, rest);
    case 'sync':
      return syncOnce(config);
    case 'mcp': {
      const { serveStdio } = await import('./mcp/stdio.js');
      return serveStdio(config);
    }
    case 'eval': {
      const { runEvalCli } = await import('./eval/cli.js');
      await runEvalCli(config, rest);
      return;
    }
    default:
      throw new AppError('bad_request', `main: unknown command "${command}"; must be one of start, ingest, ask, sync, mcp, eval`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  say(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
