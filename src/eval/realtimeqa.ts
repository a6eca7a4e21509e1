/**
 * RealTimeQA as an evaluation set: each week's news-quiz questions (`past/YYYY/YYYYMMDD_qa.jsonl`)
 * asked of the articles a web search returned for them (`past/YYYY/YYYYMMDD_gcs.jsonl`). Every
 * week in the range goes into one archive, so a question competes with the other weeks' news,
 * and is asked with its quiz date as `asOf`.
 *
 * Read from a checkout (files) or a bare git dir (`git show HEAD:<path>`). Only the weeks inside
 * the range asked for are ever opened: a week outside it is neither read nor listed beyond the
 * folder of its year, so weeks held back for checks from outside stay unseen.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { makeArticle, type Article } from '../corpus/article.js';
import { AppError } from '../errors.js';
import type { EvalQuestion, EvalSet } from './dataset.js';
import { normalise } from './metrics.js';

const run = promisify(execFile);

/** Search results shorter than this are snippets or error pages, not articles. */
export const MIN_ARTICLE_CHARS = 400;

export interface WeekRange {
  from: string;
  to: string;
}

/**
 * `20230106..20230630` (or one week `20230106`) as an inclusive range of YYYYMMDD weeks.
 * @throws AppError('bad_request') for anything else, or a range that ends before it starts.
 */
export function parseWeeks(spec: string): WeekRange {
  const m = /^(\d{8})(?:\.\.(\d{8}))?$/.exec(spec.trim());
  if (!m) throw new AppError('bad_request', `eval: --weeks must be YYYYMMDD..YYYYMMDD (e.g. 20230106..20230630), not ${JSON.stringify(spec)}`);
  const range = { from: m[1], to: m[2] ?? m[1] };
  if (range.to < range.from) throw new AppError('bad_request', `eval: --weeks ${spec} ends before it starts`);
  return range;
}

/** Where the weeks are: files of a checkout, or blobs of a bare git dir's HEAD. */
interface Source {
  list(year: string): Promise<string[]>;
  read(path: string): Promise<string>;
}

async function openSource(dir: string): Promise<Source> {
  const isDir = (p: string) =>
    stat(p).then(
      (s) => s.isDirectory(),
      () => false,
    );
  if (await isDir(join(dir, 'past'))) {
    return {
      list: async (year) => ((await isDir(join(dir, 'past', year))) ? readdir(join(dir, 'past', year)) : []),
      read: (path) => readFile(join(dir, path), 'utf8'),
    };
  }
  const git = async (...args: string[]) => (await run('git', ['--git-dir', dir, ...args], { maxBuffer: 1 << 30, encoding: 'utf8' })).stdout;
  try {
    await git('rev-parse', '--verify', 'HEAD');
  } catch (e) {
    throw new AppError('bad_request', `eval: --realtimeqa ${dir} is neither a checkout (with a past/ folder) nor a git dir`, { cause: e });
  }
  return {
    // ls-tree of one year's folder: the names of that year only, never another year's.
    list: async (year) =>
      (await git('ls-tree', '--name-only', 'HEAD', `past/${year}/`))
        .split('\n')
        .filter(Boolean)
        .map((p) => p.split('/').pop()!),
    read: (path) => git('show', `HEAD:${path}`),
  };
}

const qaLine = z.object({
  question_id: z.string(),
  question_date: z.string().regex(/^\d{4}\/\d{2}\/\d{2}$/),
  question_sentence: z.string().min(1),
  choices: z.array(z.string()).min(1),
  // Most weeks give the answer as a list of choice indexes; some give one index as a bare string.
  answer: z.union([
    z.array(z.string().regex(/^\d+$/)).min(1),
    z
      .string()
      .regex(/^\d+$/)
      .transform((i) => [i]),
  ]),
});

const gcsLine = z
  .object({
    question_id: z.string(),
    search_result: z
      .array(
        z
          .object({
            url: z.string().optional().nullable(),
            title: z.string().optional().nullable(),
            text: z.string().optional().nullable(),
            publish_date: z.string().optional().nullable(),
          })
          .passthrough(),
      )
      .default([]),
  })
  .passthrough();

