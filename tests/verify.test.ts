/** verifyAnswer and buildPrompt over the real seed article, chunked by the real chunker. */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Article } from '../src/corpus/article.js';
import { loadCorpus } from '../src/corpus/load.js';
import { chunkArticle } from '../src/ingest/chunk.js';
import type { Passage } from '../src/answering/retrieve.js';
import { buildPrompt, estimateTokens, isRefusal, NO_ANSWER } from '../src/answering/prompt.js';
import { normalise, verifyAnswer } from '../src/answering/verify.js';
import { SEEDS } from './helpers.js';

let article: Article;
let passages: Passage[];
beforeAll(async () => {
  [article] = (await loadCorpus(SEEDS)).articles;
  const chunks = chunkArticle(article, { chunkSize: 800, chunkOverlap: 100 });
  passages = chunks.map((c, i) => ({ chunkId: `c${i}`, article, start: c.start, end: c.end, text: article.text.slice(c.start, c.end), score: 1 / (i + 1) }));
});

describe('normalise', () => {
  it.each([
    ['“a”  –  ‘b’', '"a" - \'b\''],
    ['  x\n\t y ', 'x y '],
    ['co—op', 'co-op'],
  ])('turns %j into %j and remembers where each character came from', (input, output) => {
    const n = normalise(input);
    expect(n.text).toBe(output);
    expect(n.from).toHaveLength(output.length);
    n.from.forEach((i, k) => {
      if (output[k] !== ' ') expect(/\s/.test(input[i])).toBe(false);
    });
  });
});

describe('verifyAnswer', () => {
  it('maps a quote with different white space and quote marks to the exact article span', () => {
    const modelQuote = 'Under the strong leadership of President Xi Jinping and\n President [Vladimir] Putin, China–Russia relations';
    const { quotes, verification } = verifyAnswer(`“${modelQuote}” [2]`, passages, passages);
    expect(verification).toMatchObject({ quotes: 1, verified: 1, removed: 0 });
    const q = quotes[0];
    expect(article.text.slice(q.start, q.end)).toBe(q.text);
    expect(q.text).toBe('Under the strong leadership of President Xi Jinping and President [Vladimir] Putin, China-Russia relations');
  });

  it('gives a verified quote cited with a passage that does not exist its own number, and counts the bad citation', () => {
    const quote = 'Andrei Belousov arrived in Beijing Monday';
    const r = verifyAnswer(`“${quote}” [${passages.length + 5}]`, passages, passages);
    expect(r.answer).toBe(`“${quote}” [1]`);
    expect(r.verification).toMatchObject({ quotes: 1, verified: 1, citationsRemoved: 1 });
  });

  it('finds a quote in another passage than the one cited', () => {
    const last = passages.at(-1)!;
    const words = last.text.trim().split(/\s+/).slice(0, 6).join(' ');
    const { quotes } = verifyAnswer(`“${words}” [1]`, [passages[0]], passages);
    expect(quotes).toHaveLength(1);
    expect(quotes[0].start).toBeGreaterThanOrEqual(last.start);
  });

  it.each([
    ['a changed word', '“Russian Defense Minister Andrei Belousov arrived in Moscow Monday” [1]'],
    ['words from two places joined', '“Belousov arrived in Beijing Monday for strengthening military cooperation” [1]'],
    ['a different case', '“RUSSIAN DEFENSE MINISTER ANDREI BELOUSOV” [1]'],
  ])('does not verify %s', (_name, answer) => {
    const r = verifyAnswer(answer, passages, passages);
    expect(r.quotes).toEqual([]);
    expect(r.verification).toMatchObject({ quotes: 1, verified: 0, removed: 1, citationsRemoved: 1 });
    expect(r.answer).not.toMatch(/\[\d+\]/);
  });

  it.each([
    [
      'in the middle of its sentence',
      'Then “Belousov flew to the Moon on a rocket” [2] they said.',
      'Then “Belousov flew to the Moon on a rocket” [2] they said.',
    ],
    ['ending its sentence inside the quote', 'Then “Belousov flew to the Moon on a rocket.” [2]', 'Then “Belousov flew to the Moon on a rocket.” [2]'],
    ['after a citation with no full stop', 'Then “Belousov flew to the Moon on a rocket” [2]', 'Then “Belousov flew to the Moon on a rocket” [2]'],
    ['in straight quotes, on its own line', '\nHe said "Belousov flew to the Moon on a rocket"\n', 'He said "Belousov flew to the Moon on a rocket"'],
  ])('leaves the sentence of an unverified quote %s out of the answer and lists it', (_name, invented, listed) => {
    const real = 'Andrei Belousov arrived in Beijing Monday';
    const answer = `Belousov came. “${real}” [1] ${invented} Dong Jun met him [1].`;
    const r = verifyAnswer(answer, passages, passages);
    expect(r.answer.replace(/\s+/g, ' ')).toBe(`Belousov came. “${real}” [1] Dong Jun met him [1].`);
    expect(r.answer).not.toContain('Moon');
    expect(r.verification).toMatchObject({ quotes: 2, verified: 1, removed: 1, unverified: [listed] });
  });

  it('gives a quote repeated twice one number, and points a bare citation of its article at it', () => {
    const quote = 'Andrei Belousov arrived in Beijing Monday';
    const weather: Article = { ...article, id: 'weather', title: 'Weather', text: 'Rain is expected in Oslo on Tuesday.', hash: 'w' };
    const other: Passage = { chunkId: 'w0', article: weather, start: 0, end: weather.text.length, text: weather.text, score: 0.1 };
    const cited = [...passages, other];
    const answer = `Belousov came [2]. “${quote}” [1], as said: “${quote}” [1]. Rain [${cited.length}]. Also [${cited.length + 1}].`;
    const r = verifyAnswer(answer, cited, cited);
    expect(r.quotes).toHaveLength(1);
    // [2] is another passage of the quoted article; the weather passage gave no quote; the last names no passage.
    expect(r.answer).toBe(`Belousov came [1]. “${quote}” [1], as said: “${quote}” [1]. Rain. Also.`);
    expect(r.verification).toMatchObject({ quotes: 2, verified: 2, removed: 0, citationsRemoved: 2 });
  });
});

