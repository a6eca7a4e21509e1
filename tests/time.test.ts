import { describe, expect, it } from 'vitest';
import { dateOldQuotes, preferRecent, understandTime } from '../src/answering/time.js';

// 2024-10-16 is a Wednesday.
const AS_OF = '2024-10-16';

describe('understandTime', () => {
  it.each([
    ['What did the Fed decide last week?', '2024-10-07', '2024-10-13', 'What did the Fed decide?'],
    ['What happened yesterday?', '2024-10-15', '2024-10-15', 'What happened?'],
    ['What happened this week?', '2024-10-10', '2024-10-16', 'What happened?'],
    ['What happened this month?', '2024-10-01', '2024-10-16', 'What happened?'],
    ['What did the council approve last month?', '2024-09-01', '2024-09-30', 'What did the council approve?'],
    ['Who won the vote in October 2024?', '2024-10-01', '2024-10-31', 'Who won the vote?'],
    ['Who spoke on 14 October?', '2024-10-14', '2024-10-14', 'Who spoke?'],
    ['What happened in the past two weeks?', '2024-10-02', '2024-10-16', 'What happened?'],
    ['What did they build in 2023?', '2023-01-01', '2023-12-31', 'What did they build?'],
    ['What changed last year?', '2023-01-01', '2023-12-31', 'What changed?'],
  ])('%s → %s … %s', (q, since, until, rest) => {
    const u = understandTime(q, [], AS_OF);
    expect(u.time).toEqual({ asOf: AS_OF, since, until, recency: false });
    expect(u.question).toBe(rest);
  });

  it('reads "last week" as the previous Monday to Sunday whatever the weekday of asOf', () => {
    expect(understandTime('What happened last week?', [], '2024-10-14').time).toMatchObject({ since: '2024-10-07', until: '2024-10-13' });
    expect(understandTime('What happened last week?', [], '2024-10-20').time).toMatchObject({ since: '2024-10-07', until: '2024-10-13' });
  });

  it('keeps only the open end for "since" and "before"', () => {
    expect(understandTime('What happened since 3 October?', [], AS_OF).time).toMatchObject({ since: '2024-10-03', until: null });
    expect(understandTime('What happened before 3 October?', [], AS_OF).time).toMatchObject({ since: null, until: '2024-10-03' });
  });

  it('turns latest/current/recent into a recency prior, not a range', () => {
    for (const q of ['What is the latest on the strike?', 'Who is the current chief executive?', 'What happened recently at the port?']) {
      expect(understandTime(q, [], AS_OF).time).toEqual({ asOf: AS_OF, since: null, until: null, recency: true });
    }
  });

  it('leaves a question without time words alone', () => {
    const u = understandTime('Who did the Russian defense minister meet in Beijing?', [], AS_OF);
    expect(u.time).toEqual({ asOf: AS_OF, since: null, until: null, recency: false });
    expect(u.question).toBe('Who did the Russian defense minister meet in Beijing?');
  });

  it('does not read a weekday or month in a name as a date', () => {
    expect(understandTime('When was the Sunday Times founded?', [], AS_OF).time.since).toBeNull();
    expect(understandTime('What did the March report say?', [], AS_OF).time.since).toBeNull();
  });

  it('keeps the time frame of the conversation in a follow-up, until the user changes it', () => {
    const history = [
      { role: 'user' as const, content: 'What did the council decide last week?' },
      { role: 'assistant' as const, content: 'It approved the budget.' },
    ];
    const follow = understandTime('And the mayor?', history, AS_OF);
    expect(follow.time).toMatchObject({ since: '2024-10-07', until: '2024-10-13' });
    expect(follow.carried).toBe(true);
    expect(understandTime('What did the mayor say yesterday?', history, AS_OF).time).toMatchObject({ since: '2024-10-15', until: '2024-10-15' });
  });

  it('has no relative range without a reference date', () => {
    expect(understandTime('What happened last week?', [], null).time).toEqual({ asOf: null, since: null, until: null, recency: false });
  });
});

describe('preferRecent', () => {
  const p = (id: string, score: number, date?: string) => ({ id, score, article: { date } });
  it('moves a newer relevant passage above an older one of similar score', () => {
    const out = preferRecent([p('old', 0.02, '2023-01-10'), p('new', 0.018, '2024-10-15')], AS_OF);
    expect(out.map((x) => x.id)).toEqual(['new', 'old']);
  });
  it('keeps a much better old passage first (a prior, not a filter)', () => {
    const out = preferRecent([p('old', 0.05, '2023-01-10'), p('new', 0.01, '2024-10-15')], AS_OF);
    expect(out.map((x) => x.id)).toEqual(['old', 'new']);
  });
});

