/** "At most N characters" counts code points the same way on /api/chat and /v1: an emoji is one. */
import { describe, expect, it } from 'vitest';
import { completionSchema, toAsk } from '../src/server/openaiChat.js';
import { chatSchema, parse } from '../src/server/schemas.js';

const limits = { maxQuestionChars: 2000, maxHistoryTurns: 6 };
const emoji = (n: number) => '📰'.repeat(n);
const viaChat = (q: string) => parse(chatSchema(limits), { question: q }, 'chat').question;
const viaV1 = (q: string) =>
  toAsk(parse(completionSchema(limits), { model: 'archivist', messages: [{ role: 'user', content: q }] }, 'chat.completions'), limits).question;

describe('question length', () => {
  it.each([
    ['/api/chat', viaChat],
    ['/v1', viaV1],
  ])('%s takes 1,500 emoji (3,000 UTF-16 units) and refuses 2,001', (_route, ask) => {
    expect(ask(emoji(1500))).toBe(emoji(1500));
    expect(ask(emoji(2000))).toBe(emoji(2000));
    expect(() => ask(emoji(2001))).toThrow(/at most 2000 characters/);
  });
});
