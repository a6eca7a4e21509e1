/**
 * The OpenAI-compatible API through the official `openai` client, against the real server over
 * the seed article (real model, real index, real HTTP).
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOT_FOUND } from '../src/answering/answer.js';
import { postJson, seedServer } from './helpers.js';

type Quote = { n: number; text: string; articleId: string; title: string; url?: string; date?: string; start: number; end: number };
type Extra = { found: boolean; query: string; quotes: Quote[] };

let srv: Awaited<ReturnType<typeof seedServer>>;
let client: OpenAI;
beforeAll(async () => {
  srv = await seedServer();
  client = new OpenAI({ baseURL: `${srv.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => srv?.close());

const WHO = 'Who is the Russian defense minister who visited Beijing?';

/** Every quote is its article's own text at [start, end). */
async function expectVerbatim(quotes: Quote[]) {
  expect(quotes.length).toBeGreaterThan(0);
  for (const q of quotes) {
    const article = await srv.archive.store.getArticle(q.articleId);
    expect(article!.text.slice(q.start, q.end)).toBe(q.text);
    expect(q.title).toBe(article!.title);
    expect(q.url).toBe(article!.url);
  }
}

describe('GET /v1/models', () => {
  it('lists the one model, archivist, answered by the extractive answerer', async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toEqual(['archivist']);
    expect((page.data[0] as unknown as { archivist: unknown }).archivist).toEqual({ answerer: 'extractive' });
    expect((await client.models.retrieve('archivist')).id).toBe('archivist');
  });
});

describe('POST /v1/chat/completions', () => {
  it('answers with [n] markers, a plain-text source list in content, and the verified quotes in message.archivist', async () => {
    const r = await client.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: WHO }] });
    expect(r.object).toBe('chat.completion');
    const msg = r.choices[0].message;
    const extra = (msg as unknown as { archivist: Extra }).archivist;
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(extra.found).toBe(true);
    await expectVerbatim(extra.quotes);
    const [answer, sources] = msg.content!.split('\n\nSources:\n');
    expect(answer).toContain('Belousov');
    expect(answer).toContain('[1]');
    const q1 = extra.quotes[0];
    expect(sources.split('\n')[0]).toBe(`[1] "${q1.text}" — ${q1.title}, ${q1.date}, ${q1.url}`);
    expect(sources.split('\n')).toHaveLength(extra.quotes.length);
    // Counted with the embedding model's tokenizer: the question alone is more than a handful.
    expect(r.usage!.prompt_tokens).toBe(srv.archive.tokens(WHO));
    expect(r.usage!.completion_tokens).toBe(srv.archive.tokens(msg.content!));
    expect(r.usage!.total_tokens).toBe(r.usage!.prompt_tokens + r.usage!.completion_tokens);
  });

  it('streams chat.completion.chunk events whose pieces join to the same content, then [DONE]', async () => {
    const whole = await client.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: WHO }] });
    const stream = await client.chat.completions.create({
      model: 'archivist',
      messages: [{ role: 'user', content: WHO }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let pieces = 0;
    let extra: Extra | undefined;
    let finish: string | null = null;
    let usage;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      if (choice.delta.content) {
        text += choice.delta.content;
        pieces++;
      }
      extra ??= (choice.delta as unknown as { archivist?: Extra }).archivist;
      finish = choice.finish_reason ?? finish;
    }
    expect(pieces).toBeGreaterThan(5);
    expect(text).toBe(whole.choices[0].message.content);
    expect(finish).toBe('stop');
    await expectVerbatim(extra!.quotes);
    expect(usage).toEqual(whole.usage);

    // The wire format itself ends with the protocol's terminator.
    const raw = await postJson(`${srv.url}/v1/chat/completions`, { model: 'archivist', stream: true, messages: [{ role: 'user', content: WHO }] });
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(raw.text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('answers a follow-up from the earlier messages, as /api/chat does', async () => {
    const first = await client.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: WHO }] });
    const r = await client.chat.completions.create({
      model: 'archivist',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: WHO },
        { role: 'assistant', content: first.choices[0].message.content },
        { role: 'user', content: 'When did he arrive?' },
      ],
    });
    const extra = (r.choices[0].message as unknown as { archivist: Extra }).archivist;
    expect(extra.query).toContain('Belousov');
    expect(extra.found).toBe(true);
    expect(extra.quotes[0].text).toContain('arrived in Beijing Monday');
    await expectVerbatim(extra.quotes);
  });

  it('refuses as an ordinary answer: not found, no sources, no quotes', async () => {
    const r = await client.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: 'What is the capital of France?' }] });
    const msg = r.choices[0].message;
    expect(msg.content).toBe(NOT_FOUND);
    expect(msg.refusal).toBeNull();
    expect((msg as unknown as { archivist: Extra }).archivist).toMatchObject({ found: false, quotes: [] });
  });

  it.each([
    ['messages that are not an array', { model: 'archivist', messages: 'hello' }, 'messages'],
    ['a missing model', { messages: [{ role: 'user', content: WHO }] }, 'model'],
    ['a temperature that is not a number', { model: 'archivist', temperature: 'hot', messages: [{ role: 'user', content: WHO }] }, 'temperature'],
    [
      "a last message that is not the user's",
      {
        model: 'archivist',
        messages: [
          { role: 'user', content: WHO },
          { role: 'assistant', content: 'x' },
        ],
      },
      'messages.1.role',
    ],
  ])("answers %s with a 400 in OpenAI's error shape naming the field", async (_name, body, param) => {
    const err = await client.chat.completions.create(body as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.error).toMatchObject({ type: 'invalid_request_error', param, code: 'bad_request', message: expect.stringContaining(param) });
  });

  it('ignores unknown fields', async () => {
    const r = await client.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: WHO }], seed: 7, tools: [] } as never);
    expect(r.choices[0].message.content).toContain('Belousov');
  });

  it("answers malformed JSON with a 400 in OpenAI's shape", async () => {
    const res = await postJson(`${srv.url}/v1/chat/completions`, '{"model": ');
    expect(res.status).toBe(400);
    expect(res.json.error).toEqual({ message: expect.any(String), type: 'invalid_request_error', param: null, code: 'bad_request' });
  });
});

