import { describe, expect, it } from 'vitest';
import { makeArticle } from '../src/corpus/article.js';
import { datePrior, dedupe, fuse } from '../src/answering/retrieve.js';

describe('fuse', () => {
  it('ranks a passage found by both searches above ones found by either alone', () => {
    const vector = [
      { chunkId: 'a', score: 0.9 },
      { chunkId: 'b', score: 0.8 },
    ];
    const keyword = [
      { chunkId: 'c', score: 12 },
      { chunkId: 'b', score: 9 },
    ];
    expect(fuse([vector, keyword], [1, 1], 60).map((h) => h.chunkId)).toEqual(['b', 'a', 'c']);
  });

  it('gives each list weight / (k + rank)', () => {
    const [hit] = fuse([[{ chunkId: 'a', score: 1 }], [{ chunkId: 'a', score: 1 }]], [1, 2], 60);
    expect(hit.score).toBeCloseTo(1 / 61 + 2 / 61, 12);
  });

  it('lets a weight of zero switch a list off', () => {
    const out = fuse([[{ chunkId: 'a', score: 1 }], [{ chunkId: 'b', score: 1 }]], [0, 1], 60);
    expect(out[0].chunkId).toBe('b');
    expect(out[1].score).toBe(0);
  });

  it('ignores the raw scores, so BM25 and cosine scales do not matter', () => {
    const a = fuse(
      [
        [
          { chunkId: 'x', score: 1000 },
          { chunkId: 'y', score: 999 },
        ],
      ],
      [1],
      60,
    );
    const b = fuse(
      [
        [
          { chunkId: 'x', score: 0.2 },
          { chunkId: 'y', score: 0.1 },
        ],
      ],
      [1],
      60,
    );
    expect(a).toEqual(b);
  });
});

describe('dedupe', () => {
  // Distinct words throughout, so only offsets (not repeated text) can make two chunks alike.
  const words = (prefix: string) => Array.from({ length: 400 }, (_, i) => `${prefix}${i.toString(36)}`).join(' ');
  const article = makeArticle({ title: 'T', text: words('w') }, 'a.txt');
  const other = makeArticle({ title: 'U', text: words('v') }, 'b.txt');
  const p = (a: typeof article, start: number, end: number, text = a.text.slice(start, end)) => ({ article: a, start, end, text });

  it('drops a chunk that mostly overlaps a better one of the same article', () => {
    const out = dedupe([p(article, 0, 800), p(article, 100, 900), p(article, 700, 1500)]);
    expect(out.map((x) => x.start)).toEqual([0, 700]);
  });

  it('keeps overlapping offsets of different articles', () => {
    expect(dedupe([p(article, 0, 800), p(other, 0, 800)])).toHaveLength(2);
  });

  it('drops the same text under another article (a syndicated copy)', () => {
    const text = 'Russian Defense Minister Andrei Belousov arrived in Beijing Monday for talks';
    const out = dedupe([p(article, 0, 80, text), p(other, 0, 80, text)]);
    expect(out).toHaveLength(1);
  });
});

describe('datePrior', () => {
  const prior = { after: 0.5, recentBoost: 1, recentDays: 14 };
  it('counts an article published after the question less than any before it', () => {
    expect(datePrior('2023-01-10', '2023-01-05', prior)).toBe(0.5);
    expect(datePrior('2020-01-01', '2023-01-05', prior)).toBeGreaterThan(0.5);
  });
  it('prefers the days just before the question, fading by half every recentDays', () => {
    expect(datePrior('2023-01-05', '2023-01-05', prior)).toBe(2);
    expect(datePrior('2022-12-22', '2023-01-05', prior)).toBeCloseTo(1.5, 10);
    expect(datePrior('2022-01-05', '2023-01-05', prior)).toBeLessThan(1.01);
  });
  it('leaves undated articles and questions without a date alone', () => {
    expect(datePrior(undefined, '2023-01-05', prior)).toBe(1);
    expect(datePrior('2023-01-05', undefined, prior)).toBe(1);
  });
});
