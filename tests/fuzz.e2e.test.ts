/**
 * Property-based fuzzing of POST /api/chat and POST /api/chat/stream on the real server
 * (fast-check, 1,150 cases a run): random JSON shapes, chat-shaped bodies full of hostile
 * strings, deep nesting, raw bytes, wrong content types and encodings. Never a 5xx, errors keep
 * our JSON shape without a stack trace, and the server keeps answering the seed question.
 * A failure prints fast-check's seed and the smallest body it shrank to.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { seedServer } from './helpers.js';
import { raw, sseEvents, type RawResponse } from './rawHttp.js';

const QUESTION = 'Who is the Russian defense minister who visited Beijing?';
const ROUTES = ['/api/chat', '/api/chat/stream'] as const;
type Route = (typeof ROUTES)[number];

let srv: Awaited<ReturnType<typeof seedServer>>;
let cases = 0;
/** Statuses seen in the current test: each test checks its own cases reached what it aims at. */
let statuses = new Map<number, number>();
beforeAll(async () => {
  // No rate limit: the fuzzer is one client sending a thousand requests a minute on purpose.
  srv = await seedServer({ RATE_LIMIT_PER_MINUTE: '0' });
});
beforeEach(() => {
  statuses = new Map();
});
afterAll(async () => {
  await srv?.close();
});

