/** The page's words for the time frame the server understood (src/web/render.js): pure, no browser. */
import { describe, expect, it } from 'vitest';
import { describeTime } from '../src/web/render.js';

const t = (since: string | null, until: string | null, recency = false) => ({ asOf: '2024-10-16', since, until, recency });

describe('describeTime', () => {
  it.each([
    [t('2024-10-07', '2024-10-13'), 'searched articles from 7–13 Oct 2024'],
    [t('2024-10-15', '2024-10-15'), 'searched articles from 15 Oct 2024'],
    [t('2024-09-30', '2024-10-06'), 'searched articles from 30 Sep – 6 Oct 2024'],
    [t('2023-12-25', '2024-01-07'), 'searched articles from 25 Dec 2023 – 7 Jan 2024'],
    [t('2024-10-03', null), 'searched articles from 3 Oct 2024 on'],
    [t(null, '2024-10-03'), 'searched articles up to 3 Oct 2024'],
    [t(null, null, true), 'newer articles first'],
    [t(null, null), ''],
  ])('%j → %s', (time, words) => expect(describeTime(time)).toBe(words));
});
