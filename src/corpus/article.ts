/** The unit everything else works on, and the one place ids and content hashes are made. */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../errors.js';

export interface Article {
  /** Stable: from the url when there is one, otherwise from the normalised source path. */
  id: string;
  title: string;
  url?: string;
  /** ISO 8601 (YYYY-MM-DD, or a full timestamp when the source gave a time). */
  date?: string;
  text: string;
  /** Its origin: a path relative to the corpus folder, `api`, or `feed:<source id>` (docs/architecture.md, Words). */
  source: string;
  /** sha256 of title, url, date and text: a change to any of them is a change of the article. */
  hash: string;
  /**
   * Derived at ingest, not part of the hash: `[start, end)` spans of whole lines that are page
   * furniture (bylines, "Read more", sign-ups, …; see ingest/boilerplate.ts). Never embedded,
   * keyword-indexed or quoted.
   */
  boilerplate?: [number, number][];
  /** Derived at ingest: the id of the story's first article when this is a near-duplicate copy (ingest/dedupe.ts). */
  cluster?: string;
}

/** http(s) only; must not throw, whatever string it is given. */
function isWebUrl(u: string): boolean {
  try {
    return /^https?:$/i.test(new URL(u).protocol);
  } catch {
    return false;
  }
}

function hasCredentials(u: string): boolean {
  try {
    const parsed = new URL(u);
    return Boolean(parsed.username || parsed.password);
  } catch {
    return false;
  }
}

