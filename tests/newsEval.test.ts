/** The news evaluation set (eval/news) and the metrics that read its gold data. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromJsonl, loadEvalSet } from '../src/eval/dataset.js';
import { containsAnswer } from '../src/eval/metrics.js';
import { duplicateQuotes, goldBoilerplateSpans, overlapsAny, rightDate } from '../src/eval/newsMetrics.js';
import { REPO } from './helpers.js';

const NEWS = join(REPO, 'eval/news/questions.jsonl');

describe('the news evaluation set', () => {
  it('loads its own articles folder and gold data next to the questions', async () => {
    const set = await loadEvalSet(NEWS);
    expect(set.articles.length).toBeGreaterThanOrEqual(40);
    expect(set.questions.filter((q) => !q.impossible).length).toBeGreaterThanOrEqual(100);
    expect(set.articles.every((a) => a.url && a.date)).toBe(true);
    expect(new Set(set.articles.map((a) => new URL(a.url!).hostname)).size).toBeGreaterThanOrEqual(5);
    expect(set.gold?.stories[0]).toHaveLength(2);
  });

  it('has every gold answer, gold date and gold boilerplate line in its articles', async () => {
    const set = await loadEvalSet(NEWS);
    const dates = new Set(set.articles.map((a) => a.date));
    for (const q of set.questions) {
      if (!q.impossible)
        expect(
          set.articles.some((a) => containsAnswer(a.text, q.answers)),
          q.id,
        ).toBe(true);
      for (const d of q.dates ?? []) expect(dates.has(d), `${q.id} ${d}`).toBe(true);
    }
    const lines = new Set(set.articles.flatMap((a) => a.text.split('\n').map((l) => l.trim())));
    for (const line of set.gold!.boilerplate) expect(lines.has(line), line).toBe(true);
    for (const url of set.gold!.stories.flat())
      expect(
        set.articles.some((a) => a.url === url),
        url,
      ).toBe(true);
  });

  it('carries time questions and follow-ups', async () => {
    const set = await loadEvalSet(NEWS);
    expect(set.questions.filter((q) => q.asOf && q.dates).length).toBeGreaterThanOrEqual(10);
    expect(set.questions.filter((q) => q.history?.length).length).toBeGreaterThanOrEqual(5);
  });
});

describe('fromJsonl', () => {
  it('reads asOf, history and dates', () => {
    const set = fromJsonl('{"question":"And then?","answers":["x"],"asOf":"2025-10-22","dates":["2025-10-15"],"history":[{"role":"user","content":"Who?"}]}');
    expect(set.questions[0]).toMatchObject({ asOf: '2025-10-22', dates: ['2025-10-15'], history: [{ role: 'user', content: 'Who?' }] });
  });
  it('names the line and field of a malformed record', () => {
    expect(() => fromJsonl('{"question":"Q"}\n{"question":"Q","dates":["15 Oct"]}')).toThrow(/line 2: dates\.0/);
  });
});

describe('news metrics', () => {
  const text = 'Prose one.\nBy Jo Doe\nProse two.';
  it('finds gold boilerplate lines at their exact offsets', () => {
    const spans = goldBoilerplateSpans(text, new Set(['By Jo Doe']));
    expect(spans).toEqual([[11, 20]]);
    expect(text.slice(11, 20)).toBe('By Jo Doe');
    expect(overlapsAny({ start: 0, end: 10 }, spans)).toBe(false);
    expect(overlapsAny({ start: 5, end: 12 }, spans)).toBe(true);
  });
  it('counts quotes from another copy of a story already quoted, by gold url group or by identical text', () => {
    const gold = { boilerplate: [], stories: [['u1', 'u2']] };
    const q = (articleId: string, url: string, t: string) => ({ articleId, url, text: t, start: 0, end: t.length });
    expect(duplicateQuotes([q('a', 'u1', 'One.'), q('b', 'u2', 'Two.')], gold)).toBe(1);
    expect(duplicateQuotes([q('a', 'x', 'Same words.'), q('b', 'y', 'same words')], gold)).toBe(1);
    expect(duplicateQuotes([q('a', 'x', 'One.'), q('a', 'x', 'Two.'), q('b', 'y', 'Three.')], gold)).toBe(0);
    expect(duplicateQuotes([q('a', 'u1', 'One.'), q('a', 'u1', 'Two.')], gold)).toBe(0);
  });
  it('scores a time question by the date of its first quote', () => {
    const quotes = [{ articleId: 'a', date: '2025-10-15', start: 0, end: 1, text: 'x' }];
    expect(rightDate(true, quotes, ['2025-10-15'])).toBe(1);
    expect(rightDate(true, quotes, ['2025-10-14'])).toBe(0);
    expect(rightDate(false, quotes, ['2025-10-15'])).toBe(0);
    expect(rightDate(true, quotes, undefined)).toBeUndefined();
  });
});
