/**
 * Health under load: how long GET /api/health and GET /api/ready take while the server works.
 * The real server (bench/load-server.ts, a child process) on the seeds (plus, with --articles N,
 * N articles of real prose from bench/corpus.ts, so answering has passages to read) and a free
 * loopback port; both probes polled every ~50 ms through three phases of one run:
 *
 * 1. idle: nothing else runs (the baseline);
 * 2. chats: 32 clients POST /api/chat with real questions for 30 s (as many as the queue accepts);
 * 3. sync: a sync of a feed of 100,000 items (~3.5 MB, made here) from a local HTTP server,
 *    SYNC_MAX_ENTRIES of its pages fetched, read and embedded.
 *
 *   npm run bench:health
 *   npm run bench:health -- --idle 10 --duration 30 --connections 32 --items 100000 --articles 200 --json health.json
 *   npm run bench:health -- --cpu-prof prof/   (the server's CPU profile, for what holds its event loop)
 *
 * Reports each probe's p50/p95/max per phase, the ratios to idle, and the server's event-loop
 * delay per phase (perf_hooks monitorEventLoopDelay: the longest time the loop could not turn).
 */
import { createServer } from 'node:http';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile } from '../src/eval/metrics.js';
import { benchArgs } from './args.js';
import { distractorArticles } from './corpus.js';
import { chatLoad, startServer, type BenchServer } from './serve.js';

function args(argv: string[]) {
  const { values, number } = benchArgs(argv, {
    idle: { type: 'string', default: '10' },
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '32' },
    items: { type: 'string', default: '100000' },
    articles: { type: 'string', default: '200' },
    pages: { type: 'string', default: '100' },
    interval: { type: 'string', default: '50' },
    json: { type: 'string' },
    'cpu-prof': { type: 'string' },
  });
  return {
    idle: number('idle'),
    duration: number('duration'),
    connections: number('connections'),
    items: number('items'),
    articles: number('articles'),
    pages: number('pages'),
    intervalMs: number('interval'),
    json: values.json,
    /** A folder for the server's CPU profile (node --cpu-prof), to see what holds its event loop. */
    cpuProf: values['cpu-prof'],
  };
}

