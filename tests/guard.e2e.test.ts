/**
 * The guards hold for every route however its path is spelled. The routes come from the app's own
 * router table (walked below), so a route added later is tried here without editing this file;
 * each path is sent in many spellings (letter case, trailing and doubled slashes, percent-encoded
 * letters and slashes, dot segments) exactly as written, over raw HTTP.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectFolder } from '../src/store/folder.js';
import { openSources, type Sources } from '../src/sources/service.js';
import { createApp } from '../src/server/app.js';
import { listen, quiet, seedServer } from './helpers.js';
import { raw } from './rawHttp.js';

interface Route {
  method: string;
  path: string;
}

/** Every route of an express 5 app: mount paths joined with route paths, one entry per method. */
function routeTable(app: ReturnType<typeof createApp>): Route[] {
  const out: Route[] = [];
  const walk = (stack: any[], prefix: string) => {
    for (const layer of stack) {
      const at = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (layer.route) {
        for (const m of Object.keys(layer.route.methods)) {
          if (m === '_all') continue;
          out.push({ method: m.toUpperCase(), path: `${prefix}${layer.route.path === '/' && prefix ? '' : layer.route.path}` });
        }
        if (layer.route.methods._all) out.push({ method: 'PUT', path: prefix + layer.route.path });
      } else if (Array.isArray(layer.handle?.stack)) {
        walk(layer.handle.stack, prefix + at);
      }
    }
  };
  walk((app as any).router.stack, '');
  return out;
}

