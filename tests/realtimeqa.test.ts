/**
 * The RealTimeQA loader on a tiny synthetic fixture written here (never RealTimeQA's own text),
 * laid out as the project publishes it: read from a checkout and from a bare git dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArgs } from '../src/eval/cli.js';
import { loadRealtimeQa, MIN_ARTICLE_CHARS, parseWeeks } from '../src/eval/realtimeqa.js';
import { tempDir } from './helpers.js';

const long = (s: string) => `${s} ${'The council met again on Tuesday to discuss the budget and the roads. '.repeat(8)}`;

const qa = (id: string, date: string, question: string, choices: string[], answer: number) =>
  JSON.stringify({ question_id: id, question_date: date, question_source: 'Test', question_sentence: question, choices, answer: [String(answer)] });
const gcs = (id: string, results: { url: string; title: string; text: string; publish_date: string }[]) =>
  JSON.stringify({ question_id: id, search_time: '2023/01/07/05:11', search_result: results });

let root: string;
let checkout: string;
let bare: string;

beforeAll(async () => {
  root = await tempDir('archivist-rtqa-');
  checkout = join(root, 'checkout');
  const week = join(checkout, 'past', '2023');
  await mkdir(week, { recursive: true });
  await mkdir(join(checkout, 'past', '2024'), { recursive: true });
  await writeFile(
    join(week, '20230106_qa.jsonl'),
    [
      qa('20230106_0', '2023/01/05', 'Which city opened a tram line this week?', ['Lyon', 'Tallinn', 'Porto'], 1),
      // Its gold ("Zagreb") is in no article: dropped, and counted.
      qa('20230106_1', '2023/01/05', 'Which capital banned cars?', ['Zagreb', 'Oslo'], 0),
    ].join('\n'),
  );
  await writeFile(
    join(week, '20230106_gcs.jsonl'),
    [
      gcs('20230106_0', [
        { url: 'https://news.example/tram', title: 'Tram opens', text: long('Tallinn opened its new tram line on Monday.'), publish_date: '2023/01/03' },
        // The same url again (another question's search): one article.
        { url: 'https://news.example/tram', title: 'Tram opens', text: long('Tallinn opened its new tram line on Monday.'), publish_date: '2023/01/03' },
        { url: 'https://news.example/short', title: 'Snippet', text: 'Zagreb too short.', publish_date: '2023/01/04' },
      ]),
      gcs('20230106_1', [{ url: 'https://news.example/oslo', title: 'Oslo', text: long('Oslo considered a ban.'), publish_date: '2023/01/04' }]),
    ].join('\n'),
  );
  // Some published lines give the answer as one index in a string rather than a list of them.
  await writeFile(
    join(week, '20230113_qa.jsonl'),
    qa('20230113_0', '2023/01/12', 'Who won the chess final?', ['Ana Ruiz', 'Bo Li'], 1).replace('"answer":["1"]', '"answer":"1"'),
  );
  await writeFile(
    join(week, '20230113_gcs.jsonl'),
    gcs('20230113_0', [
      { url: 'https://news.example/chess', title: 'Chess', text: long('Bo Li won the chess final in Reykjavik.'), publish_date: '2023/01/11' },
    ]),
  );
  // Weeks outside the range asked for are not valid JSON: opening one fails the test.
  await writeFile(join(week, '20230120_qa.jsonl'), 'not json');
  await writeFile(join(week, '20230120_gcs.jsonl'), 'not json');
  await writeFile(join(checkout, 'past', '2024', '20240105_qa.jsonl'), 'not json');
  await writeFile(join(checkout, 'past', '2024', '20240105_gcs.jsonl'), 'not json');

  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: checkout,
      env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' },
    });
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'fixture');
  bare = join(root, 'bare.git');
  execFileSync('git', ['clone', '-q', '--bare', checkout, bare]);
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('RealTimeQA loader', () => {
  it.each([
    ['a checkout', () => checkout],
    ['a bare git dir', () => bare],
  ])('reads the weeks asked for from %s', async (_, dir) => {
    const set = await loadRealtimeQa(dir(), parseWeeks('20230106..20230113'));
    expect(set.stats.weeks).toEqual(['20230106', '20230113']);
    // Deduplicated by url, the short snippet dropped.
    expect(set.articles.map((a) => a.url).sort()).toEqual(['https://news.example/chess', 'https://news.example/oslo', 'https://news.example/tram']);
    expect(set.articles.every((a) => a.text.length >= MIN_ARTICLE_CHARS)).toBe(true);
    expect(set.articles.find((a) => a.url?.endsWith('/tram'))?.date).toBe('2023-01-03');
    // Gold is the text of the right choice; asOf the quiz date; the question without its gold in any article is dropped.
    expect(set.questions).toEqual([
      { id: '20230106_0', question: 'Which city opened a tram line this week?', answers: ['Tallinn'], impossible: false, asOf: '2023-01-05' },
      { id: '20230113_0', question: 'Who won the chess final?', answers: ['Bo Li'], impossible: false, asOf: '2023-01-12' },
    ]);
    expect(set.stats).toMatchObject({ questions: 3, kept: 2, articles: 3, shortDropped: 1 });
  });

  it('opens one week alone, and none outside the range', async () => {
    const set = await loadRealtimeQa(bare, parseWeeks('20230113'));
    expect(set.stats.weeks).toEqual(['20230113']);
    expect(set.questions.map((q) => q.id)).toEqual(['20230113_0']);
  });

  it('refuses a range with no week in it, and malformed ranges', async () => {
    await expect(loadRealtimeQa(checkout, parseWeeks('20230201..20230301'))).rejects.toThrow(/no RealTimeQA week/);
    expect(() => parseWeeks('2023-01-06..2023-03-31')).toThrow(/--weeks must be YYYYMMDD/);
    expect(() => parseWeeks('20230331..20230106')).toThrow(/ends before it starts/);
  });

  it('refuses a folder that is neither a checkout nor a git dir', async () => {
    await expect(loadRealtimeQa(join(root, 'nowhere'), parseWeeks('20230106'))).rejects.toThrow(/neither a checkout/);
  });

  it('needs --weeks with --realtimeqa, and known --modes', () => {
    expect(() => parseArgs(['--realtimeqa', bare])).toThrow(/needs --weeks/);
    expect(() => parseArgs(['--weeks', '20230106'])).toThrow(/goes with --realtimeqa/);
    expect(() => parseArgs(['--realtimeqa', bare, '--weeks', '20230106', '--modes', 'hybrid,bm25'])).toThrow(/--modes must be/);
    expect(parseArgs(['--realtimeqa', bare, '--weeks', '20230106..20230113', '--modes', 'hybrid', '--no-cache'])).toMatchObject({
      realtimeqa: bare,
      weeks: { from: '20230106', to: '20230113' },
      modes: ['hybrid'],
      cache: undefined,
    });
  });

  it('refuses an unknown option and an option without its value, naming it', () => {
    expect(() => parseArgs(['--wekes', '20230106'])).toThrow(/--wekes/);
    expect(() => parseArgs(['--json'])).toThrow(/--json/);
    expect(() => parseArgs(['a.jsonl', 'b.jsonl'])).toThrow(/one questions file/);
    expect(parseArgs(['eval/news/questions.jsonl', '--no-baseline', '--json', 'out.json'])).toMatchObject({
      file: 'eval/news/questions.jsonl',
      baseline: false,
      json: 'out.json',
      cache: '.cache/eval',
      modes: ['hybrid', 'vector', 'keyword'],
    });
  });
});
