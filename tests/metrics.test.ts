import { describe, expect, it } from 'vitest';
import { containsAnswer, exactMatch, f1, firstHit, normalise, percentile } from '../src/eval/metrics.js';
import { fromJsonl, fromSquad } from '../src/eval/dataset.js';
// Imported with the file, not inside the test: the CLI module's imports take seconds on a busy machine.
import { thresholdSweep } from '../src/eval/cli.js';
import { failures } from '../src/eval/run.js';

describe('SQuAD metrics', () => {
  it('normalises case, punctuation, articles and spaces', () => {
    expect(normalise('The  Battle of Hastings!')).toBe('battle of hastings');
  });
  it.each([
    ['the Battle of Hastings', ['Battle of Hastings'], 1],
    ['Hastings', ['Battle of Hastings'], 0],
  ])('exact match of %s is %i', (p, g, want) => expect(exactMatch(p, g)).toBe(want));
  it('computes token F1 against the best gold answer', () => {
    expect(f1('Duke William II', ['William II', 'Rollo'])).toBeCloseTo(0.8, 10);
    expect(f1('', ['Rollo'])).toBe(0);
  });
  it('matches whole words only when looking for an answer in a passage', () => {
    expect(containsAnswer('In 1066, Duke William', ['1066'])).toBe(true);
    expect(containsAnswer('In 10666, Duke William', ['1066'])).toBe(false);
  });
  it('finds the 1-based rank of the first passage with an answer', () => {
    expect(firstHit(['no', 'still no', 'Rollo was here'], ['rollo'])).toBe(3);
    expect(firstHit(['no'], ['rollo'])).toBe(0);
  });
  it('takes nearest-rank percentiles', () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
  });
});

describe('evaluation sets', () => {
  it('turns each SQuAD entry into one article with its paragraphs', () => {
    const set = fromSquad({
      data: [
        {
          title: 'Normans',
          paragraphs: [
            { context: 'Rollo led them.', qas: [{ id: '1', question: 'Who led?', answers: [{ text: 'Rollo' }] }] },
            { context: 'They came from Norway.', qas: [{ id: '2', question: 'Who won?', is_impossible: true, answers: [] }] },
          ],
        },
      ],
    });
    expect(set.articles).toHaveLength(1);
    expect(set.articles[0].text).toBe('Rollo led them.\n\nThey came from Norway.');
    expect(set.questions.map((q) => [q.id, q.impossible, q.answers])).toEqual([
      ['1', false, ['Rollo']],
      ['2', true, []],
    ]);
  });
  it('reads our JSONL format, with no answers meaning unanswerable', () => {
    const set = fromJsonl('{"question":"Who?","answers":["Belousov"]}\n\n{"question":"Why?"}\n');
    expect(set.questions.map((q) => q.impossible)).toEqual([false, true]);
  });
});

describe('thresholdSweep', () => {
  it('counts a question as refused below the threshold and as a hit only above it', () => {
    const rows = [
      { id: 'a', impossible: false, rank: 1, hit: true, evidence: 0.6, ms: 1 },
      { id: 'b', impossible: false, rank: 1, hit: true, evidence: 0.4, ms: 1 },
      { id: 'c', impossible: true, rank: 0, evidence: 0.45, ms: 1 },
      { id: 'd', impossible: true, rank: 0, evidence: 0.2, ms: 1 },
    ];
    expect(thresholdSweep(rows, [0.3, 0.5])).toEqual([
      { threshold: 0.3, refusal: 0.5, falseRefusal: 0, answerHit: 1 },
      { threshold: 0.5, refusal: 1, falseRefusal: 0.5, answerHit: 0.5 },
    ]);
  });
});

describe('failures', () => {
  it('counts each answerable question once, where the ask path lost it', () => {
    const row = (rank: number, found: boolean, hit: boolean, short?: string, shortHit = false) => ({ impossible: false, rank, found, hit, short, shortHit });
    const counts = failures([
      row(0, true, false), // nothing in the first five
      row(7, false, false), // found only at 7: not retrieved, not "refused though found"
      row(2, true, false, 'Microsoft'), // found, another sentence quoted, a wrong short answer
      row(1, false, false), // found and refused
      row(3, true, true, 'Amazon', true),
      { impossible: true, rank: 0, found: false, hit: false, short: undefined, shortHit: false }, // not counted
    ]);
    expect(counts).toEqual({ notRetrieved: 2, otherSentence: 1, refusedThoughFound: 1, shortGiven: 2, shortRight: 1 });
  });
});
