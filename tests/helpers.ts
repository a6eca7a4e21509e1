/** Shared test set-up: real model, real index in a temp folder, real HTTP server on a free port. */
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bootArchive } from '../src/boot.js';
import { loadConfig, type Config } from '../src/config.js';
import { createLogger, silentLogger, type Logger } from '../src/log.js';
import { createApp } from '../src/server/app.js';

export const REPO = fileURLToPath(new URL('..', import.meta.url));
export const SEEDS = join(REPO, 'seeds');
/** A logger that writes nothing. */
export const quiet = silentLogger();
/** A logger whose messages are pushed onto `lines`, for tests that read what was reported. */
export const linesLogger = (lines: string[]): Logger => createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line).msg) });

export async function tempDir(prefix = 'archivist-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A config for tests: the real defaults, an index in its own temp folder. */
export function testConfig(indexDir: string, env: Record<string, string> = {}): Config {
  // Snapshots only on close: a background snapshot must not race a test removing its temp folder.
  return loadConfig({ SEEDS_DIR: SEEDS, INDEX_DIR: indexDir, LOG_LEVEL: 'silent', SNAPSHOT_DELAY_MS: '0', ...env });
}

/** Listens on a free loopback port; `close` stops it. */
export async function listen(app: ReturnType<typeof createApp>) {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The seed archive served for real: model, index built from seeds/, HTTP on a free port. */
export async function seedServer(env: Record<string, string> = {}) {
  const dir = await tempDir();
  const config = testConfig(dir, env);
  const archive = await bootArchive(config, quiet);
  const http = await listen(createApp({ archive, config, logger: quiet }));
  return {
    ...http,
    archive,
    config,
    dir,
    close: async () => {
      await http.close();
      await archive.store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, headers: res.headers };
}

/** A real server process (`main.ts start`) on INDEX_DIR and a free port; resolves once serving. */
export async function serverProcess(
  index: string,
  env: Record<string, string> = {},
): Promise<{ url: string; child: import('node:child_process').ChildProcess }> {
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    cwd: REPO,
    env: { ...process.env, INDEX_DIR: index, SEEDS_DIR: SEEDS, PORT: '0', LOG_LEVEL: 'silent', SNAPSHOT_DELAY_MS: '200', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let url = '';
    let out = '';
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
      url ||= /listening on (http:\/\/[^;\s]+)/.exec(out)?.[1] ?? '';
      if (url && /; serving /.test(out)) resolve({ url, child });
    });
    child.on('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
  });
}