const say = (line: string) => console.error(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const r1 = (n: number) => Math.round(n * 10) / 10;

/** A feed of `n` items, one short link each, as a large real feed lists its archive. */
const bigFeed = (n: number) =>
  `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Big Gazette</title><link>/</link><description>News</description>${Array.from(
    { length: n },
    (_, i) => `<item><link>/a/${i}</link></item>`,
  ).join('')}</channel></rss>`;

const storyPage = (i: number) =>
  `<!doctype html><html><head><title>Harbour report ${i}</title><meta property="article:published_time" content="2024-10-${String(1 + (i % 28)).padStart(2, '0')}T08:00:00Z"></head><body><article><h1>Harbour report ${i}</h1>` +
  `<p>The council of the town of Arnholm met on Tuesday evening for the ${i}th time this year and agreed after a long debate that the harbour works would continue through the winter.</p>` +
  `<p>The first stage, a new quay for the ferry to Brevik, is to be finished by March, the harbour master said; the second stage waits for the county's budget.</p></article></body></html>`;

/** The local news site the sync reads: robots.txt, the big feed, and a page for every item. */
async function startFeedSite(items: number) {
  const feed = bigFeed(items);
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url === '/robots.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('User-agent: *\nAllow: /\n');
    if (url === '/feed.xml') return void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(feed);
    const page = /^\/a\/(\d+)$/.exec(url);
    if (page) return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(storyPage(Number(page[1])));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    feedUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/feed.xml`,
    feedBytes: Buffer.byteLength(feed),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

interface Probe {
  health: number[];
  ready: number[];
  failures: number;
}

/** Polls both probes every `intervalMs` until `stop` is set; each sample is one request's time. */
function poll(url: string, intervalMs: number) {
  const probe: Probe = { health: [], ready: [], failures: 0 };
  let stopped = false;
  const time = async (path: 'health' | 'ready') => {
    const t = performance.now();
    const res = await fetch(`${url}/api/${path}`).catch(() => null);
    await res?.arrayBuffer();
    probe[path].push(performance.now() - t);
    if (!res?.ok) probe.failures++;
  };
  const done = (async () => {
    while (!stopped) {
      const t = performance.now();
      await Promise.all([time('health'), time('ready')]);
      await sleep(Math.max(0, intervalMs - (performance.now() - t)));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await done;
      return probe;
    },
  };
}

const stats = (ms: number[]) => ({ n: ms.length, p50Ms: r1(percentile(ms, 50)), p95Ms: r1(percentile(ms, 95)), maxMs: r1(Math.max(...ms)) });

async function phase(server: BenchServer, intervalMs: number, work: () => Promise<unknown>) {
  await server.request('loop');
  const probe = poll(server.url, intervalMs);
  const t = performance.now();
  const detail = await work();
  const seconds = r1((performance.now() - t) / 1000);
  const { health, ready, failures } = await probe.stop();
  const loop = await server.request<{ maxMs: number; p99Ms: number }>('loop');
  return { seconds, health: stats(health), ready: stats(ready), failures, loop: { maxMs: r1(loop.maxMs), p99Ms: r1(loop.p99Ms) }, detail };
}

/** Waits until the server's chat queue is empty (GET /api/health says so). */
async function settle(url: string) {
  for (;;) {
    const body = (await (await fetch(`${url}/api/health`)).json()) as { queue?: { active: number; waiting: number } };
    if (!body.queue || (body.queue.active === 0 && body.queue.waiting === 0)) return;
    await sleep(200);
  }
}

async function main() {
  const opts = args(process.argv.slice(2));
  const work = await mkdtemp(join(tmpdir(), 'archivist-bench-health-'));
  const seeds = join(work, 'seeds');
  await mkdir(seeds);
  const repoSeeds = fileURLToPath(new URL('../seeds/', import.meta.url));
  for (const f of await readdir(repoSeeds)) await copyFile(join(repoSeeds, f), join(seeds, f));
  for (const a of await distractorArticles(opts.articles)) await writeFile(join(seeds, `${a.id}.txt`), `${a.title}\n\n${a.text}\n`);
  const site = await startFeedSite(opts.items);
  say(`health: booting the server on ${opts.articles} articles + the seeds …`);
  const server = await startServer(
    {
      INDEX_DIR: join(work, 'index'),
      SEEDS_DIR: seeds,
      // The feed site is on loopback.
      ALLOW_PRIVATE_SOURCES: 'true',
      FETCH_MIN_DELAY_MS: '0',
      SYNC_MAX_ENTRIES: String(opts.pages),
    },
    { nodeArgs: opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProf}`] : [] },
  );
  try {
    const { url } = server;
    say(`health: warming up for 5 s`);
    await chatLoad(url, opts.connections, 5);

    // The warm-up's chats still queued when its clients left must be done before the baseline.
    await settle(url);
    say(`health: idle for ${opts.idle} s`);
    const idle = await phase(server, opts.intervalMs, () => sleep(opts.idle * 1000));

    say(`health: ${opts.connections} chats for ${opts.duration} s`);
    const chats = await phase(server, opts.intervalMs, async () => {
      const r = await chatLoad(url, opts.connections, opts.duration);
      return { requests: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts };
    });

    await settle(url);
    say(`health: sync of a feed of ${opts.items} items (${(site.feedBytes / 2 ** 20).toFixed(1)} MB), ${opts.pages} pages read`);
    const added = await fetch(`${url}/api/sources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: site.feedUrl }),
    });
    if (!added.ok) throw new Error(`health: adding the feed answered ${added.status}: ${await added.text()}`);
    const { source } = (await added.json()) as { source: { id: string } };
    const sync = await phase(server, opts.intervalMs, async () => {
      const res = await fetch(`${url}/api/sources/${source.id}/sync`, { method: 'POST' });
      const body = (await res.json()) as { report?: { added: number; skipped: unknown[]; error?: string } };
      if (!res.ok || body.report?.error) throw new Error(`health: the sync failed (${res.status}): ${JSON.stringify(body).slice(0, 300)}`);
      return { added: body.report!.added, skipped: body.report!.skipped.length };
    });

    const ratio = (p: typeof idle, k: 'health' | 'ready') => ({
      p50: r1(p[k].p50Ms / idle[k].p50Ms),
      p95: r1(p[k].p95Ms / idle[k].p95Ms),
      max: r1(p[k].maxMs / idle[k].maxMs),
    });
    const out = {
      idle,
      chats: { ...chats, vsIdle: { health: ratio(chats, 'health'), ready: ratio(chats, 'ready') } },
      sync: { ...sync, vsIdle: { health: ratio(sync, 'health'), ready: ratio(sync, 'ready') }, feedItems: opts.items, feedMb: r1(site.feedBytes / 2 ** 20) },
      maxMs: Math.max(...[idle, chats, sync].flatMap((p) => [p.health.maxMs, p.ready.maxMs])),
      connections: opts.connections,
      articles: opts.articles,
    };
    const row = (name: string, p: typeof idle) =>
      `${name.padEnd(6)} ${String(p.seconds).padStart(5)} s  health p50 ${p.health.p50Ms} p95 ${p.health.p95Ms} max ${p.health.maxMs} ms (n ${p.health.n})  ready p50 ${p.ready.p50Ms} p95 ${p.ready.p95Ms} max ${p.ready.maxMs} ms  loop delay max ${p.loop.maxMs} ms${p.failures ? `  ${p.failures} failed` : ''}`;
    console.log(
      [
        row('idle', idle),
        row('chats', chats) + `  (${JSON.stringify(chats.detail)})`,
        row('sync', sync) + `  (${JSON.stringify(sync.detail)})`,
        `vs idle: chats health p95 ×${out.chats.vsIdle.health.p95} max ×${out.chats.vsIdle.health.max}; sync health p95 ×${out.sync.vsIdle.health.p95} max ×${out.sync.vsIdle.health.max}`,
        `slowest probe answer: ${out.maxMs} ms${out.maxMs <= 1000 ? ' (within 1 s)' : ' (OVER 1 s)'}`,
      ].join('\n'),
    );
    if (opts.json) {
      await writeFile(opts.json, JSON.stringify(out, null, 2) + '\n');
      say(`health: wrote ${opts.json}`);
    }
  } finally {
    await server.stop();
    await site.close();
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  say(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