/** Fails unless this test's cases got each of these statuses at least once. */
function reached(...wanted: number[]) {
  for (const status of wanted) expect(statuses.get(status) ?? 0, `${status} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
}

const post = (route: Route, body: string | Buffer | undefined, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  raw(srv.url, { method: 'POST', path: route, headers, body });

/** What every response must look like, whatever was sent. */
function checkResponse(route: Route, res: RawResponse) {
  cases++;
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  expect(res.status, res.text.slice(0, 300)).toBeLessThan(500);
  expect(res.text).not.toMatch(/\bat .*\.(ts|js):\d+/); // no stack trace
  const ct = String(res.headers['content-type'] ?? '');
  if (res.status === 200 && route === '/api/chat/stream') {
    expect(ct).toMatch(/^text\/event-stream/);
    const events = sseEvents(res.text);
    const last = events.at(-1);
    expect(['done', 'error']).toContain(last?.event);
    if (last?.event === 'error') expect(last.data.code).not.toBe('internal');
  } else if (res.status === 200) {
    expect(res.json).toMatchObject({ answer: expect.any(String), found: expect.any(Boolean), quotes: expect.any(Array) });
  } else {
    expect([400, 413, 415]).toContain(res.status);
    expect(ct).toMatch(/^application\/json/);
    expect(res.json.error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
  }
}

/** The seed question still gets its Belousov answer on both routes. */
async function stillAnswers() {
  const chat = await post('/api/chat', JSON.stringify({ question: QUESTION }));
  expect(chat.status).toBe(200);
  expect(chat.json.answer).toContain('Belousov');
  expect(chat.json.quotes.some((q: { text: string }) => q.text.includes('Belousov'))).toBe(true);
  const stream = await post('/api/chat/stream', JSON.stringify({ question: QUESTION }));
  expect(stream.status).toBe(200);
  const quotes = sseEvents(stream.text).find((e) => e.event === 'quotes');
  expect(quotes?.data.answer).toContain('Belousov');
}

/** Every 50th case, the next valid request must be answered correctly. */
async function every50() {
  if (cases % 50 === 0) await stillAnswers();
}

const EDGE = [
  '\uD800',
  '\uDFFF',
  'a\uD83D',
  '\uDE00b', // lone surrogates
  '\u202E',
  '\u200F',
  '\u202B',
  'שלום עולם \u200F?', // right-to-left marks and text
  '\u200B',
  '\u200C',
  '\u200D',
  '\u2060',
  '\uFEFF', // zero-width characters, BOM
  '👩‍👩‍👧‍👦',
  '🇺🇦',
  '🏳️‍🌈',
  '\u{1F600}'.repeat(300), // emoji, ZWJ sequences, many astral characters
  'e\u0301'.repeat(400),
  'Z\u0351\u0352\u0353\u0354'.repeat(100), // combining marks
  '\u0000',
  '\u0007\b\f\v',
  '\r\n\r\n',
  ' \t ',
  '\u00A0\u2028\u2029', // control, separators
  '<script>alert(1)</script>',
  "'; DROP TABLE articles; --",
  '{{constructor.constructor("x")()}}',
  '../../../etc/passwd',
  '__proto__',
  'constructor',
  'x'.repeat(2000),
  'x'.repeat(2001),
  'Belousov '.repeat(222),
  '\uFFFD\uFFFF\uFFFE',
];

const hostile = fc.oneof(
  fc.constantFrom(...EDGE),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.array(fc.constantFrom(...EDGE, 'Belousov', 'Beijing', ' '), { maxLength: 8 }).map((parts) => parts.join('')),
  fc.string({ maxLength: 40 }).map((s) => `${QUESTION}${s}`),
  fc.integer({ min: 1990, max: 2010 }).map((n) => 'q'.repeat(n)),
);

const anyValue = fc.oneof(hostile, fc.jsonValue({ maxDepth: 3 }));

const chatShaped = fc.record(
  {
    question: fc.oneof({ weight: 4, arbitrary: hostile }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
    history: fc.oneof(
      fc.array(fc.record({ role: fc.constantFrom('user', 'assistant', 'system', '', 'USER'), content: anyValue }, { requiredKeys: [] }), { maxLength: 45 }),
      fc.jsonValue({ maxDepth: 2 }),
    ),
    since: fc.oneof(fc.constantFrom('2024-10-14', '2024-13-45', '0000-00-00', '99999-01-01', 'yesterday', ''), anyValue),
    until: fc.oneof(fc.constantFrom('2024-10-15', '1970-01-01', 'not a date'), anyValue),
    sources: fc.oneof(fc.array(hostile, { maxLength: 120 }), anyValue),
    __proto__: fc.jsonValue({ maxDepth: 1 }),
    extra: anyValue,
  },
  { requiredKeys: ['question'] },
);

/** Bodies the schema accepts apart from the question itself: these reach the model and the index. */
const validShaped = fc.record(
  {
    question: hostile,
    history: fc.array(fc.record({ role: fc.constantFrom('user' as const, 'assistant' as const), content: hostile }), { maxLength: 6 }),
    since: fc.constantFrom('2024-10-14', '2000-01-01', '2024-10-14T00:00:00Z'),
    until: fc.constantFrom('2024-10-15', '2030-12-31'),
    sources: fc.array(
      fc.oneof(
        fc.constant('https://www.themoscowtimes.com/'),
        hostile.filter((x) => x.length > 0 && x.length <= 2000),
      ),
      { maxLength: 3 },
    ),
  },
  { requiredKeys: ['question'] },
);

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'application/json; charset=bogus',
  'application/vnd.api+json',
  'application/json',
  'APPLICATION/JSON',
  '*/*',
  'application/',
  ';;;',
];

const rawCase = fc.record({
  route: fc.constantFrom(...ROUTES),
  contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
  encoding: fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'bogus'), { nil: undefined }),
  body: fc.oneof(
    fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
    fc.constantFrom(
      Buffer.from([0xc0, 0xaf]),
      Buffer.from([0xff, 0xfe, 0x7b, 0x00]),
      Buffer.from('{"question": "\\ud800"}'),
      Buffer.from('{"question":"a","question":"b"}'),
    ),
    fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v) ?? '')),
    fc.constant(Buffer.from(JSON.stringify({ question: QUESTION }))),
  ),
});

describe('fuzzing the chat routes', () => {
  it.each(ROUTES)('%s: random JSON values never give a 5xx', async (route) => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue({ maxDepth: 5 }), fc.anything({ maxDepth: 3 })), async (value) => {
        const body = JSON.stringify(value);
        checkResponse(route, await post(route, body));
        await every50();
      }),
      { numRuns: route === '/api/chat' ? 300 : 200 },
    );
    reached(400);
    await stillAnswers();
  });

  it.each(ROUTES)('%s: chat-shaped bodies with hostile strings never give a 5xx', async (route) => {
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 2, arbitrary: validShaped }, { weight: 1, arbitrary: chatShaped }), async (body: { question: unknown }) => {
        const res = await post(route, JSON.stringify(body));
        checkResponse(route, res);
        const q = typeof body.question === 'string' ? body.question.trim() : undefined;
        if (q === undefined || q === '' || q.length > 2000) expect(res.status).toBe(400);
        await every50();
      }),
      { numRuns: route === '/api/chat' ? 250 : 100 },
    );
    reached(200, 400);
    await stillAnswers();
  });

  it('deep nesting, up to the body limit and past it, never gives a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ROUTES),
        fc.integer({ min: 1, max: 60_000 }),
        fc.constantFrom('[', '{"a":', '{"question":'),
        async (route, depth, open) => {
          const close = open === '[' ? ']' : '}';
          const body = `${open.repeat(depth)}${open === '[' ? '' : '1'}${close.repeat(depth)}`;
          checkResponse(route, await post(route, body));
          await every50();
        },
      ),
      { numRuns: 50 },
    );
    reached(400, 413);
    await stillAnswers();
  });

  it('raw bytes, wrong content types and encodings never give a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(rawCase, async ({ route, contentType, encoding, body }) => {
        const headers: Record<string, string> = {};
        if (contentType) headers['content-type'] = contentType;
        if (encoding) headers['content-encoding'] = encoding;
        const res = await post(route, body, headers);
        checkResponse(route, res);
        if (!contentType || !/json/i.test(contentType)) expect(res.status).toBeGreaterThanOrEqual(400);
        await every50();
      }),
      { numRuns: 250 },
    );
    reached(400, 415);
    await stillAnswers();
  });
});
