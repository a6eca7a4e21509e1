/**
 * Hardening on the real model, index and HTTP server: headers, CORS, request ids and logs,
 * health and readiness, rate limiting, the bounded queue, the time limit, and static-file probes.
 * One archive is booted; each test serves it through an app built with the settings it needs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, createServer } from 'node:http';
import { readFile, rm, writeFile } from 'node:fs/promises';
import Database from 'better-sqlite3';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Archive } from '../src/archive.js';
import { bootArchive } from '../src/boot.js';
import { createQueue } from '../src/queue.js';
import { createApp, WEB_DIR, type AppDeps } from '../src/server/app.js';
import { bootingHandler } from '../src/server/booting.js';
import { listen, postJson, quiet, REPO, tempDir, testConfig } from './helpers.js';
import { raw, sseEvents } from './rawHttp.js';

const QUESTION = 'Who is the Russian defense minister who visited Beijing?';
const isBelousov = (r: { status: number; json: any }) => r.status === 200 && r.json?.found === true && /Belousov/.test(r.json.answer);

let dir: string;
let archive: Archive;
const servers: { close: () => Promise<void> }[] = [];

beforeAll(async () => {
  dir = await tempDir();
  archive = await bootArchive(testConfig(dir), quiet);
});
afterAll(async () => {
  for (const s of servers) await s.close();
  await archive?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The booted archive behind an app with these settings, on a free port. */
async function serve(env: Record<string, string> = {}, extra: Partial<AppDeps> = {}) {
  const http = await listen(createApp({ archive, config: testConfig(dir, env), logger: quiet, ...extra }));
  servers.push(http);
  return http;
}

/** A queue whose slots the test fills with jobs that end when it says so. */
function heldQueue(opts: { concurrency: number; limit: number }) {
  const queue = createQueue(opts);
  const releases: (() => void)[] = [];
  const hold = () => void queue.run(() => new Promise<void>((r) => releases.push(r)));
  return { queue, hold, release: () => releases.splice(0).forEach((r) => r()) };
}

const health = async (url: string) => (await fetch(`${url}/api/health`)).json();

/**
 * `n` chat requests that reach the server together: the sockets are opened first (by `n`
 * simultaneous health requests), so the burst is not spread out by connection set-up.
 */
async function burst(url: string, n: number, body: (i: number) => unknown) {
  const agent = new Agent({ keepAlive: true, maxSockets: n });
  try {
    await Promise.all(Array.from({ length: n }, () => raw(url, { path: '/api/health', agent })));
    return await Promise.all(
      Array.from({ length: n }, (_, i) =>
        raw(url, { method: 'POST', path: '/api/chat', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body(i)), agent }),
      ),
    );
  } finally {
    agent.destroy();
  }
}

