/** Dates, ids and urls of articles: what a day is, what names an article, what url is stored. */
import { describe, expect, it } from 'vitest';
import { articleId, makeArticle, normaliseDate } from '../src/corpus/article.js';
import { parseFile } from '../src/corpus/load.js';

describe('normaliseDate', () => {
  it.each([
    ['2024-10-14', '2024-10-14'],
    ['2024-02-29', '2024-02-29'],
    ['October 14, 2024', '2024-10-14'],
    ['10/14/2024', '2024-10-14'],
    ['2024/10/14', '2024-10-14'],
    ['Mon, 14 Oct 2024 10:00:00 GMT', '2024-10-14T10:00:00.000Z'],
    ['Mon, 14 Oct 2024 10:00:00 +0200', '2024-10-14T08:00:00.000Z'],
    ['2024-10-14T10:00:00+02:00', '2024-10-14T08:00:00.000Z'],
    ['Thu, 29 Feb 2024 23:59:59 GMT', '2024-02-29T23:59:59.000Z'],
  ])('reads %s as %s', (raw, iso) => {
    expect(normaliseDate(raw)).toBe(iso);
  });

  it.each([
    'Feb 30 2024',
    '30 February 2024',
    '31 April 2024',
    'Feb 29 2023',
    '2/30/2024',
    '2024/02/30',
    '2024-13-45',
    '2024-02-30',
    '2024-10-14T25:99:00Z',
    '2024-10-14T24:00:00Z',
    '2024-10-14T23:59:60Z',
    '14 Oct 2024 24:00',
    'Mon, 14 Oct 2024 23:60:00 GMT',
  ])('refuses the impossible %s instead of shifting it', (raw) => {
    expect(normaliseDate(raw)).toBeUndefined();
  });
});

describe('articleId', () => {
  it('keeps the id an https url had in archives made before scheme and port counted', () => {
    // sha256('url:news.example/story'), the key of every url article so far.
    expect(articleId({ url: 'https://news.example/story' }, 'api')).toBe('8b127fd728b5d70b');
    expect(articleId({ url: 'https://NEWS.example/story/#top' }, 'api')).toBe('8b127fd728b5d70b');
  });

  it('gives another scheme or port an article of its own', () => {
    const ids = ['https://news.example/story', 'http://news.example/story', 'https://news.example:8443/story', 'http://news.example:8080/story'].map((url) =>
      articleId({ url }, 'api'),
    );
    expect(new Set(ids).size).toBe(4);
  });
});

describe('makeArticle urls', () => {
  it('stores the parsed, percent-encoded href, not the string given', () => {
    expect(makeArticle({ title: 't', url: 'https://evil.example/a"><img src=x onerror=alert(1)>', text: 'Body.' }, 'api').url).toBe(
      'https://evil.example/a%22%3E%3Cimg%20src=x%20onerror=alert(1)%3E',
    );
    expect(makeArticle({ title: 't', url: 'HTTPS://News.Example:443/a', text: 'Body.' }, 'api').url).toBe('https://news.example/a');
  });

  it.each(['https://user:pass@news.example/a', 'https://user@news.example/a', 'http://:secret@news.example/a'])(
    'refuses credentials in %s, naming url',
    (url) => {
      expect(() => makeArticle({ title: 't', url, text: 'Body.' }, 'api')).toThrow(/url: must not carry a user name or password/);
    },
  );
});

describe('front matter dates', () => {
  const md = (front: string) => new TextEncoder().encode(`---\n${front}\n---\n# Tram line\nThe tram runs.`);

  it.each(['date: 2024-13-45', 'date: 2024-02-30', 'date: "Feb 30 2024"'])('refuses %s with the field named, not rolled over', (front) => {
    expect(() => parseFile('tram.md', md(front))).toThrow(/date "[^"]+" is not a real date/);
  });

  it('reads a real front matter date, and its time when it has one', () => {
    expect(parseFile('tram.md', md('date: 2024-10-14'))[0].date).toBe('2024-10-14');
    expect(parseFile('tram.md', md('date: 2024-10-14T10:00:00Z'))[0].date).toBe('2024-10-14T10:00:00.000Z');
  });
});
