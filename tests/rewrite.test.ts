import { describe, expect, it } from 'vitest';
import { isFollowUp, names, rewriteQuery, type Turn } from '../src/answering/rewrite.js';

const history: Turn[] = [
  { role: 'user', content: 'Who is the Russian defense minister who visited Beijing?' },
  { role: 'assistant', content: 'Andrei Belousov. “Russian Defense Minister Andrei Belousov arrived in Beijing Monday …” [1]' },
];

describe('rewriteQuery', () => {
  it('replaces "he" with the person the conversation is about', () => {
    expect(rewriteQuery('When did he arrive?', history)).toMatch(/^When did Andrei Belousov arrive/);
  });

  it('turns a possessive pronoun into a possessive name', () => {
    expect(rewriteQuery('What was his message?', history)).toMatch(/^What was Andrei Belousov's message/);
  });

  it('carries the topic of the earlier question into an elliptical follow-up', () => {
    const q = rewriteQuery('And the navy?', history);
    expect(q).toContain('navy');
    expect(q).toContain('Andrei Belousov');
    expect(q).toMatch(/defense|minister|beijing/i);
  });

  it('leaves a question that names its own subject alone', () => {
    expect(rewriteQuery('What did Dong Jun call for?', history)).toBe('What did Dong Jun call for?');
  });

  it('leaves the first question of a conversation alone', () => {
    expect(rewriteQuery('When did he arrive?', [])).toBe('When did he arrive?');
  });

  it('prefers a full name from the question over one from the answer', () => {
    const h: Turn[] = [
      { role: 'user', content: 'What did Dong Jun say?' },
      { role: 'assistant', content: 'Andrei Belousov met him.' },
    ];
    expect(rewriteQuery('Where did he say it?', h)).toMatch(/^Where did Dong Jun say it/);
  });
});

describe('isFollowUp', () => {
  it.each([
    ['When did he arrive?', true],
    ['And the navy?', true],
    ['Why?', true],
    ['Who is the Chinese defense minister?', false],
  ])('%s → %s', (q, want) => expect(isFollowUp(q)).toBe(want));
});

describe('names', () => {
  it('finds capitalised names and skips question words', () => {
    expect(names('Who met Andrei Belousov in Beijing?')).toEqual(['Andrei Belousov', 'Beijing']);
  });
});