describe('security headers and request ids', () => {
  it('sends the CSP and no X-Powered-By, and a fresh X-Request-Id', async () => {
    const { url } = await serve();
    const res = await fetch(`${url}/api/health`);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    ['a sane incoming id', 'trace-42.a:b_c', true],
    ['an id with spaces and markup', 'x y <script>', false],
    ['an over-long id', 'a'.repeat(129), false],
  ])('keeps %s only when it is sane', async (_name, id, kept) => {
    const { url } = await serve();
    const res = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': id }, body: '{}' });
    expect(res.status).toBe(400);
    const got = res.headers.get('x-request-id');
    if (kept) expect(got).toBe(id);
    else expect(got).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('CORS', () => {
  it('adds no CORS headers when CORS_ORIGINS is empty', async () => {
    const { url } = await serve();
    const res = await fetch(`${url}/api/chat`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    const post = await postJson(`${url}/api/chat`, { question: QUESTION }, { origin: 'https://evil.example' });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('allows only the listed origins, preflight included', async () => {
    const { url } = await serve({ CORS_ORIGINS: 'https://intranet.example, https://other.example' });
    const pre = await fetch(`${url}/api/chat`, {
      method: 'OPTIONS',
      headers: { origin: 'https://intranet.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://intranet.example');
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/content-type/i);

    const ok = await postJson(`${url}/api/chat`, { question: QUESTION }, { origin: 'https://other.example' });
    expect(isBelousov(ok)).toBe(true);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://other.example');
    expect(ok.headers.get('vary')).toMatch(/origin/i);

    const evil = await postJson(`${url}/api/chat`, { question: QUESTION }, { origin: 'https://evil.example' });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const evilPre = await fetch(`${url}/api/chat`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(evilPre.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('request logs', () => {
  async function logged(logQuestions: boolean) {
    const lines: any[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    const { url } = await serve({ LOG_QUESTIONS: String(logQuestions) }, { logger: pino({ level: 'info' }, sink) });
    const question = 'Which zebra-striped minister visited Beijing?';
    const res = await postJson(`${url}/api/chat`, { question });
    await new Promise((r) => setTimeout(r, 50));
    return { res, lines, question };
  }

  it('writes one JSON line per request with its id, method, url, status and time, and no question', async () => {
    const { res, lines, question } = await logged(false);
    const id = res.headers.get('x-request-id');
    const line = lines.find((l) => l.req?.id === id);
    expect(line).toMatchObject({ level: 30, req: { method: 'POST', url: '/api/chat' }, res: { statusCode: 200 } });
    expect(line.responseTime).toEqual(expect.any(Number));
    expect(JSON.stringify(lines)).not.toContain('zebra');
    expect(JSON.stringify(lines)).not.toContain(question);
  });

  it('includes the question only when LOG_QUESTIONS is on', async () => {
    const { res, lines, question } = await logged(true);
    const line = lines.find((l) => l.req?.id === res.headers.get('x-request-id'));
    expect(line.question).toBe(question);
  });
});

describe('/api/health and /api/ready', () => {
  it('reports the queue next to the model and index', async () => {
    const { url } = await serve({ QUEUE_CONCURRENCY: '3', QUEUE_LIMIT: '7' });
    const json = await health(url);
    expect(json).toMatchObject({
      status: 'ok',
      model: { loaded: true },
      index: { loaded: true, articles: 1 },
      store: { status: 'ok', problem: null },
      queue: { active: 0, waiting: 0, concurrency: 3, limit: 7 },
    });
  });

  it('is ready once model and index are loaded, and not ready while draining', async () => {
    let draining = false;
    const { url } = await serve({}, { isDraining: () => draining });
    const ready = await fetch(`${url}/api/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, model: { loaded: true }, index: { loaded: true, articles: 1 } });
    draining = true;
    const notReady = await fetch(`${url}/api/ready`);
    expect(notReady.status).toBe(503);
    expect((await notReady.json()).error.code).toBe('unavailable');
    expect((await health(url)).status).toBe('stopping');
  });

  it('reports a damaged store: the failed write names it, health says damaged, readiness is 503 with the reason', async () => {
    const damaged = await tempDir();
    const first = await bootArchive(testConfig(damaged), quiet);
    await first.close();
    // One page of the log's chunks-by-article index overwritten with garbage, as a disk fault would.
    const db = new Database(join(damaged, 'articles.db'), { readonly: true });
    const page = db.prepare(`SELECT pageno FROM dbstat WHERE name = 'chunks_article' ORDER BY pageno LIMIT 1`).pluck().get() as number;
    const size = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const file = await readFile(join(damaged, 'articles.db'));
    file.fill(0x5a, (page - 1) * size, page * size);
    await writeFile(join(damaged, 'articles.db'), file);
    const opened = await bootArchive(testConfig(damaged), quiet, { sync: false });
    const http = await listen(createApp({ archive: opened, config: testConfig(damaged), logger: quiet }));
    try {
      expect((await fetch(`${http.url}/api/ready`)).status).toBe(200);
      const put = await postJson(`${http.url}/api/articles`, {
        title: 'A new article',
        text: 'The lighthouse keeper of Vell retired on Monday after thirty years.',
      });
      expect(put.status).toBe(503);
      expect(put.json.error.code).toBe('store_unavailable');
      expect(put.json.error.message).toMatch(/article log is damaged .*npm run check/);
      const h = await health(http.url);
      expect(h.store).toEqual({ status: 'damaged', problem: put.json.error.message });
      const ready = await fetch(`${http.url}/api/ready`);
      expect(ready.status).toBe(503);
      expect((await ready.json()).error.message).toMatch(/^ready: the store is damaged: store: the article log is damaged/);
    } finally {
      await http.close();
      await opened.close();
      await rm(damaged, { recursive: true, force: true });
    }
  });

  it('answers health as starting and readiness as 503 while booting', async () => {
    const server = createServer(bootingHandler(() => 'embedding 3/10 chunks'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const h = await fetch(`${url}/api/health`);
      expect(h.status).toBe(200);
      expect(await h.json()).toMatchObject({ status: 'starting', model: { loaded: false }, index: { loaded: false } });
      const r = await fetch(`${url}/api/ready`);
      expect(r.status).toBe(503);
      expect((await r.json()).error.message).toContain('embedding 3/10 chunks');
      const chat = await postJson(`${url}/api/chat`, { question: QUESTION });
      expect(chat.status).toBe(503);
      expect(chat.headers.get('retry-after')).toBe('2');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the limit, keeps probes open, and recovers after the window', async () => {
    const { url } = await serve({ RATE_LIMIT_PER_MINUTE: '3', RATE_LIMIT_WINDOW_MS: '1500' });
    // The three requests the window allows are refused by validation, which the limit counts too:
    // answered by the model they could outlast the 1.5 s window on a loaded machine.
    for (let i = 0; i < 3; i++) expect((await postJson(`${url}/api/chat`, {})).status).toBe(400);
    const limited = await postJson(`${url}/api/chat`, { question: QUESTION });
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('too_many_requests');
    expect(limited.json.error.message).toMatch(/rate limit/);
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(2);
    expect((await postJson(`${url}/api/chat`, { question: QUESTION })).status).toBe(429);
    expect((await fetch(`${url}/api/health`)).status).toBe(200);
    expect((await fetch(`${url}/api/ready`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, retryAfter * 1000 + 100));
    expect(isBelousov(await postJson(`${url}/api/chat`, { question: QUESTION }))).toBe(true);
  });

  it('is off with RATE_LIMIT_PER_MINUTE=0', async () => {
    const { url } = await serve({ RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_WINDOW_MS: '60000' });
    const statuses = await Promise.all(Array.from({ length: 30 }, () => postJson(`${url}/api/chat`, {}).then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([400]));
  });
});

describe('the bounded queue', () => {
  it('answers 503 at once when full, lets the rest through, and recovers', async () => {
    const { url } = await serve({ QUEUE_CONCURRENCY: '1', QUEUE_LIMIT: '1', RATE_LIMIT_PER_MINUTE: '0' });
    const results = await burst(url, 48, () => ({ question: QUESTION }));
    const busy = results.filter((r) => r.status === 503);
    const ok = results.filter((r) => r.status === 200);
    expect(busy.length + ok.length).toBe(results.length);
    expect(busy.length).toBeGreaterThan(0);
    expect(ok.length).toBeGreaterThanOrEqual(2);
    for (const r of ok) expect(isBelousov(r)).toBe(true);
    for (const r of busy) {
      expect(r.json.error).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/busy/) });
      expect(r.headers['retry-after']).toBe('1');
    }
    const h = await health(url);
    expect(h.queue).toMatchObject({ active: 0, waiting: 0, concurrency: 1, limit: 1 });
    expect(h.queue.rejected).toBe(busy.length);
    expect(isBelousov(await postJson(`${url}/api/chat`, { question: QUESTION }))).toBe(true);
  });

  it('is one queue for /api/chat and /api/chat/stream, visible in /api/health', async () => {
    const held = heldQueue({ concurrency: 1, limit: 1 });
    const { url } = await serve({}, { queue: held.queue });
    held.hold();
    held.hold();
    expect((await health(url)).queue).toMatchObject({ active: 1, waiting: 1 });

    const chat = await postJson(`${url}/api/chat`, { question: QUESTION });
    expect(chat.status).toBe(503);
    expect(chat.json.error.code).toBe('unavailable');
    const stream = await postJson(`${url}/api/chat/stream`, { question: QUESTION });
    const events = stream.status === 200 ? sseEvents(stream.text) : [];
    // The stream has sent its headers before it queues, so "busy" arrives as its error event.
    expect(stream.status === 503 || events.some((e) => e.event === 'error' && e.data.code === 'unavailable')).toBe(true);
    expect((await health(url)).queue.rejected).toBe(2);

    held.release();
    await new Promise((r) => setTimeout(r, 20));
    held.release();
    expect(isBelousov(await postJson(`${url}/api/chat`, { question: QUESTION }))).toBe(true);
    const after = await postJson(`${url}/api/chat/stream`, { question: QUESTION });
    expect(after.status).toBe(200);
    expect(sseEvents(after.text).find((e) => e.event === 'quotes')?.data.answer).toContain('Belousov');
  });
});

describe('the time limit', () => {
  it('answers 503 "timeout" when a request waits past REQUEST_TIMEOUT_MS, and takes it out of the queue', async () => {
    const held = heldQueue({ concurrency: 1, limit: 10 });
    const { url } = await serve({ REQUEST_TIMEOUT_MS: '150' }, { queue: held.queue });
    held.hold();
    const res = await postJson(`${url}/api/chat`, { question: QUESTION });
    expect(res.status).toBe(503);
    expect(res.json.error).toMatchObject({ code: 'timeout', message: expect.stringContaining('150 ms') });
    expect(res.headers.get('retry-after')).toBe('1');
    expect((await health(url)).queue).toMatchObject({ active: 1, waiting: 0 });
    held.release();
    expect(isBelousov(await postJson(`${url}/api/chat`, { question: QUESTION }))).toBe(true);
  });

  it('survives handlers that finish after their request timed out', async () => {
    const { url } = await serve({ REQUEST_TIMEOUT_MS: '100', QUEUE_CONCURRENCY: '1', QUEUE_LIMIT: '100', RATE_LIMIT_PER_MINUTE: '0' });
    const results = await burst(url, 100, (i) => ({ question: `${QUESTION} (${i})` }));
    for (const r of results) {
      expect([200, 503]).toContain(r.status);
      if (r.status === 503) expect(r.json.error.code).toBe('timeout');
    }
    expect(results.some((r) => r.status === 503)).toBe(true);
    // The handlers still running finish at the machine's pace, not the time limit's.
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await health(url)).queue.active > 0) await new Promise((r) => setTimeout(r, 50));
    expect((await health(url)).queue).toMatchObject({ active: 0, waiting: 0 });
    const slow = await serve({ REQUEST_TIMEOUT_MS: '60000' });
    expect(isBelousov(await postJson(`${slow.url}/api/chat`, { question: QUESTION }))).toBe(true);
  });
});

describe('static files and path traversal', () => {
  // Each file's longest line, read now: a marker that is the file's own content, not a sentence
  // copied here that silently stops matching when the file is edited.
  const longestLine = (file: string) =>
    readFileSync(join(REPO, file), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .reduce((a, b) => (b.length > a.length ? b : a), '');
  const secrets: [string, string][] = ['package.json', 'src/config.ts', '.env.example', 'src/server/app.ts', '.env', 'index/CURRENT']
    .filter((file) => existsSync(join(REPO, file)))
    .map((file) => [file, longestLine(file)]);
  it('has a marker of at least 20 characters for each file it must not leak', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(4);
    for (const [file, marker] of secrets) if (file !== 'index/CURRENT') expect(marker.length, file).toBeGreaterThanOrEqual(20);
  });

  it.each([
    '/../package.json',
    '/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E/%2E%2E/package.json',
    '/..%2fpackage.json',
    '/..%2F..%2Fpackage.json',
    '/%252e%252e/package.json',
    '/%252e%252e%252fpackage.json',
    '/..%5cpackage.json',
    '/..\\package.json',
    '/.%2e/.%2e/src/config.ts',
    '/%c0%ae%c0%ae/package.json',
    '/style.css/../../package.json',
    '/app.js%00/../../package.json',
    '/index/CURRENT',
    '/index/../index/CURRENT',
    '/../index/CURRENT',
    '/.env',
    '/.env.example',
    '/%2eenv',
    '/src/config.ts',
    '/src/server/app.ts',
    '/../src/config.ts',
    '/config.ts',
    '/package.json',
    '/node_modules/express/package.json',
    '/../node_modules/express/package.json',
    '/..%2fnode_modules%2fexpress%2fpackage.json',
    '//etc/passwd',
    '/../../../../../../etc/passwd',
    '/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  ])('GET %s reads nothing outside src/web', async (path) => {
    const { url } = await serve();
    const res = await raw(url, { path });
    expect([400, 403, 404]).toContain(res.status);
    expect(res.json?.error?.code).toEqual(expect.any(String));
    for (const [, marker] of secrets) if (marker) expect(res.text).not.toContain(marker);
    expect(res.text).not.toMatch(/root:.*:0:0:/);
  });

  it('still serves the page files themselves', async () => {
    const { url } = await serve();
    const files = readdirSync(WEB_DIR);
    expect(files).toEqual(expect.arrayContaining(['index.html', 'app.js', 'sse.js', 'style.css']));
    for (const file of files) {
      const res = await raw(url, { path: `/${file}` });
      expect(res.status).toBe(200);
      expect(res.text).toBe(readFileSync(join(WEB_DIR, file), 'utf8'));
    }
  });
});
