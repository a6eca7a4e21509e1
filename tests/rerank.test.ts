import { describe, expect, it } from 'vitest';
import { RERANK, rerank, sentenceShare, termWeights, type Scored } from '../src/answering/rerank.js';

const c = (chunkId: string, article: string, text: string, score: number): Scored => ({ chunkId, article: { id: article, title: article }, text, score });
const none = async () => [];

describe('termWeights', () => {
  it('weighs a word few candidates share above one every candidate has, and names above plain words', () => {
    const w = termWeights('Which airline did Zephyr Air buy?', ['the airline bought', 'an airline sold', 'Zephyr Air grew']);
    expect(w.get('zephyr')!).toBeGreaterThan(w.get('airlin') ?? w.get('airline')!);
    expect(w.has('which')).toBe(false);
  });
});

describe('sentenceShare', () => {
  it("is the best single sentence's share, not the whole text's", () => {
    const w = termWeights('Where did Marta Quell open the Orvane bridge?', ['x']);
    const spread = 'Marta Quell spoke on Monday. The Orvane council met. A bridge was discussed.';
    const one = 'Marta Quell opened the Orvane bridge in Tessaly. Other news followed.';
    expect(sentenceShare(one, w)).toBeGreaterThan(sentenceShare(spread, w));
    expect(sentenceShare(one, w)).toBeGreaterThan(0.9);
  });
});

describe('rerank', () => {
  const q = 'Which company did Halvard Steel buy in Norway?';

  it('lifts the passage whose one sentence holds the question over a topical one ranked above it', async () => {
    const top = c('a:0', 'a', 'Steel prices rose this week. Companies in Europe reported results. Analysts expect more deals.', 0.03);
    const answer = c('b:0', 'b', 'Halvard Steel bought Fjordmetall, a company in Norway, for $2 billion. Shares rose.', 0.02);
    const out = await rerank(q, [top, answer], { chunksOf: none });
    expect(out.map((p) => p.chunkId)).toEqual(['b:0', 'a:0']);
  });

  it('reads the whole of the best articles: a chunk no search ranked joins from its article', async () => {
    const lead = c('a:0', 'a', 'Halvard Steel had a busy year, its chief said on Monday.', 0.03);
    const other = c('b:0', 'b', 'Markets in Oslo were calm. Steel traders waited.', 0.029);
    const deep = c('a:7', 'a', 'In March, Halvard Steel bought Fjordmetall, a company based in Norway.', 0);
    const similarity = async (ps: Scored[]) => ps.map((p) => (p.chunkId === 'a:7' ? 0.8 : 0.3));
    const out = (await rerank(q, [lead, other], { chunksOf: async (ids) => (ids.includes('a') ? [lead, deep] : []), similarity })).map((p) => p.chunkId);
    expect(out).toContain('a:7');
    expect(out.indexOf('a:7')).toBeLessThan(out.indexOf('b:0'));
    expect(out.filter((id) => id === 'a:0')).toHaveLength(1);
  });

  it('adds the stored sentence similarity when it is weighed', async () => {
    const x = c('a:0', 'a', 'One text about nothing asked.', 0.03);
    const y = c('b:0', 'b', 'Another text about nothing asked.', 0.029);
    const similarity = async (ps: Scored[]) => ps.map((p) => (p.chunkId === 'b:0' ? 0.9 : 0.1));
    const out = await rerank(q, [x, y], { chunksOf: none, similarity }, { ...RERANK, vectorWeight: 1 });
    expect(out[0].chunkId).toBe('b:0');
  });

  it('leaves the order alone when switched off, and keeps candidates past its depth after the re-ranked ones', async () => {
    const list = [c('a:0', 'a', 'Steel prices rose.', 0.03), c('b:0', 'b', 'Halvard Steel bought a company in Norway.', 0.02)];
    expect(await rerank(q, list, { chunksOf: none }, { ...RERANK, depth: 0 })).toEqual(list);
    const out = await rerank(
      q,
      [...list, c('c:0', 'c', 'Halvard Steel bought Fjordmetall in Norway.', 0.01)],
      { chunksOf: none },
      { ...RERANK, depth: 2, articles: 0 },
    );
    expect(out.map((p) => p.chunkId)).toEqual(['b:0', 'a:0', 'c:0']);
  });
});