describe('buildPrompt', () => {
  it('keeps the passages within the context budget, in retrieval order, numbered', () => {
    const wide = buildPrompt({ question: 'Who?', passages, budget: { contextTokens: 100000, maxTokens: 512 } });
    expect(wide.passages).toEqual(passages);
    const tight = buildPrompt({ question: 'Who?', passages, budget: { contextTokens: 900, maxTokens: 256 } });
    expect(tight.passages.length).toBeGreaterThan(0);
    expect(tight.passages.length).toBeLessThan(passages.length);
    expect(tight.passages).toEqual(passages.slice(0, tight.passages.length));
    const used = tight.messages.reduce((s, m) => s + estimateTokens(String(m.content)), 0);
    expect(used + 256).toBeLessThanOrEqual(900);
    expect(tight.messages[0].content).toContain(`[1] ${article.title}`);
  });

  it('keeps the newest turns of the conversation that fit', () => {
    const history = [
      { role: 'user' as const, content: 'x'.repeat(5000) },
      { role: 'assistant' as const, content: 'an old answer' },
      { role: 'user' as const, content: 'Who visited Beijing?' },
      { role: 'assistant' as const, content: 'Andrei Belousov.' },
    ];
    const { messages } = buildPrompt({ question: 'When did he arrive?', history, passages, budget: { contextTokens: 4096, maxTokens: 512 } });
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages.slice(1).map((m) => m.content)).toEqual(['Who visited Beijing?', 'Andrei Belousov.', 'When did he arrive?']);
  });
});

describe('isRefusal', () => {
  it.each([
    [NO_ANSWER, true],
    ['The passages don’t say who he met.', true],
    ['Sorry, the articles do not mention it.', true],
    ['Dong Jun. “When meeting with Belousov” [1]', false],
    ['The articles say he met Dong Jun.', false],
  ])('%j → %s', (text, refused) => {
    expect(isRefusal(text)).toBe(refused);
  });
});
