/** The OpenAI protocol mapping without a model: request → question and history, answer → content. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { bootingHandler } from '../src/server/booting.js';
import { completionSchema, messageContent, toAsk } from '../src/server/openaiChat.js';
import { answerFields } from '../src/present/output.js';
import { answerer } from '../src/server/routes/openai.js';

const limits = { maxQuestionChars: 100, maxHistoryTurns: 2 };
const body = (messages: unknown[]) => completionSchema(limits).parse({ model: 'archivist', messages });

describe('toAsk', () => {
  it('takes the last user message as the question and earlier user/assistant turns as history', () => {
    const r = toAsk(
      body([
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Who visited Beijing?' },
        { role: 'assistant', content: 'Andrei Belousov. [1]\n\nSources:\n[1] "Russian Defense Minister …" — Title, 2024-10-14, https://x' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'When did ' },
            { type: 'image_url', image_url: { url: 'data:' } },
            { type: 'text', text: 'he arrive?' },
          ],
        },
      ]),
      limits,
    );
    expect(r).toEqual({
      question: 'When did he arrive?',
      history: [
        { role: 'user', content: 'Who visited Beijing?' },
        { role: 'assistant', content: 'Andrei Belousov. [1]' },
      ],
    });
  });

  it('keeps the last MAX_HISTORY_TURNS exchanges of a long conversation', () => {
    const turns = Array.from({ length: 10 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}` }));
    const r = toAsk(body([...turns, { role: 'user', content: 'And then?' }]), limits);
    expect(r.history!.map((t) => t.content)).toEqual(['turn 6', 'turn 7', 'turn 8', 'turn 9']);
  });

  it.each([
    [
      "the last message is not the user's",
      [
        { role: 'user', content: 'Q?' },
        { role: 'assistant', content: 'A' },
      ],
      'messages.1.role',
    ],
    ['the question is empty', [{ role: 'user', content: '   ' }], 'messages.0.content'],
    ['the question is too long', [{ role: 'user', content: 'x'.repeat(101) }], 'messages.0.content'],
  ])('refuses when %s, naming %s', (_name, messages, param) => {
    const err = (() => {
      try {
        toAsk(body(messages), limits);
      } catch (e) {
        return e;
      }
    })() as AppError;
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'bad_request', param });
    expect(err.message).toContain(param);
  });
});

describe('messageContent', () => {
  it('appends one plain-text source line per quote, leaving out what a quote lacks', () => {
    const quote = { n: 1, text: 'It rained.', articleId: 'a', title: 'Weather', start: 0, end: 10, score: 1 };
    expect(
      messageContent({
        answer: 'Rain [1] [2]',
        quotes: [
          { ...quote, date: '2024-01-02', url: 'https://w' },
          { ...quote, n: 2 },
        ],
      }),
    ).toBe('Rain [1] [2]\n\nSources:\n[1] "It rained." — Weather, 2024-01-02, https://w\n[2] "It rained." — Weather');
  });

  it('is the answer alone when there are no quotes (a refusal)', () => {
    expect(messageContent({ answer: "I couldn't find that in the articles.", quotes: [] })).toBe("I couldn't find that in the articles.");
  });
});

describe('answerFields', () => {
  const base = { found: true, query: 'q', quotes: [] };
  it('carries who wrote the answer and its warning when a generator model is configured', () => {
    expect(answerFields({ ...base, generator: 'extractive', warning: 'the model did not answer in time' })).toEqual({
      ...base,
      generator: 'extractive',
      warning: 'the model did not answer in time',
    });
  });
  it('leaves them out for the extractive answerer alone', () => {
    expect(answerFields(base)).toEqual(base);
  });
});

describe('answerer', () => {
  it.each<[Parameters<typeof answerer>[0], ReturnType<typeof answerer>]>([
    [{ generator: 'extractive', llmModel: undefined }, { answerer: 'extractive' }],
    [{ generator: 'extractive', llmModel: 'llama3.2' }, { answerer: 'extractive' }],
    [
      { generator: 'openai', llmModel: 'llama3.2' },
      { answerer: 'openai', model: 'llama3.2' },
    ],
    [
      { generator: 'openai', llmModel: undefined },
      { answerer: 'openai', model: null },
    ],
  ])('reads %j as %j', (config, want) => {
    expect(answerer(config)).toEqual(want);
  });
});

describe('while the server starts', () => {
  it("answers /v1 with a 503 in OpenAI's error shape that the openai client reads", async () => {
    const server = createServer(bootingHandler(() => 'loading the model'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'x', maxRetries: 0 });
      const err = await client.models.list().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(OpenAI.InternalServerError);
      expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
      expect((err as InstanceType<typeof OpenAI.APIError>).error).toEqual({
        message: 'starting: loading the model; try again shortly',
        type: 'server_error',
        param: null,
        code: 'unavailable',
      });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
