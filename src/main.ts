/**
 * The command line: `start` (default), `ingest [dir]`, `ask "question"`, `mcp` (stdio), `eval [file]`.
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
    await closed;
    clearInterval(idle);
    clearTimeout(deadline);
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
  handler = createApp({ archive, config, logger, isDraining: () => draining });
  const c = await archive.store.counts();
  say(`Archivist: ${c.articles} articles, ${c.chunks} chunks; serving ${shown}`);
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
      throw new AppError('bad_request', `main: unknown command "${command}"; must be one of start, ingest, ask, mcp, eval`);
  }
}

main(process.argv.slice(2)).catch((e) => {
  say(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
