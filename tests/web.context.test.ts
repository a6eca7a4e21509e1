/**
 * The page's context cutter and conversation history (src/web/context.js, conversation.js):
 * pure functions, no browser.
 */
import { describe, expect, it } from 'vitest';
import { cutContext, withoutBoilerplate } from '../src/web/context.js';
import { createConversation, historyFor, type Turn } from '../src/web/conversation.js';

const ARTICLE =
  'Moscow and Beijing pledged closer ties. The visit was announced on Sunday. ' +
  'Defense Minister Andrei Belousov arrived in Beijing on Monday. He met his Chinese counterpart the next day. ' +
  'Talks covered joint exercises and arms trade.';

const around = (text: string, quote: string, chars?: number) => {
  const start = text.indexOf(quote);
  return cutContext(text, start, start + quote.length, 0, chars);
};

describe('cutContext', () => {
  it('returns the whole text around the quote when it is short enough', () => {
    const quote = 'Andrei Belousov arrived in Beijing on Monday.';
    const { before, after } = around(ARTICLE, quote);
    expect(before + quote + after).toBe(ARTICLE);
  });

  it('cuts at sentence boundaries when the window ends mid-text', () => {
    const quote = 'Defense Minister Andrei Belousov arrived in Beijing on Monday.';
    const { before, after } = around(ARTICLE, quote, 50);
    expect(before).toBe('The visit was announced on Sunday. ');
    expect(after).toBe(' He met his Chinese counterpart the next day.');
  });

  it('falls back to whole words and an ellipsis when no sentence ends within the window', () => {
    const words = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');
    const text = `${words} QUOTE ${words}`;
    const { before, after } = around(text, 'QUOTE', 40);
    expect(before.startsWith('…')).toBe(true);
    expect(after.endsWith('…')).toBe(true);
    expect(before.slice(1)).toMatch(/^word\d+ /); // no half word after the ellipsis
    expect(after.slice(0, -1)).toMatch(/ word\d+$/);
    expect(before.length).toBeLessThanOrEqual(41);
  });

  it('works on a passage that starts at `base` in the article, and tidies whitespace', () => {
    const passage = 'First line.\n\n   Second  line has   the quote here.\nThird.';
    const base = 1000;
    const start = base + passage.indexOf('the quote');
    const { before, after } = cutContext(passage, start, start + 'the quote'.length, base);
    expect(before).toBe('First line.\nSecond line has ');
    expect(after).toBe(' here.\nThird.');
  });
});

describe('the conversation store', () => {
  const memory = () => {
    const m = new Map<string, string>();
    return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
  };
  const done = (question: string, answer: string): Turn => ({ id: question, question, answer, status: 'done', sources: [], quotes: [] });

  it('sends only finished turns as history, the last eight exchanges', () => {
    const turns = [...Array.from({ length: 10 }, (_, i) => done(`q${i}`, `a${i}`)), { ...done('q10', ''), status: 'error' as const }];
    const history = historyFor(turns);
    expect(history).toHaveLength(16);
    expect(history[0]).toEqual({ role: 'user', content: 'q2' });
    expect(history.at(-1)).toEqual({ role: 'assistant', content: 'a9' });
  });

  it('survives a reload without passage texts, and a turn cut off mid-stream comes back stopped', () => {
    const storage = memory();
    const first = createConversation(storage);
    const turn = first.start('Who visited Beijing?');
    turn.passages = [{ articleId: 'a', title: 't', start: 0, end: 4, text: 'long' }];
    first.save();
    const again = createConversation(storage);
    expect(again.turns).toHaveLength(1);
    expect(again.turns[0].status).toBe('stopped');
    expect(again.turns[0].passages).toBeUndefined();
    again.clear();
    expect(createConversation(storage).turns).toEqual([]);
  });
});

describe('withoutBoilerplate', () => {
  it('blanks the marked lines as line breaks, keeping every offset, so a cut context leaves them out', () => {
    const text = 'The bridge reopened on Monday.\nPhoto: Jonas Keel\nThe repairs cost 38 million euros.\nRelated article: [Ferries](#)\nTraffic returned.';
    const marks: [number, number][] = ['Photo: Jonas Keel', 'Related article: [Ferries](#)'].map((l) => [text.indexOf(l), text.indexOf(l) + l.length]);
    const masked = withoutBoilerplate(text, marks);
    expect(masked).toHaveLength(text.length);
    const quote = 'The repairs cost 38 million euros.';
    const start = masked.indexOf(quote);
    expect(start).toBe(text.indexOf(quote));
    const { before, after } = cutContext(masked, start, start + quote.length);
    expect(before).toBe('The bridge reopened on Monday.\n');
    expect(after).toBe('\nTraffic returned.');
  });

  it('leaves the text as it is without marks, and ignores marks that are not ranges', () => {
    expect(withoutBoilerplate('Some text.', undefined)).toBe('Some text.');
    expect(withoutBoilerplate('Some text.', [['a', 2], [3]])).toBe('Some text.');
  });
});
