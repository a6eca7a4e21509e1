/**
 * One POST /mcp may carry a JSON-RPC batch of many calls (a hostile or careless client sends 100
 * asks at once). Each call counts for the rate limit, the batch holds one place at a time in the
 * queue every user shares, and the calls stop when the client goes away.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postJson, seedServer } from './helpers.js';

const WHO = 'Who is the Russian defense minister who visited Beijing?';
const ask = (id: number, question = WHO) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'ask', arguments: { question } } });
const batch = (n: number) => Array.from({ length: n }, (_, i) => ask(i + 1, `${WHO} (${i})`));
const MCP_HEADERS = { accept: 'application/json, text/event-stream' };

let srv: Awaited<ReturnType<typeof seedServer>> | undefined;
afterEach(async () => {
  await srv?.close();
  srv = undefined;
});

type Stats = { active: number; waiting: number; rejected: number };
const queue = async (url: string): Promise<Stats> => (await (await fetch(`${url}/api/health`)).json()).queue;
const until = async (url: string, ok: (s: Stats) => boolean) => {
  for (;;) {
    if (ok(await queue(url))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
};
// Read from the store, not over HTTP: the rate limit of a test would count the look too.
const kept = async () => (await srv!.archive.answers.list({ offset: 0, limit: 100 })).total;

describe('a JSON-RPC batch on /mcp', () => {
  it('counts every call for the rate limit: 4 calls and 2 more requests of a limit of 5 are refused', async () => {
    srv = await seedServer({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_WINDOW_MS: '60000' });
    const list = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
    const first = await postJson(`${srv.url}/mcp`, [list(1), list(2), list(3), list(4)], MCP_HEADERS);
    expect(first.status).toBe(200);
    expect(first.json).toHaveLength(4);
    expect((await postJson(`${srv.url}/mcp`, list(5), MCP_HEADERS)).status).toBe(200);
    const over = await postJson(`${srv.url}/mcp`, list(6), MCP_HEADERS);
    expect(over.status).toBe(429);
    expect(over.json.error.message).toMatch(/rate limit: more than 5 requests/);
  });

  it('refuses a batch larger than what is left of the limit as a whole, with Retry-After', async () => {
    srv = await seedServer({ RATE_LIMIT_PER_MINUTE: '5', RATE_LIMIT_WINDOW_MS: '60000' });
    const res = await postJson(`${srv.url}/mcp`, batch(6), MCP_HEADERS);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await kept()).toBe(0);
  });

  it('takes one place in the shared queue at a time: another user is not turned away, and every call is answered', async () => {
    srv = await seedServer({ QUEUE_CONCURRENCY: '1', QUEUE_LIMIT: '2', RATE_LIMIT_PER_MINUTE: '0' });
    const url = srv.url;
    const big = postJson(`${url}/mcp`, batch(6), MCP_HEADERS);
    await until(url, (s) => s.active >= 1);
    const other = await postJson(`${url}/api/chat`, { question: WHO });
    expect(other.status).toBe(200);
    const res = await big;
    expect(res.status).toBe(200);
    expect(res.json).toHaveLength(6);
    for (const r of res.json) expect(r.result.isError ?? false).toBe(false);
    expect((await queue(url)).rejected).toBe(0);
  });

  it('stops its calls when the client goes away', async () => {
    srv = await seedServer({ QUEUE_CONCURRENCY: '1', QUEUE_LIMIT: '100', RATE_LIMIT_PER_MINUTE: '0' });
    const url = srv.url;
    const gone = new AbortController();
    const sent = fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...MCP_HEADERS },
      body: JSON.stringify(batch(30)),
      signal: gone.signal,
    }).catch(() => undefined);
    await until(url, (s) => s.active >= 1);
    gone.abort();
    await sent;
    // Idle on two looks in a row: no call is running or waiting, and none starts after.
    for (let idle = 0; idle < 2;) {
      const s = await queue(url);
      idle = s.active === 0 && s.waiting === 0 ? idle + 1 : 0;
      await new Promise((r) => setTimeout(r, 300));
    }
    // The call running when the client left may finish (an answer stage is not cut short), and one
    // may start before the close is seen on a busy machine; the rest of the 30 never run.
    expect(await kept()).toBeLessThan(10);
  });
});