/** What a format parser produces before ids and hashes are assigned. */
export const articleInputSchema = z.object({
  title: z.string().trim().max(1000).optional(),
  // Only web addresses: a `javascript:`, `file:` or `data:` url would be served to API clients and links.
  // Stored and republished as the parsed `href` (percent-encoded), never as the string given.
  url: z
    .string()
    .trim()
    .max(4000)
    .optional()
    .transform((u, ctx) => {
      if (!u) return undefined;
      if (!isWebUrl(u)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be an http(s) url' });
      else if (hasCredentials(u)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must not carry a user name or password (user:pass@)' });
      else return new URL(u).href;
      return z.NEVER;
    }),
  date: z.string().trim().max(100).optional(),
  text: z.string().max(50_000_000),
});
export type ArticleInput = z.infer<typeof articleInputSchema>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * What names an article with a url: scheme, host, port, path (trailing slashes dropped) and
 * query, without the fragment. `https://Example.com/a/?x#y` and `https://example.com/a?x` are one
 * article; `http://news.example/story`, `https://news.example:8443/story` and
 * `https://news.example/story` are three. https on its default port is written as the bare
 * `host/path?query`, the key of every url article in archives made by earlier versions, so the
 * ids already stored stay valid and nothing is re-keyed.
 */
function urlKey(url: string): string {
  const u = new URL(url);
  const rest = `${u.host}${u.pathname.replace(/\/+$/, '')}${u.search}`;
  return u.protocol === 'https:' && !u.port ? rest : `${u.protocol}//${rest}`;
}

export function articleId(input: { url?: string }, source: string): string {
  const key = input.url ? `url:${urlKey(input.url)}` : `path:${source.replace(/\\/g, '/').toLowerCase()}`;
  return sha256(key).slice(0, 16);
}

/**
 * Normalises a date to ISO 8601. Strings that already start with YYYY-MM-DD keep their day;
 * others ("October 14, 2024", "Mon, 14 Oct 2024 10:00:00 GMT") go through Date.parse. A day or
 * time that does not exist is no date at all (undefined), never shifted into one that does:
 * Date.parse turns "Feb 30 2024" into 1 March, and a time of 25:99 would otherwise be dropped.
 *
 * @example normaliseDate('October 14, 2024') // '2024-10-14'
 * @example normaliseDate('Feb 30 2024') // undefined
 */
export function normaliseDate(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const s = raw.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(s);
  if (iso) {
    if (!isCalendarDay(Number(iso[1]), Number(iso[2]), Number(iso[3]))) return undefined;
    if (!iso[4]) return `${iso[1]}-${iso[2]}-${iso[3]}`;
    const t = Date.parse(s);
    return Number.isNaN(t) || !timesAreReal(s) ? undefined : new Date(t).toISOString();
  }
  const t = Date.parse(s);
  if (Number.isNaN(t) || !/\d{4}/.test(s) || /\d{5}/.test(s) || !timesAreReal(s) || !writtenDayIsReal(s)) return undefined;
  const d = new Date(t);
  if (d.getFullYear() < 1 || d.getFullYear() > 9999) return undefined;
  const hasTime = /\d{1,2}:\d{2}/.test(s);
  if (hasTime) return d.toISOString();
  // A bare day is a calendar day, not an instant: keep the day as written, whatever the time zone.
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const TIME = /(\d{1,2}):(\d{2})(?::(\d{2}))?/g;
const OFFSET = /[+-]\d{2}:?\d{2}\b/g;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Every clock time in the string is one a clock shows: hours 0–23, minutes and seconds 0–59. */
function timesAreReal(s: string): boolean {
  return [...s.replace(OFFSET, ' ').matchAll(TIME)].every((m) => Number(m[1]) < 24 && Number(m[2]) < 60 && Number(m[3] ?? 0) < 60);
}

/**
 * The day as written ("Feb 30 2024", "30 February 2024", "2/30/2024", "2024/02/30") is a real
 * one. Forms it cannot read are left to Date.parse.
 */
function writtenDayIsReal(s: string): boolean {
  const bare = s.replace(OFFSET, ' ').replace(TIME, ' ');
  const slashed = /\b(\d{1,2})\/(\d{1,2})\/(\d{4})\b/.exec(bare) ?? /\b(\d{4})\/(\d{1,2})\/(\d{1,2})\b/.exec(bare);
  if (slashed) {
    // Date.parse reads n/n/yyyy as month/day/year.
    const [y, m, d] = slashed[1].length === 4 ? [slashed[1], slashed[2], slashed[3]] : [slashed[3], slashed[1], slashed[2]];
    return isCalendarDay(Number(y), Number(m), Number(d));
  }
  const month = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b/i.exec(bare);
  const year = /\b(\d{4})\b/.exec(bare);
  const day = /\b(\d{1,2})(?:st|nd|rd|th)?\b/i.exec(bare.replace(/\b\d{4}\b/g, ' '));
  if (!month || !year || !day) return true;
  return isCalendarDay(Number(year[1]), MONTHS.indexOf(month[1].toLowerCase()) + 1, Number(day[1]));
}

/** A real day of the Gregorian calendar, years 1–9999 (no month 13, no 30 February, no year 0). */
function isCalendarDay(y: number, m: number, d: number): boolean {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const days = [31, y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  return d <= days[m - 1];
}

/** Collapses runs of blank lines and trailing spaces, keeping paragraphs. */
export function tidyText(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+$/g, ''))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Checks a record's fields (types and sizes) before anything converts them, so a nested array or
 * an object where a string belongs is a 400 naming the field, not a stack overflow.
 * @throws AppError('bad_request') naming each bad field.
 */
export function validateArticleInput(input: unknown): ArticleInput {
  if (!input || typeof input !== 'object' || Array.isArray(input))
    throw new AppError('bad_request', 'article: record must be a JSON object {title, url?, date?, text}');
  const parsed = articleInputSchema.safeParse(input);
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join('.') || 'record'}: ${i.message}`).join('; ');
    throw new AppError('bad_request', `article: ${msg}`);
  }
  return parsed.data;
}

/**
 * Validates a parsed record and gives it an id and a hash.
 * @param key what names the article when it has no url (default: its source path). Articles
 *   added through the API all share the source `api`, so they pass a key of their own.
 * @throws AppError('bad_request') for empty text or a malformed url.
 */
export function makeArticle(input: unknown, source: string, key: string | ((input: ArticleInput) => string) = source): Article {
  const data = validateArticleInput(input);
  const text = tidyText(data.text);
  if (!text) throw new AppError('bad_request', 'article: text is empty');
  const title = (data.title || text.split('\n')[0]).trim().slice(0, 300);
  const url = data.url || undefined;
  const date = normaliseDate(data.date);
  // Never dropped in silence: a date that is given must be a real one.
  if (data.date && !date) throw new AppError('bad_request', `article: date ${JSON.stringify(data.date.slice(0, 40))} is not a real date such as 2024-10-14`);
  const id = articleId({ url }, typeof key === 'function' ? key(data) : key);
  const hash = sha256(JSON.stringify([title, url ?? '', date ?? '', text]));
  return { id, title, ...(url ? { url } : {}), ...(date ? { date } : {}), text, source, hash };
}
