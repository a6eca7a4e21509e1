/**
 * The server the HTTP benches drive (bench/serve.ts), in its own process so its resident memory
 * and event loop can be measured: boots the archive on SEEDS_DIR (settings from the
 * environment), opens its sources as `npm start` does, serves createApp on a free loopback port,
 * reports the port over IPC and answers `rss` (resident memory in bytes) and `loop` (the event
 * loop's delay since the last `loop`: max and p99 in ms, from perf_hooks) requests.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { bootArchive } from '../src/boot.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/server/app.js';
import { openSources } from '../src/sources/service.js';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const archive = await bootArchive(config, logger);
const sources = await openSources(config, archive, logger);
const app = createApp({ archive, config, logger, sources });
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send!({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'rss') {
    globalThis.gc?.();
    process.send!({ type: 'rss', rss: process.memoryUsage().rss });
  } else if (msg.type === 'loop') {
    process.send!({ type: 'loop', maxMs: loop.max / 1e6, p99Ms: loop.percentile(99) / 1e6 });
    loop.reset();
  } else if (msg.type === 'stop') {
    server.closeAllConnections();
    server.close(
      () =>
        void sources
          .close()
          .then(() => archive.close())
          .then(() => process.exit(0)),
    );
  }
});
