import { describe, expect, it } from 'vitest';
import { asks, phrasesHeaded } from '../src/answering/asks.js';

describe('asks', () => {
  it.each([
    ['Who won Best Director at the Golden Globes?', { type: 'person' }],
    ['Where do the strikers work?', { type: 'place' }],
    ['By when will the ozone layer recover?', { type: 'date' }],
    ['In what year did the Normans invade?', { type: 'date' }],
    ['How much did the company pay?', { type: 'number', money: true }],
    ['How much did the repairs of the harbour bridge cost?', { type: 'number', money: true }],
    ['How much did sales fall last year?', { type: 'number' }],
    ['How old was she?', { type: 'number' }],
    ['Which three-digit phone number is going out of service?', { type: 'number' }],
    ['In which European country is Andrew Tate being held?', { type: 'place' }],
    ['Which GOP leader sparked a stalemate?', { type: 'person' }],
    ['Which tournament will switch to electronic line calls?', { type: 'name', head: 'tournament' }],
    ['A regulator suggested a ban on which type of home appliance?', { type: 'name', head: 'applianc' }],
    ['NFL player Damar Hamlin collapsed this week. He is a valued member of which team?', { type: 'name', head: 'team' }],
    ['The Bulldogs romped past this opponent on Monday to win the title.', { type: 'name', head: 'oppon' }],
    // The tagger reads these nouns as verbs after "which"/"what".
    ['Burger chain In-N-Out announced it was expanding to which state?', { type: 'place' }],
    ['About 100 Ukrainians will travel to which US state to learn how to use the system?', { type: 'place' }],
    ['A French woman died this week. What age was she?', { type: 'number' }],
    ['Which storm hit the coast last week?', { type: 'name', head: 'storm' }],
    ['What pay rise did the union ask for?', { type: 'other' }],
    ['Which of these musicians was in attendance at the address?', { type: 'person' }],
    ['What did Dong Jun call for?', { type: 'other' }],
    ['How did the fire start?', { type: 'other' }],
  ])('%s → %j', (q, want) => expect(asks(q)).toEqual(want));
});

describe('phrasesHeaded', () => {
  it('returns the noun phrase headed by the noun asked for, as a verbatim slice', () => {
    const text = 'The FDA added sesame seeds to its list of major food allergens.';
    const [p] = phrasesHeaded(text, 'seed');
    expect(p).toEqual({ text: 'sesame seeds', start: 14 });
    expect(text.slice(p.start, p.start + p.text.length)).toBe(p.text);
  });

  it('finds each phrase of a long sentence at its own offset, far from the sentence start', () => {
    const text =
      'After a long week of talks between the growers, the buyers and the regulators in the capital, the board added sesame seeds to its list, and later this year it will also look at sunflower seeds.';
    const found = phrasesHeaded(text, 'seed');
    expect(found.map((p) => p.text)).toEqual(['sesame seeds', 'sunflower seeds']);
    for (const p of found) expect(text.slice(p.start, p.start + p.text.length)).toBe(p.text);
  });

  it('returns nothing when the head stands alone', () => {
    expect(phrasesHeaded('The seeds were added.', 'seed')).toEqual([]);
  });
});
