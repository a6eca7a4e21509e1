/**
 * The MCP tool server through the SDK's own client, over both transports: stdio (spawning
 * `npm run mcp` with a temp INDEX_DIR and the seeds) and Streamable HTTP (/mcp on the real
 * server). One contract, run against each.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCorpus } from '../src/corpus/load.js';
import type { Article } from '../src/corpus/article.js';
import { REPO, SEEDS, seedServer, tempDir } from './helpers.js';

type Result = { isError?: boolean; content: { type: string; text: string }[]; structuredContent?: any };

const WHO = 'Who is the Russian defense minister who visited Beijing?';

let seed: Article;
beforeAll(async () => {
  [seed] = (await loadCorpus(SEEDS)).articles;
});

/** Connects a client over a transport; `errors` collects anything the client could not read. */
async function connect(transport: Transport) {
  const client = new Client({ name: 'archivist-test', version: '1.0.0' });
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  await client.connect(transport);
  const call = async (name: string, args: Record<string, unknown>) => (await client.callTool({ name, arguments: args })) as Result;
  return { client, errors, call };
}

const transports: [string, () => Promise<{ transport: Transport; close: () => Promise<void>; stderr?: () => string }>][] = [
  [
    'stdio (npm run mcp)',
    async () => {
      const dir = await tempDir();
      const transport = new StdioClientTransport({
        command: 'npm',
        // --silent: npm's own "> archivist mcp" banner would otherwise go to stdout, the protocol channel.
        args: ['--silent', 'run', 'mcp'],
        cwd: REPO,
        env: { ...(process.env as Record<string, string>), INDEX_DIR: dir, SEEDS_DIR: SEEDS, LOG_LEVEL: 'silent' },
        stderr: 'pipe',
      });
      let stderr = '';
      transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      return {
        transport,
        stderr: () => stderr,
        close: async () => {
          await transport.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  ],
  [
    'Streamable HTTP (/mcp)',
    async () => {
      const srv = await seedServer();
      return { transport: new StreamableHTTPClientTransport(new URL(`${srv.url}/mcp`)), close: () => srv.close() };
    },
  ],
];

describe.each(transports)('MCP over %s', (_name, open) => {
  let conn: Awaited<ReturnType<typeof connect>>;
  let opened: Awaited<ReturnType<(typeof transports)[0][1]>>;
  beforeAll(async () => {
    opened = await open();
    conn = await connect(opened.transport);
  });
  afterAll(async () => {
    await conn?.client.close();
    await opened?.close();
  });

  it('lists the four tools with descriptions and JSON schemas', async () => {
    const { tools } = await conn.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['ask', 'get_article', 'list_articles', 'search_articles']);
    for (const t of tools) {
      expect(t.description!.length).toBeGreaterThan(40);
      expect(t.inputSchema.type).toBe('object');
    }
    const ask = tools.find((t) => t.name === 'ask')!;
    expect(ask.inputSchema.required).toEqual(['question']);
    expect(Object.keys(ask.inputSchema.properties!)).toEqual(expect.arrayContaining(['question', 'history', 'asOf', 'since', 'until', 'sources']));
  });

  it('ask answers with verified quotes: offsets into the article and its url', async () => {
    const r = await conn.call('ask', { question: WHO });
    expect(r.isError).toBeFalsy();
    const out = r.structuredContent;
    expect(JSON.parse(r.content[0].text)).toEqual(out);
    expect(out.found).toBe(true);
    expect(out.answer).toContain('Belousov');
    expect(out.quotes.length).toBeGreaterThan(0);
    for (const q of out.quotes) {
      expect(q.articleId).toBe(seed.id);
      expect(seed.text.slice(q.start, q.end)).toBe(q.text);
      expect(q.url).toBe(seed.url);
    }
  });

  it('ask uses history for a follow-up and applies date filters', async () => {
    const first = (await conn.call('ask', { question: WHO })).structuredContent;
    const follow = await conn.call('ask', {
      question: 'When did he arrive?',
      history: [
        { role: 'user', content: WHO },
        { role: 'assistant', content: first.answer },
      ],
    });
    expect(follow.structuredContent.query).toContain('Belousov');
    expect(follow.structuredContent.quotes[0].text).toContain('arrived in Beijing Monday');
    const filtered = await conn.call('ask', { question: WHO, until: '2020-01-01' });
    expect(filtered.structuredContent).toMatchObject({ found: false, quotes: [] });
  });

  it('ask reads "last week" against asOf, as /api/chat does', async () => {
    const question = 'Who visited Beijing last week?';
    // The seed is dated Monday 2024-10-14: the week before 2024-10-21 holds it, the week before
    // 2024-11-20 does not, so there the quote says its date.
    const inWeek = (await conn.call('ask', { question, asOf: '2024-10-21' })).structuredContent;
    expect(inWeek).toMatchObject({ found: true });
    expect(inWeek.answer).not.toContain('(from 14 October 2024)');
    const later = (await conn.call('ask', { question, asOf: '2024-11-20' })).structuredContent;
    expect(later.answer).toContain('(from 14 October 2024)');
  });

  it('search_articles returns k passages that are slices of their articles', async () => {
    const r = await conn.call('search_articles', { query: 'Belousov arrived in Beijing', k: 2 });
    const { passages } = r.structuredContent;
    expect(passages).toHaveLength(2);
    expect(passages[0].text).toContain('Belousov');
    for (const p of passages) expect(seed.text.slice(p.start, p.end)).toBe(p.text);
    expect(passages[0].score).toBeGreaterThanOrEqual(passages[1].score);
  });

  it('get_article returns the article, or the range asked for', async () => {
    const whole = (await conn.call('get_article', { id: seed.id })).structuredContent;
    expect(whole).toMatchObject({ id: seed.id, title: seed.title, url: seed.url, date: seed.date, length: seed.text.length, text: seed.text });
    const part = (await conn.call('get_article', { id: seed.id, start: 10, end: 60 })).structuredContent;
    expect(part).toMatchObject({ start: 10, end: 60, text: seed.text.slice(10, 60) });
  });

  it('list_articles pages through the articles and filters by date', async () => {
    const all = (await conn.call('list_articles', {})).structuredContent;
    expect(all).toMatchObject({ total: 1, offset: 0, limit: 20 });
    expect(all.items[0]).toMatchObject({ id: seed.id, title: seed.title, date: seed.date });
    expect((await conn.call('list_articles', { since: '2024-10-14' })).structuredContent.total).toBe(1);
    expect((await conn.call('list_articles', { since: '2025-01-01' })).structuredContent).toMatchObject({ total: 0, items: [] });
  });

  it("answers an unknown article id with the HTTP API's message as a tool error", async () => {
    const r = await conn.call('get_article', { id: 'no-such-article' });
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toBe('articles: no article with id "no-such-article"');
  });

  it.each([
    ['ask', { question: 42 }, 'question'],
    ['ask', { question: 'x'.repeat(5000) }, 'question'],
    ['ask', { question: WHO, since: 'someday' }, 'since'],
    ['ask', { question: WHO, asOf: '2024-02-31' }, 'asOf'],
    ['search_articles', { query: 'Belousov', k: 0 }, 'k'],
    ['get_article', { id: 'x', start: -1 }, 'start'],
    ['get_article', { id: 'x'.repeat(1000) }, 'id'],
    ['list_articles', { limit: 1000 }, 'limit'],
  ])('answers %s with bad arguments %j as a tool error naming %s, and keeps serving', async (tool, args, field) => {
    const r = await conn.call(tool, args);
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toContain(field);
    expect(r.content[0].text).not.toMatch(/\bat .*\.(ts|js):\d+/);
    expect((await conn.call('list_articles', {})).structuredContent.total).toBe(1);
  });

  it('answers a history turn over the HTTP limit as a tool error naming history', async () => {
    const r = await conn.call('ask', { question: WHO, history: [{ role: 'user', content: 'x'.repeat(50_000) }] });
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toContain('history');
  });

  it('reads nothing on the protocol channel but protocol messages', () => {
    expect(conn.errors).toEqual([]);
    if (opened.stderr) expect(opened.stderr()).toContain('serving on stdio');
  });
});
