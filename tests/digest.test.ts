import { describe, expect, it } from 'vitest';
import { leadSentence, periodQuestion } from '../src/answering/digest.js';
import { makeArticle } from '../src/corpus/article.js';

describe('periodQuestion', () => {
  it.each([
    ['What happened?', '', true],
    ['What has happened?', '', true],
    ["What's new on the strike?", 'the strike', false],
    ['What is new with the light rail?', 'the light rail', false],
    ['What is the latest on the port strike?', 'the port strike', false],
    ['Any news about the harbour?', 'the harbour', false],
    ['Is there any news?', '', false],
    ['What were the top stories?', '', false],
    ['Give me a recap', '', false],
    ['Headlines', '', false],
    ["What's going on in Calderra?", 'Calderra', false],
  ])('%s → topic %j', (q, topic, needsPeriod) => {
    expect(periodQuestion(q)).toEqual({ topic, needsPeriod });
  });

  it.each([
    'Who will chair the talks?',
    'What happened to the ship and why did it sink?',
    'What raise did the dockworkers want?',
    'What is the latest Oreo flavour called?',
    'Which company announced layoffs?',
  ])('leaves the question of fact %j alone', (q) => {
    expect(periodQuestion(q)).toBeUndefined();
  });
});

describe('leadSentence', () => {
  it('returns the first sentence outside page furniture, skipping the headline repeated as a line', () => {
    const text = 'Port reopens\nBy Ana Ruiz, Harbor Ledger\nThe port reopened on Monday after a three-day strike. Ships unloaded at once.';
    const a = { ...makeArticle({ title: 'Port reopens', text }, 'test'), boilerplate: [[13, 39]] as [number, number][] };
    const lead = leadSentence(a)!;
    expect(text.slice(lead.start, lead.end)).toBe('The port reopened on Monday after a three-day strike.');
  });
});
