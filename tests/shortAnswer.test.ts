import { describe, expect, it } from 'vitest';
import { findShortAnswer, questionType } from '../src/answering/shortAnswer.js';

describe('questionType', () => {
  it.each([
    ['Who visited Beijing?', 'person'],
    ['When did Belousov arrive?', 'date'],
    ['In what year did the Normans invade?', 'date'],
    ['Where did the drills take place?', 'place'],
    ['In what country is Normandy located?', 'place'],
    ['How many warships took part?', 'number'],
    ['What did Dong Jun call for?', 'other'],
  ])('%s → %s', (q, t) => expect(questionType(q)).toBe(t));
});

describe('findShortAnswer', () => {
  const s = 'Russian Defense Minister Andrei Belousov arrived in Beijing Monday for talks with his Chinese counterpart.';

  it('returns the name the question asks for, without the words it already has', () => {
    expect(findShortAnswer('Who is the Russian defense minister who visited Beijing?', s, 'person')).toEqual({ text: 'Andrei Belousov', start: 25 });
  });

  it('returns the day for a when-question', () => {
    expect(findShortAnswer('When did Belousov arrive in Beijing?', s, 'date')?.text).toBe('Monday');
  });

  it('returns a place after a locative preposition, not a nationality', () => {
    const t = 'Last month, Russian and Chinese warships carried out joint drills in the Sea of Japan.';
    expect(findShortAnswer('Where did the warships hold drills?', t, 'place')?.text).toBe('Sea of Japan');
  });

  it('returns an amount with its unit', () => {
    expect(findShortAnswer('How long did Western Europe control Cyprus?', 'Cyprus would be under Western European domination for the next 380 years.', 'number')?.text).toBe('380 years');
  });

  it('returns nothing when the only candidate is already in the question', () => {
    expect(findShortAnswer('Who is Andrei Belousov?', 'Andrei Belousov arrived on time.', 'person')).toBeUndefined();
  });

  it('skips a sentence-opening word the article uses in lower case', () => {
    const t = 'Soon after, Rollo signed the treaty.';
    expect(findShortAnswer('Who signed the treaty?', t, 'person', new Set(['soon']))?.text).toBe('Rollo');
  });

  it('returns nothing when two candidates are equally near the question words', () => {
    expect(findShortAnswer('Who met?', 'Alice met Bob.', 'person')).toBeUndefined();
  });

  it('returns an offset that slices the sentence to the span', () => {
    const hit = findShortAnswer('When did Belousov arrive in Beijing?', s, 'date')!;
    expect(s.slice(hit.start, hit.start + hit.text.length)).toBe(hit.text);
  });
});

describe('findShortAnswer and nationalities', () => {
  it('does not answer a who-question with a nationality', () => {
    const s = 'Russian Defense Minister Andrei Belousov arrived in Beijing Monday for talks with his Chinese counterpart.';
    expect(findShortAnswer('Who led the talks in Beijing?', s, 'person')?.text).toBe('Russian Defense Minister Andrei Belousov');
  });
});
