/** The entries a sync takes from a document, chosen on the parse worker. */
import { describe, expect, it } from 'vitest';
import type { FeedEntry } from '../src/sources/feeds.js';
import { pickEntries, wanted, type PickOptions } from '../src/sources/pick.js';

const entry = (key: string, title = `Story ${key}`): FeedEntry => ({ url: `https://news.example/${key}`, key, title });
const doc = (entries: FeedEntry[], sitemaps: string[] = []) => ({ entries, sitemaps });
const opts = (o: Partial<PickOptions> = {}): PickOptions => ({ seen: [], taken: [], limit: 100, sitemapLimit: 20, ...o });
const keys = (d: { entries: FeedEntry[] }) => d.entries.map((e) => e.key);

describe('pickEntries', () => {
  it('takes each key once, in its first place, with its last listing', () => {
    const got = pickEntries(doc([entry('a', 'First'), entry('b'), entry('a', 'Corrected'), entry('c')]), opts());
    expect(keys(got)).toEqual(['a', 'b', 'c']);
    expect(got.entries[0].title).toBe('Corrected');
  });

  it('leaves out keys seen by an earlier sync or taken from an earlier document', () => {
    expect(keys(pickEntries(doc(['a', 'b', 'c', 'd'].map((k) => entry(k))), opts({ seen: ['b'], taken: ['d'] })))).toEqual(['a', 'c']);
  });

  it('stops at the limit, counting only entries the filters want', () => {
    const entries = ['1', '2', '3', '4', '5'].map((k) => entry(k, Number(k) % 2 ? 'Harbour news' : 'Sport'));
    expect(keys(pickEntries(doc(entries), opts({ limit: 2, filters: { include: ['harbour'] } })))).toEqual(['1', '3']);
    expect(keys(pickEntries(doc(entries), opts({ limit: 0 })))).toEqual([]);
  });

  it('keeps keys that name Object properties (`__proto__`, `constructor`, `toString`)', () => {
    const got = pickEntries(doc(['__proto__', 'constructor', 'toString', 'hasOwnProperty'].map((k) => entry(k))), opts({ seen: ['hasOwnProperty'] }));
    expect(keys(got)).toEqual(['__proto__', 'constructor', 'toString']);
  });

  it('passes on at most sitemapLimit child sitemaps', () => {
    const sitemaps = ['s1', 's2', 's3'].map((s) => `https://news.example/${s}.xml`);
    expect(pickEntries(doc([], sitemaps), opts({ sitemapLimit: 2 })).sitemaps).toEqual(sitemaps.slice(0, 2));
    expect(pickEntries(doc([], sitemaps), opts({ sitemapLimit: -1 })).sitemaps).toEqual([]);
  });
});

describe('wanted', () => {
  it.each([
    [undefined, 'Anything', true],
    [{ include: ['Harbour'] }, 'The harbour reopens', true],
    [{ include: ['harbour'] }, 'Match report', false],
    [{ exclude: ['sport'] }, 'SPORT: the derby', false],
    [{ include: ['harbour'], exclude: ['opinion'] }, 'Opinion: the harbour', false],
    [{ include: [] }, 'Anything', true],
  ])('filters %j on the title %j: %s', (filters, title, want) => {
    expect(wanted(filters, { url: 'https://news.example/x', title })).toBe(want);
  });

  it('looks at the url too', () => {
    expect(wanted({ include: ['/harbour/'] }, { url: 'https://news.example/harbour/1' })).toBe(true);
  });
});
