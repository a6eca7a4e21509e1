import { describe, expect, it } from 'vitest';
import { asksIdentity, chooseShortAnswer, findShortAnswer, questionSubjects, questionType, supportedAnswers } from '../src/answering/shortAnswer.js';
import { isFurniture } from '../src/answering/evidence.js';

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
    expect(findShortAnswer('Who is the Russian defense minister who visited Beijing?', s, 'person')).toMatchObject({ text: 'Andrei Belousov', start: 25 });
  });

  it('answers "how much … cost" with the sum of money, not the sentence\'s other numbers', () => {
    const t = 'After eight months of repairs, which cost 38 million euros, the bridge reopened.';
    expect(findShortAnswer('How much did the bridge repairs cost?', t, 'number')?.text).toBe('38 million euros');
    expect(findShortAnswer('How much did the pass cost?', 'The pass costs £3 and is valid for two days.', 'number')?.text).toBe('£3');
    expect(findShortAnswer('How much did the repairs cost?', 'The repairs took eight months.', 'number')).toBeUndefined();
  });

  it('returns the day for a when-question', () => {
    expect(findShortAnswer('When did Belousov arrive in Beijing?', s, 'date')?.text).toBe('Monday');
  });

  it('returns a place after a locative preposition, not a nationality', () => {
    const t = 'Last month, Russian and Chinese warships carried out joint drills in the Sea of Japan.';
    expect(findShortAnswer('Where did the warships hold drills?', t, 'place')?.text).toBe('Sea of Japan');
  });

  it('returns an amount with its unit', () => {
    expect(
      findShortAnswer('How long did Western Europe control Cyprus?', 'Cyprus would be under Western European domination for the next 380 years.', 'number')
        ?.text,
    ).toBe('380 years');
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
    expect(findShortAnswer('Who led the talks in Beijing?', s, 'person')?.text).toBe('Andrei Belousov');
  });
});

describe('questionSubjects', () => {
  const text = 'Russian Defense Minister Andrei Belousov arrived in Beijing. When meeting with Belousov, Chinese Defense Minister Dong Jun spoke.';
  it('returns the name in apposition to a phrase of the question', () => {
    expect([...questionSubjects('Who did the Russian defense minister meet in Beijing?', [text])].sort()).toEqual(['andrei', 'belousov']);
  });
  it('reads the apposition after the name too', () => {
    const t = 'Ursula Vance, the harbour authority chairwoman, resigned on Friday.';
    expect([...questionSubjects('Why did the harbour authority chairwoman resign?', [t])].sort()).toEqual(['ursula', 'vanc']);
  });
  it('returns nothing when one shared word is all the phrase has', () => {
    expect(questionSubjects('Who met the Russian envoy?', [text]).size).toBe(0);
  });
});

describe('asksIdentity', () => {
  it.each([
    ['Who is the Russian defense minister?', true],
    ["Who's the current CEO?", true],
    ['Who did the Russian defense minister meet?', false],
    ['Who is Andrei Belousov?', false],
  ])('%s → %s', (q, want) => expect(asksIdentity(q)).toBe(want));
});

describe("findShortAnswer and the question's subject", () => {
  const subjects = new Set(['andrei', 'belousov']);
  const s = 'When meeting with Belousov, Chinese Defense Minister Dong Jun called for the two sides to "deepen strategic collaboration."';
  it('skips the subject and names the other person, without the title', () => {
    expect(findShortAnswer('Who did the Russian defense minister meet?', s, 'person', undefined, subjects)?.text).toBe('Dong Jun');
  });
  it('answers an identity question with the name its phrase describes', () => {
    const t = 'Russian Defense Minister Andrei Belousov arrived in Beijing Monday.';
    expect(findShortAnswer('Who is the Russian defense minister?', t, 'person', undefined, subjects)?.text).toBe('Andrei Belousov');
  });
  it('never returns part of a name the question already says', () => {
    const t = 'Russian Defense Minister Andrei Belousov arrived in Beijing Monday.';
    expect(findShortAnswer('Who did Belousov meet?', t, 'person')).toBeUndefined();
  });
});

describe('findShortAnswer: descriptions and titles are no answer', () => {
  it('skips a "which X" phrase that counts, ranks or grades things of the kind', () => {
    expect(findShortAnswer('Which team will she play for?', 'She has played for six different teams since 2012.', 'name')).toBeUndefined();
    expect(findShortAnswer('Which chain will price tickets by seat?', 'The largest movie theater chain will price tickets by seat.', 'name')).toBeUndefined();
    expect(findShortAnswer('Which seed joins the allergen list?', 'The FDA added sesame seeds to the allergen list.', 'name')?.text).toBe('sesame seeds');
  });
  it('does not answer a where-question with a titled person', () => {
    expect(findShortAnswer('Which country paid tribute to Pelé?', 'FIFA President Gianni Infantino paid tribute to Pelé on Monday.', 'place')).toBeUndefined();
  });
});

