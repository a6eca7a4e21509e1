/**
 * Load over HTTP: starts the real server (bench/load-server.ts, a child process, so its RSS is
 * its own) on the seeds and a free loopback port, then drives POST /api/chat with autocannon,
 * rotating over several real questions. Bounded and self-stopping.
 *
 *   npm run bench:load
 *   npm run bench:load -- --connections 32 --duration 30 --json out.json
 *
 * Reports requests/s, latency p50/p95/p99 (from every response, not autocannon's buckets),
 * errors (non-2xx other than deliberate 429/503, which are counted separately, plus socket
 * errors and timeouts) and the server's resident memory after warm-up and after the run.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile } from '../src/eval/metrics.js';
import { benchArgs } from './args.js';
import { chatLoad, startServer } from './serve.js';

function args(argv: string[]) {
  const { values, number } = benchArgs(argv, {
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '5' },
    json: { type: 'string' },
  });
  return {
    connections: number('connections'),
    duration: number('duration'),
    warmup: number('warmup'),
    json: values.json,
  };
}

const say = (line: string) => console.error(line);

async function main() {
  const opts = args(process.argv.slice(2));
  const indexDir = await mkdtemp(join(tmpdir(), 'archivist-bench-load-'));
  const server = await startServer({ INDEX_DIR: indexDir });
  try {
    const { url } = server;
    say(`load: server on ${url}; warming up for ${opts.warmup} s`);
    await chatLoad(url, opts.connections, opts.warmup);
    const rssBeforeMb = await server.rssMb();

    say(`load: ${opts.connections} connections for ${opts.duration} s`);
    const times: number[] = [];
    const r = await chatLoad(url, opts.connections, opts.duration, (_status, ms) => times.push(ms));
    const rssAfterMb = await server.rssMb();

    const codes = r.statusCodeStats as unknown as Record<string, { count: number }>;
    const count = (code: number) => codes[String(code)]?.count ?? 0;
    const ok = Object.entries(codes)
      .filter(([c]) => c.startsWith('2'))
      .reduce((n, [, v]) => n + v.count, 0);
    const rejected = { '429': count(429), '503': count(503) };
    const errors = r.non2xx - rejected['429'] - rejected['503'] + r.errors + r.timeouts;
    const out = {
      rps: r.requests.average,
      answersPerSec: ok / r.duration,
      p50Ms: percentile(times, 50),
      p95Ms: percentile(times, 95),
      p99Ms: percentile(times, 99),
      errors,
      rejected,
      requests: r.requests.total,
      ok,
      rssBeforeMb: Number(rssBeforeMb.toFixed(1)),
      rssAfterMb: Number(rssAfterMb.toFixed(1)),
      rssGrowth: Number((rssAfterMb / rssBeforeMb - 1).toFixed(3)),
      connections: opts.connections,
      durationS: r.duration,
    };
    console.log(
      [
        `requests/s ${out.rps.toFixed(1)} (answers/s ${out.answersPerSec.toFixed(1)}; ${out.requests} requests, ${ok} 2xx)`,
        `latency ms: p50 ${out.p50Ms} p95 ${out.p95Ms} p99 ${out.p99Ms}`,
        `errors ${errors} (non-2xx ${r.non2xx}, socket errors ${r.errors}, timeouts ${r.timeouts}); deliberate 429 ${rejected['429']}, 503 ${rejected['503']}`,
        `server RSS ${out.rssBeforeMb} MB after warm-up → ${out.rssAfterMb} MB after the run (${(out.rssGrowth * 100).toFixed(1)}%${out.rssGrowth <= 0.2 ? ', within 20%' : ', OVER 20%'})`,
      ].join('\n'),
    );
    if (opts.json) {
      await writeFile(opts.json, JSON.stringify(out, null, 2) + '\n');
      say(`load: wrote ${opts.json}`);
    }
  } finally {
    await server.stop();
    await rm(indexDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  say(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