/** The spellings of one path a client could send; express must route none of them past a guard. */
function variants(path: string): string[] {
  const alt = [...path].map((c, i) => (i % 2 ? c.toUpperCase() : c.toLowerCase())).join('');
  const capital = path.replace(/\/(\w)/g, (_m, c: string) => `/${c.toUpperCase()}`);
  const firstLetter = /[a-z]/.exec(path)!;
  const encoded = `${path.slice(0, firstLetter.index)}%${path.charCodeAt(firstLetter.index).toString(16)}${path.slice(firstLetter.index + 1)}`;
  const segs = path.split('/');
  const last = path.lastIndexOf('/');
  return [
    path,
    path.toUpperCase(),
    alt,
    capital,
    `${path}/`,
    `${path.toUpperCase()}/`,
    `/${path}`,
    path.replace(/\//g, '//'),
    encoded,
    ...(last > 0 ? [`${path.slice(0, last)}%2F${path.slice(last + 1)}`, `${path.slice(0, last)}%2f${path.slice(last + 1)}`.toUpperCase()] : []),
    `/.${path}`,
    `${segs.slice(0, 2).join('/')}/./${segs.slice(2).join('/')}`.replace(/\/$/, ''),
    `/x/..${path}`,
    `${path}?x=1`,
    `${path};x`,
    `${path}%20`,
  ];
}

const READER = 'reader-secret';
const ADMIN = 'admin-secret';
const QUESTION = 'Who replaced Sergei Shoigu as defence minister?';

describe('the guards by mount: every route of the router table in every spelling', () => {
  let srv: Awaited<ReturnType<typeof seedServer>>;
  let sources: Sources;
  let app: ReturnType<typeof createApp>;
  let http: Awaited<ReturnType<typeof listen>>;
  let articleId: string;
  let sourceId: string;
  let answerId: string;
  /** A valid request body for every route that takes one, so a guard that let it through would answer 2xx. */
  let bodies: Record<string, { body: unknown; headers?: Record<string, string> }>;

  beforeAll(async () => {
    srv = await seedServer({ API_TOKEN: READER, ADMIN_TOKEN: ADMIN, RATE_LIMIT_PER_MINUTE: '0' });
    sources = await openSources(srv.config, srv.archive);
    const added = await sources.registry.add({ url: 'https://news.example/feed.xml' });
    sourceId = added.entry.def.id;
    app = createApp({ archive: srv.archive, config: srv.config, logger: quiet, sources });
    http = await listen(app);
    articleId = (await srv.archive.list({ offset: 0, limit: 1 })).items[0].id;
    answerId = await srv.archive.answers.keep({ question: QUESTION }, await srv.archive.ask({ question: QUESTION }), { days: 0, count: 0 });
    bodies = {
      'POST /api/chat': { body: { question: QUESTION } },
      'POST /api/chat/stream': { body: { question: QUESTION } },
      'POST /v1/chat/completions': { body: { model: 'archivist', messages: [{ role: 'user', content: QUESTION }] } },
      'POST /mcp': { body: { jsonrpc: '2.0', id: 1, method: 'tools/list' }, headers: { accept: 'application/json, text/event-stream' } },
      'PUT /mcp': { body: { jsonrpc: '2.0', id: 1, method: 'tools/list' } },
      'POST /api/articles': { body: { title: 'Guard test', text: 'A short article that only the guard test adds.' } },
      'POST /api/sources': { body: { url: 'https://other.example/feed.xml' } },
      'POST /api/sources/:id/sync': { body: {} },
      'POST /api/answers/:id/feedback': { body: { rating: 'up' } },
    };
  }, 180_000);
  afterAll(async () => {
    await http?.close();
    await sources?.close();
    await srv?.close();
  });

  const concrete = (path: string) =>
    path
      .replace('/api/articles/:id', `/api/articles/${articleId}`)
      .replace('/api/sources/:id', `/api/sources/${sourceId}`)
      .replace('/v1/models/:id', '/v1/models/archivist')
      .replace('/api/answers/:id', `/api/answers/${answerId}`)
      .replace('/a/:id', `/a/${answerId}`);
  const send = (r: Route, path: string, token?: string) => {
    const sample = bodies[`${r.method} ${r.path}`];
    if (r.method !== 'GET' && r.method !== 'DELETE' && !sample)
      throw new Error(`no sample body for ${r.method} ${r.path}: add one above, so the guard test covers it`);
    return raw(http.url, {
      method: r.method,
      path,
      headers: { 'content-type': 'application/json', ...(sample?.headers ?? {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: sample ? JSON.stringify(sample.body) : undefined,
    });
  };
  // The probes, and a kept answer's page: static like the chat page, it reads the answer through the guarded API.
  const isPublic = (r: Route) => r.path === '/api/health' || r.path === '/api/ready' || r.path === '/a/:id';

  it('finds the routes that hand out data in the router table', () => {
    const names = routeTable(app).map((r) => `${r.method} ${r.path}`);
    for (const want of [
      'POST /api/chat',
      'POST /api/chat/stream',
      'GET /api/articles',
      'GET /api/articles/:id',
      'DELETE /api/articles/:id',
      'GET /v1/models',
      'POST /v1/chat/completions',
      'POST /mcp',
      'GET /api/sources',
      'POST /api/sources',
      'POST /api/sources/:id/sync',
      'GET /api/answers',
      'GET /api/answers/:id',
      'POST /api/answers/:id/feedback',
      'DELETE /api/answers/:id',
      'GET /api/feedback',
    ]) {
      expect(names).toContain(want);
    }
  });

  it('without a token, no spelling of any guarded route answers anything but 401 or 404', async () => {
    const open: string[] = [];
    for (const r of routeTable(app).filter((x) => !isPublic(x))) {
      for (const path of variants(concrete(r.path))) {
        const res = await send(r, path);
        if (res.status !== 401 && res.status !== 404) open.push(`${r.method} ${path} → ${res.status}`);
        if (res.status === 401 && /^\/v1(\/|$)/i.test(path)) expect(res.json.error, path).toMatchObject({ type: 'authentication_error', code: 'unauthorized' });
      }
    }
    expect(open).toEqual([]);
  });

  it('with the reader token, no spelling of a write route gets past the writer guard', async () => {
    const writes = routeTable(app).filter((r) => /^\/api\/(articles|sources|answers)/.test(r.path) && r.method !== 'GET');
    expect(writes.length).toBeGreaterThanOrEqual(5);
    const open: string[] = [];
    for (const r of writes) {
      for (const path of variants(concrete(r.path))) {
        const res = await send(r, path, READER);
        if (res.status !== 401 && res.status !== 404) open.push(`${r.method} ${path} → ${res.status}`);
      }
    }
    expect(open).toEqual([]);
  });

  it('with the reader token the reads answer, and with the admin token the writes do', async () => {
    for (const r of routeTable(app).filter(
      (x) =>
        x.method === 'GET' ||
        x.path === '/api/chat' ||
        x.path === '/api/chat/stream' ||
        x.path === '/v1/chat/completions' ||
        (x.path === '/mcp' && x.method === 'POST'),
    )) {
      const res = await send(r, concrete(r.path), READER);
      expect(res.status, `${r.method} ${r.path}`).toBe(200);
    }
    const add = routeTable(app).find((r) => r.method === 'POST' && r.path === '/api/articles')!;
    expect((await send(add, '/api/articles', ADMIN)).status).toBe(201);
    const addSource = routeTable(app).find((r) => r.method === 'POST' && r.path === '/api/sources')!;
    expect((await send(addSource, '/api/sources', ADMIN)).status).toBe(201);
  });

  it('shows source urls and messages without the credentials they carry', async () => {
    const secretUrl = 'https://feeduser:hunter2@secret.example/rss?apikey=s3cr3t-key&page=2';
    const added = await raw(http.url, {
      method: 'POST',
      path: '/api/sources',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ url: secretUrl }),
    });
    expect(added.status).toBe(201);
    expect(added.json.source.url).toBe('https://***@secret.example/rss?apikey=***&page=2');
    const list = await raw(http.url, { path: '/api/sources', headers: { authorization: `Bearer ${READER}` } });
    expect(list.text).toContain('secret.example');
    for (const secret of ['hunter2', 'feeduser', 's3cr3t-key']) {
      expect(added.text).not.toContain(secret);
      expect(list.text).not.toContain(secret);
    }
  });

  it('names what is wrong: a bare JSON value, a cross-site write to sources, a file as INDEX_DIR', async () => {
    for (const body of ['"string"', 'null', '42']) {
      const res = await raw(http.url, {
        method: 'POST',
        path: '/api/chat',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${READER}` },
        body,
      });
      expect(res.status, body).toBe(400);
      expect(res.json.error.message).toMatch(/must be a JSON object/);
    }
    const open = await listen(
      createApp({ archive: srv.archive, config: { ...srv.config, apiToken: undefined, adminToken: undefined }, logger: quiet, sources }),
    );
    try {
      const res = await raw(open.url, {
        method: 'POST',
        path: '/api/sources',
        headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
        body: JSON.stringify({ url: 'https://x.example/feed' }),
      });
      expect(res.status).toBe(403);
      expect(res.json.error.message).toMatch(/^sources: writes from another site/);
    } finally {
      await open.close();
    }
    const file = join(srv.dir, 'not-a-folder');
    await writeFile(file, 'x');
    await expect(inspectFolder(file)).rejects.toThrow(/^store: INDEX_DIR is a file, not a folder/);
  });

  it('counts every spelling against the rate limit', async () => {
    const limited = await listen(createApp({ archive: srv.archive, config: { ...srv.config, rateLimitPerMinute: 3 }, logger: quiet }));
    try {
      const statuses = [];
      for (const path of ['/api/articles', '/API/articles', '/Api/Articles/', '/api/ARTICLES']) {
        statuses.push((await raw(limited.url, { path, headers: { authorization: `Bearer ${READER}` } })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      // The probes are mounted before the limit.
      expect((await raw(limited.url, { path: '/API/health' })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
