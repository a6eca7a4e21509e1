/** The judgments `npm run eval -- --feedback` applies to an answer asked again. */
import { writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AskResult } from '../src/archive.js';
import { quotesCorrection, quotesSamePassage, readFeedbackFile } from '../src/eval/feedback.js';
import { tempDir } from './helpers.js';

const result = (found: boolean, quotes: { articleId: string; start: number; end: number; text: string }[]) =>
  ({ found, quotes: quotes.map((q, i) => ({ ...q, n: i + 1, title: 't', score: 1 })), passages: [] }) as unknown as AskResult;

describe('quotesSamePassage', () => {
  const judged = [{ articleId: 'a', start: 100, end: 200, text: 'x' }];
  it.each([
    ['an overlapping quote of the same article', result(true, [{ articleId: 'a', start: 150, end: 250, text: 'y' }]), true],
    ['a quote of the same article elsewhere', result(true, [{ articleId: 'a', start: 200, end: 260, text: 'y' }]), false],
    ['the same offsets in another article', result(true, [{ articleId: 'b', start: 100, end: 200, text: 'x' }]), false],
    ['no quote at all', result(false, []), false],
  ])('holds for %s: %s', (_name, now, want) => {
    expect(quotesSamePassage(judged, now)).toBe(want);
  });
  it('holds a judged refusal only while it still refuses', () => {
    expect(quotesSamePassage([], result(false, []))).toBe(true);
    expect(quotesSamePassage([], result(true, [{ articleId: 'a', start: 0, end: 5, text: 'Hello' }]))).toBe(false);
  });
});

describe('quotesCorrection', () => {
  it('finds the correction in a quote, case and spacing aside', () => {
    const now = result(true, [{ articleId: 'a', start: 0, end: 40, text: 'The council voted 7-2 in favour of the\nextension.' }]);
    expect(quotesCorrection('7-2', now)).toBe(true);
    expect(quotesCorrection('IN  FAVOUR of the extension', now)).toBe(true);
    expect(quotesCorrection('8-1', now)).toBe(false);
  });
});

describe('readFeedbackFile', () => {
  it('reads the exported lines and names a bad one by its number', async () => {
    const dir = await tempDir();
    try {
      const good = { answerId: 'x', question: 'Who?', asOf: '2025-10-31', history: [], filter: null, quotes: [], passages: [], rating: 'up' };
      await writeFile(join(dir, 'ok.jsonl'), `${JSON.stringify(good)}\n\n`);
      expect(await readFeedbackFile(join(dir, 'ok.jsonl'))).toMatchObject([{ question: 'Who?', rating: 'up' }]);
      await writeFile(join(dir, 'bad.jsonl'), `${JSON.stringify(good)}\n${JSON.stringify({ ...good, rating: 'meh' })}\n`);
      await expect(readFeedbackFile(join(dir, 'bad.jsonl'))).rejects.toThrow(/line 2: rating/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
