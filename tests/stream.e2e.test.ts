/** POST /api/chat/stream on the real model, index and HTTP server, read with fetch as a stream. */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { NOT_FOUND } from '../src/answering/answer.js';
import { AppError } from '../src/errors.js';
import type { Archive } from '../src/archive.js';
import { createApp } from '../src/server/app.js';
import { wordPieces } from '../src/server/sse.js';
import { listen, postJson, quiet, seedServer } from './helpers.js';

const QUESTION = 'Who is the Russian defense minister who visited Beijing?';

interface Event {
  event: string;
  data: any;
}

/** Reads Server-Sent Events off a fetch body; `until` may stop early (the reader is then cancelled). */
async function readEvents(res: Response, until?: (e: Event) => boolean): Promise<Event[]> {
  const events: Event[] = [];
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      const e = { event, data: JSON.parse(data) };
      events.push(e);
      if (until?.(e)) {
        await reader.cancel();
        return events;
      }
    }
  }
  return events;
}

const stream = (url: string, body: unknown, signal?: AbortSignal) =>
  fetch(`${url}/api/chat/stream`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });

let srv: Awaited<ReturnType<typeof seedServer>>;
beforeAll(async () => {
  srv = await seedServer();
});
afterAll(async () => srv?.close());

describe('wordPieces', () => {
  it.each([
    ['Andrei Belousov. “Russian Defense” [1]', ['Andrei ', 'Belousov. ', '“Russian ', 'Defense” ', '[1]']],
    ['  leading and trailing  ', ['  leading ', 'and ', 'trailing  ']],
    ['one', ['one']],
    ['a\n\nb', ['a\n\n', 'b']],
    ['', []],
  ])('splits %j into word-sized pieces that join back to it', (text, pieces) => {
    expect(wordPieces(text)).toEqual(pieces);
    expect(wordPieces(text).join('')).toBe(text);
  });
});

describe('POST /api/chat/stream', () => {
  it('streams sources, then the answer in pieces, then quotes, then done', async () => {
    const res = await stream(srv.url, { question: QUESTION });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const events = await readEvents(res);
    const names = events.map((e) => e.event);
    expect(names[0]).toBe('sources');
    expect(names.at(-2)).toBe('quotes');
    expect(names.at(-1)).toBe('done');
    expect(names.slice(1, -2).every((n) => n === 'delta')).toBe(true);

    const { passages } = events[0].data;
    expect(passages.length).toBeGreaterThan(0);
    for (const p of passages) {
      expect(Object.keys(p).sort()).toEqual(['articleId', 'chunkId', 'date', 'end', 'score', 'start', 'text', 'title', 'url']);
      const article = await srv.archive.store.getArticle(p.articleId);
      expect(article!.text.slice(p.start, p.end)).toBe(p.text);
    }

    const deltas = events.filter((e) => e.event === 'delta').map((e) => e.data.text as string);
    expect(deltas.length).toBeGreaterThan(5);
    expect(deltas.every((d) => d.trim().split(/\s+/).length === 1)).toBe(true);
    const final = events.at(-2)!.data;
    expect(deltas.join('')).toBe(final.answer);
    expect(final.found).toBe(true);
    expect(final.query).toBe(QUESTION);
    expect(final.answer).toContain('Belousov');
    expect(final.answer.startsWith(final.short.text)).toBe(true);
    const quote = final.quotes.find((q: any) => q.text.includes('Belousov'));
    expect(quote).toMatchObject({
      n: 1,
      title: expect.stringContaining('Moscow and Beijing'),
      date: '2024-10-14',
      url: expect.stringMatching(/^https:\/\/www\.themoscowtimes\.com\//),
    });
    const article = await srv.archive.store.getArticle(quote.articleId);
    expect(article!.text.slice(quote.start, quote.end)).toBe(quote.text);
    const shortIn = await srv.archive.store.getArticle(final.short.articleId);
    expect(shortIn!.text.slice(final.short.start, final.short.end)).toBe(final.short.text);

    expect(events.at(-1)!.data.timings.totalMs).toBeGreaterThan(0);
  });

  it('answers the same as POST /api/chat', async () => {
    const events = await readEvents(await stream(srv.url, { question: 'Who did Belousov meet in Beijing?' }));
    const json = (await postJson(`${srv.url}/api/chat`, { question: 'Who did Belousov meet in Beijing?' })).json;
    const final = events.find((e) => e.event === 'quotes')!.data;
    expect(final.answer).toBe(json.answer);
    expect(final.quotes).toEqual(json.quotes);
    expect(events[0].data.passages).toEqual(json.passages);
  });

  it('uses the history for a follow-up', async () => {
    const events = await readEvents(
      await stream(srv.url, {
        question: 'When did he arrive?',
        history: [
          { role: 'user', content: QUESTION },
          { role: 'assistant', content: 'Andrei Belousov.' },
        ],
      }),
    );
    const final = events.find((e) => e.event === 'quotes')!.data;
    expect(final.query).toContain('Belousov');
    expect(final.answer).toContain('Monday');
  });

  it('streams the plain refusal with no quotes when the articles do not say', async () => {
    const events = await readEvents(await stream(srv.url, { question: 'What is the capital of France?' }));
    const final = events.find((e) => e.event === 'quotes')!.data;
    expect(final.found).toBe(false);
    expect(final.quotes).toEqual([]);
    expect(
      events
        .filter((e) => e.event === 'delta')
        .map((e) => e.data.text)
        .join(''),
    ).toBe(NOT_FOUND);
    expect(events.at(-1)!.event).toBe('done');
  });

  it.each([
    ['a missing question', {}],
    ['an empty question', { question: '  ' }],
    ['a bad history role', { question: 'Who?', history: [{ role: 'system', content: 'x' }] }],
  ])('answers %s with a JSON 400 before streaming', async (_name, body) => {
    const res = await postJson(`${srv.url}/api/chat/stream`, body);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json.error.code).toBe('bad_request');
  });
});