describe('API_TOKEN (the OpenAI API, MCP and the read routes)', () => {
  let locked: Awaited<ReturnType<typeof seedServer>>;
  beforeAll(async () => {
    locked = await seedServer({ API_TOKEN: 'reader-secret' });
  });
  afterAll(async () => locked?.close());

  it('refuses a wrong key with 401 and accepts the right one', async () => {
    const wrong = new OpenAI({ baseURL: `${locked.url}/v1`, apiKey: 'not-the-token', maxRetries: 0 });
    const err = await wrong.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: WHO }] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).error).toMatchObject({ type: 'authentication_error', code: 'unauthorized' });

    const right = new OpenAI({ baseURL: `${locked.url}/v1`, apiKey: 'reader-secret', maxRetries: 0 });
    const r = await right.chat.completions.create({ model: 'archivist', messages: [{ role: 'user', content: WHO }] });
    expect(r.choices[0].message.content).toContain('Belousov');
  });

  it('guards the existing read routes too, but not the health probes', async () => {
    expect((await postJson(`${locked.url}/api/chat`, { question: WHO })).status).toBe(401);
    expect((await postJson(`${locked.url}/api/chat`, { question: WHO }, { authorization: 'Bearer reader-secret' })).status).toBe(200);
    expect((await fetch(`${locked.url}/api/articles`)).status).toBe(401);
    expect((await fetch(`${locked.url}/api/health`)).status).toBe(200);
  });

  it('guards /mcp: 401 without the token, tools with it', async () => {
    const bare = await postJson(`${locked.url}/mcp`, { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { accept: 'application/json, text/event-stream' });
    expect(bare.status).toBe(401);
    const client = new Client({ name: 'archivist-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${locked.url}/mcp`), { requestInit: { headers: { authorization: 'Bearer reader-secret' } } }),
    );
    expect((await client.listTools()).tools).toHaveLength(4);
    await client.close();
  });
});
