/**
 * Sources through the real commands — `npm run sync` (every due source once, then exit) and
 * `start` with SYNC=true — in child processes, and the PostgreSQL state store on PGlite served
 * over the wire protocol (tools/pglite.ts; no PostgreSQL server runs here). The news site is the
 * local test server of tests/newsServer.ts on loopback, hence ALLOW_PRIVATE_SOURCES=true.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootArchive } from '../src/boot.js';
import { openSources } from '../src/sources/service.js';
import { startPglite, type PgliteServer } from '../tools/pglite.js';
import { quiet, REPO, tempDir, testConfig } from './helpers.js';
import { rss, startNewsServer, storyPage, type Story } from './newsServer.js';

const stories: Story[] = ['north', 'south'].map((slug, i) => ({
  slug,
  title: `The ${slug} pier reopens`,
  date: `2024-11-0${i + 1}T09:00:00Z`,
  text: [
    `The ${slug} pier reopened on Friday after two years of repairs, the harbour office said.`,
    `Boats to the ${slug} islands leave from it again from Monday.`,
  ],
}));

let site: Awaited<ReturnType<typeof startNewsServer>>;
let dir: string;
const ENV = { ALLOW_PRIVATE_SOURCES: 'true', FETCH_MIN_DELAY_MS: '0', LOG_LEVEL: 'silent' };

beforeAll(async () => {
  site = await startNewsServer({
    routes: (base) => ({
      '/rss.xml': {
        type: 'application/rss+xml',
        body: rss(
          stories.map((s) => ({ path: `/articles/${s.slug}`, title: s.title, date: s.date })),
          base,
        ),
      },
      ...Object.fromEntries(stories.map((s) => [`/articles/${s.slug}`, { type: 'text/html', body: storyPage(s, base) }])),
    }),
  });
  dir = await tempDir();
  await mkdir(join(dir, 'seeds'));
  await writeFile(
    join(dir, 'sources.json'),
    JSON.stringify({ sources: [{ url: `${site.base}/rss.xml`, kind: 'feed', interval: '1h', name: 'Harbour news' }] }),
  );
});
afterAll(async () => {
  await site?.close();
  await rm(dir, { recursive: true, force: true });
});

function run(command: string, env: Record<string, string>, until?: (err: string) => boolean) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', command], {
    cwd: REPO,
    env: { ...process.env, ...ENV, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  return new Promise<{ code: number | null; err: string }>((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.stderr!.on('data', (d) => {
      err += d;
      if (until?.(err)) child.kill('SIGTERM');
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, err });
    });
  });
}

describe('npm run sync', () => {
  it('syncs every due source once and exits; run again, nothing is due', async () => {
    const env = { SOURCES_FILE: join(dir, 'sources.json'), SEEDS_DIR: join(dir, 'seeds'), INDEX_DIR: join(dir, 'index-cli') };
    const first = await run('sync', env);
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/sync: Harbour news: 2 added, 0 already archived, 0 skipped/);
    const feedHits = site.count('/rss.xml');
    const second = await run('sync', env);
    expect(second.code).toBe(0);
    expect(second.err).toMatch(/sync: 1 sources not due yet/);
    expect(site.count('/rss.xml')).toBe(feedHits);
  }, 180_000);

  it('start with SYNC=true syncs due sources on schedule', async () => {
    const env = { SOURCES_FILE: join(dir, 'sources.json'), SEEDS_DIR: join(dir, 'seeds'), INDEX_DIR: join(dir, 'index-start'), SYNC: 'true', PORT: '0' };
    const out = await run('start', env, (err) => /sources: 2 new articles from 1 sources/.test(err));
    expect(out.err).toMatch(/1 sources \(synced on schedule\)/);
    expect(out.err).toMatch(/sources: 2 new articles from 1 sources/);
  }, 120_000);
});

describe('PostgreSQL state store', () => {
  let pglite: PgliteServer;
  beforeAll(async () => {
    pglite = await startPglite();
  });
  afterAll(async () => pglite?.stop());

  it('keeps sources and their state in the sources table across a restart', async () => {
    const config = testConfig(join(dir, 'unused'), { ...ENV, SEEDS_DIR: join(dir, 'seeds'), STORE: 'postgres', DATABASE_URL: pglite.url });
    const archive = await bootArchive(config, quiet);
    let sources = await openSources(config, archive);
    const { entry } = await sources.registry.add({ url: `${site.base}/rss.xml`, name: 'pg' });
    const first = await sources.syncer.sync(entry.def.id);
    expect(first).toMatchObject({ added: 2, notModified: false });
    await sources.close();

    sources = await openSources(config, archive);
    const again = sources.registry.get(entry.def.id)!;
    expect(again.origin).toBe('api');
    expect(again.record.state).toMatchObject({ added: 2, lastAdded: 2, failures: 0 });
    expect(Object.keys(again.record.state.seen)).toHaveLength(2);
    const second = await sources.syncer.sync(entry.def.id);
    expect(second).toMatchObject({ added: 0, notModified: true });
    await sources.registry.remove(entry.def.id);
    await sources.close();
    sources = await openSources(config, archive);
    expect(sources.registry.get(entry.def.id)).toBeUndefined();
    expect((await archive.store.counts()).articles).toBe(2);
    await sources.close();
    await archive.store.close();
    // PGlite boots and the seeds are embedded here: slow on a loaded machine, so a longer limit.
  }, 180_000);
});
