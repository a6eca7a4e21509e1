/**
 * Graceful shutdown of the real `start` command in a child process: on SIGTERM it stops
 * accepting connections, finishes the request in flight, closes the store and exits 0; a request
 * that never completes is cut off after SHUTDOWN_TIMEOUT_MS.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, SEEDS, tempDir } from './helpers.js';

const QUESTION = 'Who is the Russian defense minister who visited Beijing?';

interface Started {
  child: ChildProcess;
  url: string;
  port: number;
  stderr: () => string;
  exited: Promise<number | null>;
}
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function start(env: Record<string, string> = {}): Promise<Started> {
  const dir = await tempDir();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'start'], {
    cwd: REPO,
    env: { ...process.env, SEEDS_DIR: SEEDS, INDEX_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  cleanup.push(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    await rm(dir, { recursive: true, force: true });
  });
  const url = await waitFor(
    () => /serving (http:\/\/[^\s"]+)/.exec(err)?.[1],
    () => err,
    exited,
  );
  return { child, url, port: Number(new URL(url).port), stderr: () => err, exited };
}

async function waitFor<T>(probe: () => T | undefined, log: () => string, exited?: Promise<unknown>, ms = 60_000): Promise<T> {
  let dead = false;
  void exited?.then(() => (dead = true));
  for (const end = Date.now() + ms; Date.now() < end;) {
    const v = probe();
    if (v !== undefined) return v;
    if (dead) throw new Error(`the server exited:\n${log()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting:\n${log()}`);
}

/** Sends the headers and the first half of a chat body; `finish()` sends the rest. */
function halfSent(url: string, body: string) {
  const { port } = new URL(url);
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/chat',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  });
  const response = new Promise<{ status: number; headers: Record<string, unknown>; text: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  const half = Math.floor(body.length / 2);
  req.write(body.slice(0, half));
  const connected = new Promise<void>((r) => req.once('socket', (s) => (s.connecting ? s.once('connect', () => r()) : r())));
  return { response, connected, finish: () => req.end(body.slice(half)) };
}

const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });

describe('graceful shutdown', () => {
  it('on SIGTERM stops accepting, answers the request in flight, closes and exits 0', async () => {
    const srv = await start();
    expect((await fetch(`${srv.url}/api/ready`)).status).toBe(200);
    const inFlight = halfSent(srv.url, JSON.stringify({ question: QUESTION }));
    await inFlight.connected;
    await new Promise((r) => setTimeout(r, 100));

    srv.child.kill('SIGTERM');
    await waitFor(() => (srv.stderr().includes('SIGTERM: finishing requests in flight') ? true : undefined), srv.stderr);
    expect(await refused(srv.port)).toBe(true);

    inFlight.finish();
    const res = await inFlight.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).answer).toContain('Belousov');
    expect(res.headers.connection).toBe('close');
    expect(await srv.exited).toBe(0);
    expect(srv.stderr()).toContain('Archivist: stopped');
  });

  it('exits 0 after SHUTDOWN_TIMEOUT_MS when a request never completes', async () => {
    const srv = await start({ SHUTDOWN_TIMEOUT_MS: '300' });
    const stuck = halfSent(srv.url, JSON.stringify({ question: QUESTION }));
    await stuck.connected;
    await new Promise((r) => setTimeout(r, 100));
    srv.child.kill('SIGTERM');
    await expect(stuck.response).rejects.toThrow();
    expect(await srv.exited).toBe(0);
    expect(srv.stderr()).toContain('time is up');
  });

  it('reports starting, then ready, on the same port', async () => {
    const srv = await start();
    const health = await (await fetch(`${srv.url}/api/health`)).json();
    expect(health).toMatchObject({ status: 'ok', model: { loaded: true }, index: { loaded: true, articles: 1 }, queue: { active: 0, waiting: 0 } });
    expect(srv.stderr()).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+; loading the model and index/);
    srv.child.kill('SIGINT');
    expect(await srv.exited).toBe(0);
  });
});
