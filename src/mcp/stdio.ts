/**
 * `npm run mcp`: the archive as an MCP server on stdin/stdout, for desktop agents and editors
 * that start their tools as child processes. It boots like `npm start` (model, index, seeds) but
 * listens on no port.
 *
 * stdout carries the protocol and nothing else: every log line goes to stderr. The server
 * answers `initialize` and lists its tools at once; tool calls wait until the archive is ready.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Archive } from '../archive.js';
import { keepingArchive } from '../answers/keep.js';
import { bootArchive } from '../boot.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import { createMcpServer } from './server.js';

/** Serves until stdin closes, then closes the index and exits 0. `log` writes to stderr. */
export async function serveStdio(config: Config, log: Logger): Promise<void> {
  // A library that prints with console.log would corrupt the protocol stream; send it to stderr.
  console.log = console.info = console.debug = console.error;
  const opened = bootArchive(config, log);
  // The tool's answers are kept like the HTTP transports' (answers/keep.ts).
  const booting = opened.then((a) => keepingArchive(a, config, log));
  opened.catch((e: unknown) => {
    log.error(`Archivist MCP: could not start: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
  const server = createMcpServer({ archive: booting, limits: config, logger: log });
  const transport = new StdioServerTransport();
  let archive: Archive | undefined;
  transport.onclose = () => {
    void (async () => {
      await archive?.close();
      process.exit(0);
    })();
  };
  process.stdin.once('end', () => void server.close());
  await server.connect(transport);
  archive = await booting;
  const c = await archive.counts();
  log.info(`Archivist MCP: ${c.articles} articles, ${c.chunks} chunks; serving on stdio`);
}
