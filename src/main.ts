/**
 * The command line: `start` (default), `ingest [dir]`, `ask "question"`, `mcp` (stdio), `eval [file]`.
 * Reads the config once, wires the parts, and for `start` listens.
 */
import { AppError } from './errors.js';
import { createServer, type RequestListener, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Archive } from './archive.js';
import { loadConfig, loadDotEnv, type Config } from './config.js';
import { bootArchive } from './boot.js';
import { cliLogger, createLogger, type Logger } from './log.js';
import { createApp } from './server/app.js';
import { bootingHandler } from './server/booting.js';

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
    await closed;
    clearInterval(idle);
    clearTimeout(deadline);
    await archive?.close();
    say.info('Archivist: stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  archive = await bootArchive(config, cliLogger(logger, 'boot'), { onStage: (s) => (stage = s) });
  if (draining) return;
  handler = createApp({ archive, config, logger, isDraining: () => draining });
  const c = await archive.counts();
  say.info(`Archivist: ${c.articles} articles, ${c.chunks} chunks; serving ${shown}`);
}

/** Prints the answer and its quotes on stdout (the command's output); progress goes to the log. */
async function ask(config: Config, logger: Logger, question: string) {
  if (!question.trim()) throw new AppError('bad_request', 'ask: give a question, e.g. npm run ask -- "Who visited Beijing?"');
  const archive = await bootArchive(config, cliLogger(logger, 'boot'));
  const r = await archive.ask({ question });
  console.log(r.answer);
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
      return ask(config, logger, rest.join(' '));
    case 'mcp': {
      const { serveStdio } = await import('./mcp/stdio.js');
      return serveStdio(config, cliLogger(logger, 'mcp'));
    }
    case 'eval': {
      const { runEvalCli } = await import('./eval/cli.js');
      await runEvalCli(config, rest, cliLogger(logger, 'eval'));
      return;
    }
    default:
      throw new AppError('bad_request', `main: unknown command "${command}"; must be one of start, ingest, ask, mcp, eval`);
  }
}

// Until the config is read (a bad setting is reported through this one), info to stderr.
let logger: Logger = createLogger('info');

main(process.argv.slice(2)).catch((e) => {
  // The message only: errors say what to do, and a stack frame helps no one running a command.
  cliLogger(logger, 'main').error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