describe('POST /api/chat/stream when things go wrong', () => {
  /** The real archive, with `ask` observed (or failing after retrieval) but otherwise untouched. */
  async function serve(wrap: (ask: Archive['ask']) => Archive['ask']) {
    const archive = { ...srv.archive, ask: wrap(srv.archive.ask) } as Archive;
    return listen(createApp({ archive, config: srv.config, logger: quiet }));
  }

  it('stops the work when the client disconnects', async () => {
    // The answer is held back until the request is cancelled (or 10 s pass), so the test sees
    // the cancellation reach the work while it is still running, not after it finished. The
    // pipeline itself may already stop at its next stage (a cancelled error), which counts too.
    let cancelledWhileWorking: boolean | undefined;
    const http = await serve((ask) => async (input) => {
      const result = await ask(input).catch((e: unknown) => {
        cancelledWhileWorking = input.signal?.aborted && (e as AppError).code === 'cancelled';
        throw e;
      });
      await new Promise<void>((resolve) => {
        if (input.signal?.aborted) return resolve();
        input.signal?.addEventListener('abort', () => resolve(), { once: true });
        setTimeout(resolve, 10_000);
      });
      cancelledWhileWorking = input.signal?.aborted;
      return result;
    });
    try {
      const controller = new AbortController();
      const res = await stream(http.url, { question: QUESTION }, controller.signal);
      const events = await readEvents(res, (e) => e.event === 'sources');
      expect(events.map((e) => e.event)).toEqual(['sources']);
      const t0 = Date.now();
      controller.abort();
      await vi.waitFor(() => expect(cancelledWhileWorking).toBe(true), { timeout: 5000 });
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      await http.close();
    }
  });

  it('does not cancel a request whose client stays to the end', async () => {
    let signal: AbortSignal | undefined;
    const http = await serve((ask) => (input) => {
      signal = input.signal;
      return ask(input);
    });
    try {
      const events = await readEvents(await stream(http.url, { question: QUESTION }));
      expect(events.at(-1)!.event).toBe('done');
      await new Promise((r) => setTimeout(r, 50));
      expect(signal?.aborted).toBe(false);
    } finally {
      await http.close();
    }
  });

  it('answers a failure before the first event with a JSON error and its status', async () => {
    const http = await serve(() => async () => {
      throw new AppError('unavailable', 'chat: the index is being rebuilt');
    });
    try {
      const res = await postJson(`${http.url}/api/chat/stream`, { question: QUESTION });
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.json.error).toEqual({ code: 'unavailable', message: 'chat: the index is being rebuilt' });
    } finally {
      await http.close();
    }
  });

  it('sends event: error with a message, and no stack, when answering fails mid-stream', async () => {
    const http = await serve(
      (ask) => (input) =>
        ask({
          ...input,
          onPassages: (p) => {
            input.onPassages?.(p);
            throw new Error('disk on fire at /secret/path.ts:12');
          },
        }),
    );
    try {
      const res = await stream(http.url, { question: QUESTION });
      expect(res.status).toBe(200);
      const events = await readEvents(res);
      expect(events.map((e) => e.event)).toEqual(['sources', 'error']);
      expect(events[1].data).toEqual({ code: 'internal', message: 'chat: internal error' });
    } finally {
      await http.close();
    }
  });
});
