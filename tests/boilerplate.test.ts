/** Boilerplate marking: each kind of page furniture, exact offsets, and prose left alone. */
import { describe, expect, it } from 'vitest';
import { makeArticle } from '../src/corpus/article.js';
import { inBoilerplate, markBoilerplate, outletOf, repeatedLines } from '../src/ingest/boilerplate.js';

const PROSE = 'The council approved the budget on Tuesday after a long debate about the harbour.';
const marked = (line: string) => {
  const text = `${PROSE}\n\n${line}\n\n${PROSE}`;
  return markBoilerplate({ text, source: 'x.md' }).map(([s, e]) => text.slice(s, e));
};

describe('markBoilerplate', () => {
  it.each([
    ['a newsletter sign-up', 'Get the Morning Ledger newsletter in your inbox every weekday. Sign up here.'],
    ['a "Sign up" line', 'Sign up for the Courier Briefing, our free daily newsletter.'],
    ['a "Read more" line', "Read more: How the Port of Calderra became the coast's busiest harbour"],
    ['a "Related article:" link line', 'Related article: [Russia-China Alliance Would Build Artificial Intelligence For Dictators](#)'],
    ['a link alone', '[Storm Ilse leaves 14,000 homes without power](https://news.example/ilse)'],
    ['a "Follow … on X" line', 'Follow Nora Lindqvist on X @noralindqvist'],
    ['a "Contact … at …@…" line', 'Contact Elin Marsh at elin.marsh@coastlinetribune.example'],
    ['a byline', 'By Petra Almqvist, Harbor Ledger'],
    ['a wire byline', 'By Northgate Wire staff'],
    ['a photo credit', 'Photo: Jonas Keel/Harbor Ledger'],
    ['a photo credit in brackets', '(Photo: Coastline Tribune/Maja Sund)'],
    ['a "Photo by" credit', 'Photo by Ida Berg for Metro Daily Post'],
    ['an update note', '(This story was updated at 9:40 p.m. to include the result of the union vote.)'],
    ['a copyright line', 'Copyright Northgate Wire. All rights reserved.'],
    ['a list of bare names', 'Ashford, Brennan, Copperfield, Dunmore, Eastvale, Fairhaven, Glenrock, Hollis'],
    ['a dateline', 'October 14, 2024'],
  ])('marks %s', (_kind, line) => {
    expect(marked(line)).toEqual([line]);
  });

  it.each([
    ['a sentence starting "By" with a time', 'By Tuesday, the port was closed to all traffic.'],
    ['prose with a year', 'The war ended in 1945.'],
    ['prose that mentions a newsletter', 'The union sends its members a weekly letter about the talks.'],
    ['prose that mentions a photo', 'A photo of the minister circulated widely on Monday evening in the capital.'],
    ['prose that names several people', 'Ines Halvorsen, Rafael Quint and Lars Eide debated on Friday.'],
  ])('leaves %s alone', (_kind, line) => {
    expect(marked(line)).toEqual([]);
  });

  it('marks a run of bare names one per line, with the line that introduces them', () => {
    const text = `${PROSE}\n\nResults by district:\nAshford\nBrennan\nCopperfield\nDunmore\n\n${PROSE}`;
    const spans = markBoilerplate({ text, source: 'x.md' });
    expect(spans.map(([s, e]) => text.slice(s, e))).toEqual(['Results by district:', 'Ashford', 'Brennan', 'Copperfield', 'Dunmore']);
  });

  it('returns exact offsets into the unchanged text', () => {
    const text = `${PROSE}\nBy Jo Doe\n${PROSE}`;
    expect(markBoilerplate({ text, source: 'x.md' })).toEqual([[PROSE.length + 1, PROSE.length + 10]]);
    expect(inBoilerplate([[5, 9]], 0, 5)).toBe(false);
    expect(inBoilerplate([[5, 9]], 8, 20)).toBe(true);
  });
});

describe('repeatedLines', () => {
  const article = (i: number, host: string, extra: string) =>
    makeArticle({ title: `Story ${i}`, url: `https://${host}/s/${i}`, text: `${PROSE} Number ${i}.\n\n${extra}` }, `s${i}.md`);
  it('finds the lines one outlet repeats across its articles, and only that outlet', () => {
    const footer = 'The Harbor Ledger is an independent newsroom serving the coast.';
    const set = [1, 2, 3, 4].map((i) => article(i, 'ledger.example', footer));
    const other = [5, 6].map((i) => article(i, 'other.example', footer));
    const rep = repeatedLines([...set, ...other]);
    expect([...rep.get('ledger.example')!]).toEqual([footer]);
    expect(rep.has('other.example')).toBe(false);
    const spans = markBoilerplate(set[0], rep.get(outletOf(set[0])));
    expect(spans.map(([s, e]) => set[0].text.slice(s, e))).toEqual([footer]);
  });
});