describe('supportedAnswers', () => {
  const q = 'Who was elected speaker of the House?';
  const s = (text: string, score: number, key: string) => ({ text, score, key, offset: 0 });
  it('ranks the name several sentences repeat near the question words above the one the best sentence says once', () => {
    const got = supportedAnswers(
      q,
      [
        s('Hakeem Jeffries conceded as the speaker of the House vote dragged on.', 1, 'a'),
        s('Kevin McCarthy was elected speaker of the House after 15 rounds.', 0.6, 'b'),
        s('McCarthy was elected speaker early on Saturday.', 0.6, 'c'),
      ],
      'person',
    );
    expect(got.map((a) => a.text)).toEqual(['Kevin McCarthy', 'Hakeem Jeffries']);
    expect(got[0].support).toBeGreaterThan(got[1].support);
    expect(got[0].holders.map((h) => h.index).sort()).toEqual([1, 2]);
  });
  it('counts one mention of an article once, however many quotes overlap it', () => {
    const one = 'Kevin McCarthy was elected speaker of the House.';
    const got = supportedAnswers(q, [s(one, 1, 'a'), { text: `On Saturday, ${one}`, score: 1, key: 'a', offset: -'On Saturday, '.length }], 'person');
    expect(got).toHaveLength(1);
    expect(got[0].holders).toHaveLength(1);
  });
});

describe('chooseShortAnswer', () => {
  const q = 'Who did the Russian defense minister meet?';
  const subjects = new Set(['andrei', 'belousov']);
  const first = { text: 'Russian Defense Minister Andrei Belousov arrived in Beijing Monday for talks.', score: 1 };
  const second = { text: 'When meeting with Belousov, Chinese Defense Minister Dong Jun called for closer ties.', score: 0.95 };
  it('takes the candidate from a later sentence when the first offers none', () => {
    expect(chooseShortAnswer(q, [first, second], 'person', subjects)).toEqual({ index: 1, hit: { text: 'Dong Jun', start: second.text.indexOf('Dong Jun') } });
  });
  it('gives no short answer when two candidates are about equally supported', () => {
    const rival = { text: 'During the visit, Deputy Minister Li Wei met the delegation.', score: 0.93 };
    expect(chooseShortAnswer(q, [second, rival], 'person', subjects)).toBeUndefined();
  });
  it('counts a name and its surname as one candidate', () => {
    const a = { text: 'Defense Minister Dong Jun hosted the talks.', score: 1 };
    const b = { text: 'Dong said the ties were at an all-time high.', score: 0.9 };
    const c = { text: 'Deputy Minister Li Wei attended the talks.', score: 0.95 };
    expect(chooseShortAnswer('Who hosted the talks?', [a, c, b], 'person')?.hit.text).toBe('Dong Jun');
  });
});

describe('isFurniture', () => {
  it.each([
    ['Related article: [Russia-China Alliance Would Build Artificial Intelligence For Dictators](#)', true],
    ['<https://www.themoscowtimes.com/2024/10/14/a86677>', true],
    ['Read more: the talks in full', true],
    ['Dong Jun called for the two sides to deepen strategic collaboration.', false],
  ])('%s → %s', (line, want) => expect(isFurniture(line)).toBe(want));
});

describe('findShortAnswer for "which X"', () => {
  it.each([
    [
      'Which airline will give frequent flier miles to passengers?',
      'Southwest Airlines said it would give 25,000 frequent flier miles to passengers.',
      'Southwest Airlines',
    ],
    [
      'Which seed did the FDA add to its list of major food allergens?',
      'The FDA added sesame seeds to its list of major food allergens on Jan. 1.',
      'sesame seeds',
    ],
    ['Which former pope was laid to rest this week?', 'Pope Benedict XVI was laid to rest on Thursday in a plain coffin.', 'Pope Benedict XVI'],
    ['Which tournament will switch to electronic line calls?', 'Wimbledon will replace line judges with electronic line calls from next year.', 'Wimbledon'],
    [
      'NFL player Damar Hamlin collapsed. He is a valued member of which team?',
      'Hamlin, 24, a safety for the Buffalo Bills, collapsed on the field.',
      'Buffalo Bills',
    ],
    [
      'Which home goods chain said it may not stay in business?',
      'Bed Bath & Beyond said Thursday it may not be able to stay in business.',
      'Bed Bath & Beyond',
    ],
  ])('%s → %s', (q, s, want) => expect(findShortAnswer(q, s, 'name')?.text).toBe(want));

  it("returns nothing when the only name is the question's own", () => {
    expect(findShortAnswer('Which tournament did Wimbledon replace?', 'Wimbledon will replace line judges.', 'name')).toBeUndefined();
  });
});
