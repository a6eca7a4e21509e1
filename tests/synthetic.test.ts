import { describe, expect, it } from 'vitest';
import { mixVector, NOISE, seeded, sentencePool, syntheticRecord, type SyntheticOptions } from '../bench/synthetic.js';

const text = [
  'The city council approved the new budget on Tuesday after a long debate.',
  'Officials said the plan would add three hundred buses to the fleet by next year.',
  'Critics argued that the money would be better spent on repairing old bridges.',
  'Short one.',
].join(' ');

const unit = (dims: number, hot: number) => Float32Array.from({ length: dims }, (_, i) => (i === hot ? 1 : 0));

const opts = (): SyntheticOptions => ({
  pool: sentencePool([{ text }]),
  vectors: [unit(8, 0), unit(8, 1), unit(8, 2), unit(8, 3)],
  chunking: { chunkSize: 200, chunkOverlap: 0 },
  seed: 7,
  meanChars: 600,
  dates: { from: '2023-01-01', to: '2023-01-31' },
});

describe('sentencePool', () => {
  it('returns whole real sentences, leaving out short ones and the ones skip names', () => {
    const pool = sentencePool([{ text }], (s) => s.includes('bridges'));
    expect(pool).toEqual([
      'The city council approved the new budget on Tuesday after a long debate.',
      'Officials said the plan would add three hundred buses to the fleet by next year.',
    ]);
  });
});

describe('mixVector', () => {
  it('returns a unit vector close to the span of its parents', () => {
    const rand = seeded(1);
    const v = mixVector([unit(384, 0), unit(384, 1)], rand, () => 0, NOISE);
    expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    // With no noise, every coordinate outside the parents is 0 and the weights are convex.
    expect(v[0] > 0 && v[1] > 0).toBe(true);
    expect(v.slice(2).every((x) => x === 0)).toBe(true);
  });
});

describe('syntheticRecord', () => {
  it('returns the same article for the same index and a different one for another', () => {
    const a = syntheticRecord(3, opts());
    expect(syntheticRecord(3, opts())).toEqual(a);
    expect(syntheticRecord(4, opts()).article.text).not.toBe(a.article.text);
  });

  it('returns an article made of pool sentences, chunked, with one unit vector per chunk', () => {
    const o = opts();
    const rec = syntheticRecord(0, o);
    const used = rec.article.text.split(/(?<=\.)\s+/);
    expect(used.every((s) => o.pool.includes(s))).toBe(true);
    expect(rec.chunks.length).toBeGreaterThan(1);
    expect(rec.vectors).toHaveLength(rec.chunks.length);
    for (const v of rec.vectors) expect(Math.hypot(...v)).toBeCloseTo(1, 5);
    expect(rec.article.date! >= '2023-01-01' && rec.article.date! <= '2023-01-31').toBe(true);
    expect(rec.article.source).toBe('synthetic');
  });
});