describe('dateOldQuotes', () => {
  const time = { asOf: AS_OF, since: null, until: null, recency: true };
  it('dates an old quote for a question about now', () => {
    expect(dateOldQuotes('“Ana Ruiz leads it.” [1]', [{ n: 1, date: '2023-03-02' }], time)).toBe('“Ana Ruiz leads it.” [1] (from 2 March 2023)');
  });
  it('leaves a fresh quote, and any quote of a question not about now, as it is', () => {
    expect(dateOldQuotes('“A.” [1]', [{ n: 1, date: '2024-10-12' }], time)).toBe('“A.” [1]');
    expect(dateOldQuotes('“A.” [1]', [{ n: 1, date: '2023-03-02' }], { ...time, recency: false })).toBe('“A.” [1]');
  });
  it('dates a quote from outside the time frame asked about, and leaves those inside it', () => {
    const week = { asOf: AS_OF, since: '2024-10-10', until: '2024-10-16', recency: false };
    const quotes = [
      { n: 1, date: '2024-10-12' },
      { n: 2, date: '2024-09-20' },
    ];
    expect(dateOldQuotes('“A.” [1] “B.” [2]', quotes, week)).toBe('“A.” [1] “B.” [2] (from 20 September 2024)');
  });
});

describe('understandTime and absolute dates', () => {
  it('marks a date named outright as absolute and "last week" as relative', () => {
    expect(understandTime('What did they build in 2023?', [], AS_OF).absolute).toBe(true);
    expect(understandTime('Who won the vote in October 2024?', [], AS_OF).absolute).toBe(true);
    expect(understandTime('What happened last week?', [], AS_OF).absolute).toBe(false);
    expect(understandTime('What happened yesterday?', [], AS_OF).absolute).toBe(false);
  });
});

describe('understandTime: weekdays, durations and named events', () => {
  // 2023-01-13 is a Friday.
  const FRI = '2023-01-13';
  it('reads "on Monday" as the latest Monday before asOf, never a later or a year-old one', () => {
    expect(understandTime('Who won the championship on Monday?', [], FRI).time).toMatchObject({ since: '2023-01-09', until: '2023-01-09' });
    expect(understandTime('What did the jury decide on Sunday?', [], FRI).time).toMatchObject({ since: '2023-01-08', until: '2023-01-08' });
    expect(understandTime('Who resigned this Tuesday?', [], FRI).time).toMatchObject({ since: '2023-01-10', until: '2023-01-10' });
  });

  it('reads the weekday of asOf itself as today or a week ago', () => {
    expect(understandTime('What was announced on Friday?', [], FRI).time).toMatchObject({ since: '2023-01-06', until: '2023-01-13' });
  });

  it.each([
    'Which creatures have returned to Hampshire for the first time in 400 years?',
    'Which country celebrated its 400 years of independence?',
    'The 2023 Lunar New Year rang in the year of which zodiac animal?',
    'Which city will host the 2028 Olympics?',
  ])('gives no frame for a counted or coming time: %s', (q) => {
    const u = understandTime(q, [], '2023-01-27');
    expect(u.time).toMatchObject({ since: null, until: null });
    expect(u.question).toBe(q);
  });

  it('marks a time long before asOf ("400 years ago") as the story\'s, not the reporting\'s', () => {
    const u = understandTime('A ship that sank 400 years ago was found where?', [], FRI);
    expect(u.absolute).toBe(true);
  });

  it('reads "over the weekend" as the latest Saturday and Sunday', () => {
    expect(understandTime('What happened over the weekend?', [], FRI).time).toMatchObject({ since: '2023-01-07', until: '2023-01-08' });
    expect(understandTime('What happened this weekend?', [], '2023-01-15').time).toMatchObject({ since: '2023-01-14', until: '2023-01-15' });
    expect(understandTime('What happened last weekend?', [], '2023-01-15').time).toMatchObject({ since: '2023-01-07', until: '2023-01-08' });
  });

  it('leaves no stray comma where the time words were', () => {
    expect(understandTime('In 2023, which team won the cup?', [], FRI).question).toBe('which team won the cup?');
  });
});
