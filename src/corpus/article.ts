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
  /** Where it came from: a path relative to the corpus folder, or `api`. */
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

/** http(s) only; zod runs this even after its own url check failed, so it must not throw. */
function isWebUrl(u: string): boolean {
  try {
    return /^https?:$/i.test(new URL(u).protocol);
  } catch {
    return false;
  }
}

/** What a format parser produces before ids and hashes are assigned. */
export const articleInputSchema = z.object({
  title: z.string().trim().max(1000).optional(),
  // Only web addresses: a `javascript:`, `file:` or `data:` url would be served to API clients and links.
  url: z.string().trim().max(4000).url().refine(isWebUrl, 'must be an http(s) url').optional()
    .or(z.literal('').transform(() => undefined)),
  date: z.string().trim().max(100).optional(),
  text: z.string().max(50_000_000),
});
export type ArticleInput = z.infer<typeof articleInputSchema>;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** `https://Example.com/a/?x#y` and `https://example.com/a` name the same article. */
function normaliseUrl(url: string): string {
  const u = new URL(url);
  u.hash = '';
  return `${u.hostname.toLowerCase()}${u.pathname.replace(/\/+$/, '')}${u.search}`;
}

export function articleId(input: { url?: string }, source: string): string {
  const key = input.url ? `url:${normaliseUrl(input.url)}` : `path:${source.replace(/\\/g, '/').toLowerCase()}`;
  return sha256(key).slice(0, 16);
}

/**
 * Normalises a date to ISO 8601. Strings that already start with YYYY-MM-DD keep their day;
 * others ("October 14, 2024", "Mon, 14 Oct 2024 10:00:00 GMT") go through Date.parse.
 *
 * @example normaliseDate('October 14, 2024') // '2024-10-14'
 */
export function normaliseDate(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  const s = raw.trim();
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
  if (iso) {
    if (!isCalendarDay(Number(iso[1]), Number(iso[2]), Number(iso[3]))) return undefined;
    if (!iso[4]) return `${iso[1]}-${iso[2]}-${iso[3]}`;
    const t = Date.parse(s);
    return Number.isNaN(t) ? `${iso[1]}-${iso[2]}-${iso[3]}` : new Date(t).toISOString();
  }
  const t = Date.parse(s);
  if (Number.isNaN(t) || !/\d{4}/.test(s) || /\d{5}/.test(s)) return undefined;
  const d = new Date(t);
  if (d.getFullYear() < 1 || d.getFullYear() > 9999) return undefined;
  const hasTime = /\d{1,2}:\d{2}/.test(s);
  if (hasTime) return d.toISOString();
  // A bare day is a calendar day, not an instant: keep the day as written, whatever the time zone.
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
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
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw new AppError('bad_request', 'article: record must be a JSON object {title, url?, date?, text}');
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
