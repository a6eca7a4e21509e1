/**
 * The server bench/load.ts drives, in its own process so its resident memory can be measured:
 * boots the archive on SEEDS_DIR (settings from the environment), serves createApp on a free
 * loopback port, reports the port over IPC and answers `rss` requests with its RSS in bytes.
 */
import { bootArchive } from '../src/boot.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/server/app.js';

const config = loadConfig(process.env);
const logger = createLogger(config.logLevel);
const archive = await bootArchive(config, logger);
const app = createApp({ archive, config, logger });
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send!({ type: 'listening', port: typeof address === 'object' && address ? address.port : 0 });
});
process.on('message', (msg: { type: string }) => {
  if (msg.type === 'rss') {
    globalThis.gc?.();
    process.send!({ type: 'rss', rss: process.memoryUsage().rss });
  } else if (msg.type === 'stop') {
    server.closeAllConnections();
    server.close(() => void archive.close().then(() => process.exit(0)));
  }
});