function parseLines<T>(content: string, schema: z.ZodType<T, z.ZodTypeDef, unknown>, file: string): T[] {
  return content
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .map((line, i) => {
      const parsed = schema.safeParse(JSON.parse(line));
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new AppError('bad_request', `eval: ${file} line ${i + 1}: ${issue.path.join('.') || 'record'}: ${issue.message}`);
      }
      return parsed.data;
    });
}

/** `2023/01/05` → `2023-01-05`. */
const isoDay = (d: string) => d.replace(/\//g, '-');

export interface RealtimeQaSet extends EvalSet {
  /** Weeks read, questions in them, and how many were kept (gold in some article). */
  stats: { weeks: string[]; questions: number; kept: number; articles: number; shortDropped: number };
}

/**
 * Loads the weeks of `range` from `dir` (a checkout or a bare git dir).
 * @example await loadRealtimeQa('/data/realtimeqa_public', parseWeeks('20230106..20230331'))
 */
export async function loadRealtimeQa(dir: string, range: WeekRange): Promise<RealtimeQaSet> {
  const source = await openSource(dir);
  const years: string[] = [];
  for (let y = Number(range.from.slice(0, 4)); y <= Number(range.to.slice(0, 4)); y++) years.push(String(y));
  const weeks: string[] = [];
  for (const year of years) {
    for (const name of await source.list(year)) {
      const m = /^(\d{8})_qa\.jsonl$/.exec(name);
      if (m && m[1] >= range.from && m[1] <= range.to) weeks.push(m[1]);
    }
  }
  weeks.sort();
  if (!weeks.length) throw new AppError('bad_request', `eval: no RealTimeQA week between ${range.from} and ${range.to} in ${dir}`);

  const seenUrls = new Set<string>();
  const byId = new Map<string, Article>();
  const questions: EvalQuestion[] = [];
  let total = 0;
  let shortDropped = 0;
  for (const week of weeks) {
    const base = `past/${week.slice(0, 4)}/${week}`;
    for (const line of parseLines(await source.read(`${base}_gcs.jsonl`), gcsLine, `${base}_gcs.jsonl`)) {
      for (const r of line.search_result ?? []) {
        const text = r.text ?? '';
        if (!r.url || seenUrls.has(r.url)) continue;
        seenUrls.add(r.url);
        if (text.trim().length < MIN_ARTICLE_CHARS) {
          shortDropped++;
          continue;
        }
        const date = r.publish_date ? isoDay(r.publish_date) : undefined;
        let article: Article;
        try {
          article = makeArticle({ title: r.title ?? undefined, url: r.url, date, text }, `realtimeqa/${week}`);
        } catch {
          // A malformed url or an impossible date: the search result is not usable as an article.
          shortDropped++;
          continue;
        }
        // Two spellings of one address (case of the host, a trailing slash) are one article.
        if (!byId.has(article.id)) byId.set(article.id, article);
      }
    }
    for (const q of parseLines(await source.read(`${base}_qa.jsonl`), qaLine, `${base}_qa.jsonl`)) {
      total++;
      const gold = q.answer.map((i) => q.choices[Number(i)]).filter((c): c is string => !!c);
      questions.push({ id: q.question_id, question: q.question_sentence, answers: gold, impossible: false, asOf: isoDay(q.question_date) });
    }
  }
  const articles = [...byId.values()];
  // Kept: questions whose gold occurs in some article's text, compared as the scores compare it
  // (lower case, punctuation and a/an/the dropped, whole words), so every kept one can be hit.
  const texts = articles.map((a) => ` ${normalise(a.text)} `);
  const kept = questions.filter((q) =>
    q.answers.some((g) => {
      const n = normalise(g);
      return n.length > 0 && texts.some((t) => t.includes(` ${n} `));
    }),
  );
  return {
    name: `realtimeqa ${weeks[0]}..${weeks.at(-1)}`,
    articles,
    questions: kept,
    stats: { weeks, questions: total, kept: kept.length, articles: articles.length, shortDropped },
  };
}
