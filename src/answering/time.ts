/**
 * Time in a question: "last week", "yesterday", "in October 2024", "on 14 October" become a date
 * range (`since`/`until`, applied before ranking); "latest", "current", "recent" become a recency
 * prior. Everything is resolved against a reference date, `asOf`: the request's, else the newest
 * article's. Absolute dates are read by chrono-node; the calendar units ("last week" as the
 * previous Monday–Sunday, "this month") are read here because chrono reads "last week" as the
 * day seven days back, which is not what a reader means.
 */
import * as chrono from 'chrono-node';
import type { Question, Stage } from './question.js';
import type { Turn } from './rewrite.js';

export interface TimeFrame {
  /** The reference date (YYYY-MM-DD), or null when neither the request nor the index gives one. */
  asOf: string | null;
  since: string | null;
  until: string | null;
  /** Newer articles are preferred among the relevant ones. */
  recency: boolean;
}

export interface Understood {
  time: TimeFrame;
  /** The question without its time words (they would only be unmatched words to the search). */
  question: string;
  /** True when the frame came from an earlier turn of the conversation. */
  carried: boolean;
  /** The range names a date ("in 2023", "in August", "on 14 October") rather than counting from asOf. */
  absolute: boolean;
}

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY);
const NUMBERS: Record<string, number> = { a: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, ten: 10 };

const WEEKDAY = /^(?:on\s+|this\s+)?(sun|mon|tues|wednes|thurs|fri|satur)day$/i;
const WEEKDAYS = ['sun', 'mon', 'tues', 'wednes', 'thurs', 'fri', 'satur'];
const WEEKEND = /\b(?:(this|last|past|previous)\s+weekend|(?:over|during|on|at)\s+the\s+weekend)\b/i;

const RECENCY = /\b(latest|current(?:ly)?|recent(?:ly)?|newest|most recent|these days|right now|nowadays|so far)\b/i;
const UNIT =
  /\b(?:(last|this|past|previous)\s+(week|month|year)|(?:the\s+)?(?:past|last)\s+(\d+|a|one|two|three|four|five|six|seven|ten)\s+(days?|weeks?|months?))\b/i;
const BARE_YEAR = /\b(?:in|during|since)\s+((?:19|20)\d{2})\b/i;
const MAYBE_DATE =
  /\d|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\b(mon|tues|wednes|thurs|fri|satur|sun)day\b|\b(yesterday|today|tonight|tomorrow|ago|week|month|year|weekend|noon|midnight)\b/i;
const RELATIVE_WORDS = /\b(yesterday|today|tonight|tomorrow|ago|last|this|next|past|previous)\b/i;
const PREPOSITION = /\b(since|after|from|before|until|till|by|on|in|during)\s+$/i;

/** `absolute`: a named date ("in October 2024", "in August"), which may be about the story rather than the day it was reported. */
type Range = { since: string | null; until: string | null; text: string; absolute?: boolean };

/** Calendar units relative to `ref`: a week runs Monday to Sunday. */
function unitRange(m: RegExpMatchArray, ref: Date): Range {
  const [text, which, unit, count, countUnit] = m;
  if (count) {
    const n = NUMBERS[count.toLowerCase()] ?? Number(count);
    const days = countUnit.startsWith('day') ? n : countUnit.startsWith('week') ? 7 * n : 30 * n;
    return { since: iso(addDays(ref, -days)), until: iso(ref), text };
  }
  const last = /last|previous/i.test(which);
  const y = ref.getUTCFullYear();
  const mo = ref.getUTCMonth();
  if (/week/i.test(unit)) {
    const monday = addDays(ref, -((ref.getUTCDay() + 6) % 7));
    if (/past/i.test(which)) return { since: iso(addDays(ref, -7)), until: iso(ref), text };
    // "This week" is the seven days up to `ref`, not only those since Monday: asked on a Thursday
    // ("Which city … this week?"), the story is as often from the Friday before as from Tuesday.
    return last ? { since: iso(addDays(monday, -7)), until: iso(addDays(monday, -1)), text } : { since: iso(addDays(ref, -6)), until: iso(ref), text };
  }
  if (/month/i.test(unit)) {
    if (/past/i.test(which)) return { since: iso(addDays(ref, -30)), until: iso(ref), text };
    return last
      ? { since: iso(new Date(Date.UTC(y, mo - 1, 1))), until: iso(new Date(Date.UTC(y, mo, 0))), text }
      : { since: iso(new Date(Date.UTC(y, mo, 1))), until: iso(ref), text };
  }
  if (/past/i.test(which)) return { since: iso(addDays(ref, -365)), until: iso(ref), text };
  return last ? { since: `${y - 1}-01-01`, until: `${y - 1}-12-31`, text } : { since: `${y}-01-01`, until: iso(ref), text };
}

const sameWhateverRef = (text: string, d: Date) =>
  chrono
    .parseDate(text, new Date(Date.UTC(2001, 5, 15)))
    ?.toISOString()
    .slice(0, 10) === iso(d);

/** A date chrono found, widened to the day, month or year it names; undefined for a time of day or a bare name. */
function chronoRange(question: string, asOf: Date | undefined): Range | undefined {
  const ref = asOf ?? new Date();
  for (const r of chrono.parse(question, { instant: ref, timezone: 'UTC' }, { forwardDate: false })) {
    const known = (k: 'day' | 'month' | 'year' | 'weekday') => r.start.isCertain(k);
    // Without a reference date only an absolute date means anything: one that reads the same
    // whatever the reference ("last week" does not).
    if (!asOf && !sameWhateverRef(r.text, r.start.date())) continue;
    const before = question.slice(0, r.index);
    const anchored = /^(on|in|since|after|from|before|until|by|during|this|last|next|past)\b/i.test(r.text) || PREPOSITION.test(before);
    // "the Sunday Times", "the March report": a weekday or month alone is a date only after a preposition.
    if (!known('day') && !known('year') && !anchored) continue;
    if (!known('day') && !known('month') && !known('weekday') && !known('year')) continue;
    // A bare weekday ("on Monday") is the latest one before asOf; on that weekday itself the
    // asker may mean today or a week ago, so the frame holds both.
    const weekday = known('weekday') && !known('day') ? WEEKDAY.exec(r.text.trim()) : null;
    if (weekday) {
      const back = (ref.getUTCDay() - WEEKDAYS.indexOf(weekday[1].toLowerCase()) + 7) % 7;
      return { since: iso(addDays(ref, back ? -back : -7)), until: iso(back ? addDays(ref, -back) : ref), text: r.text, absolute: false };
    }
    let start = r.start.date();
    if (start > ref && !known('year')) start = new Date(Date.UTC(start.getUTCFullYear() - 1, start.getUTCMonth(), start.getUTCDate()));
    let range: Range;
    if (known('day') || known('weekday')) range = { since: iso(start), until: iso(r.end?.date() ?? start), text: r.text };
    else if (known('month'))
      range = {
        since: iso(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1))),
        until: iso(new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0))),
        text: r.text,
      };
    else range = { since: `${start.getUTCFullYear()}-01-01`, until: `${start.getUTCFullYear()}-12-31`, text: r.text };
    // Only words that count from asOf ("yesterday", "two days ago", "on Monday") bind the search
    // to publication dates; a named month or day ("in August") may be when the story happened.
    range.absolute = !RELATIVE_WORDS.test(r.text) && !known('weekday');
    const word = (PREPOSITION.exec(before)?.[1] ?? r.text.split(/\s/)[0]).toLowerCase();
    if (/^(since|after|from)$/.test(word)) range.until = null;
    if (/^(before|until|till|by)$/.test(word)) range.since = null;
    return range;
  }
  return undefined;
}

/** The latest Saturday and Sunday up to `ref` ("last weekend" on a weekend: the one before). */
function weekendRange(m: RegExpMatchArray, ref: Date): Range {
  const day = ref.getUTCDay();
  const onWeekend = day === 0 || day === 6;
  const saturday = addDays(ref, -((day + 1) % 7) - (onWeekend && /last|previous/i.test(m[1] ?? '') ? 7 : 0));
  const sunday = addDays(saturday, 1);
  return { since: iso(saturday), until: iso(sunday > ref ? ref : sunday), text: m[0] };
}

const YEAR_MS = 366 * DAY;

/**
 * The range one question names, if any. A range that starts after asOf ("for the first time in
 * 400 years", "in the year of the rabbit", "next Monday") is a coming or counted time, not when
 * the news was published, so it is no frame; one that ends more than a year before asOf ("400
 * years ago") may be when the story happened, so it is marked absolute like a named date.
 */
function rangeOf(question: string, ref: Date | undefined): Range | undefined {
  const range = namedRange(question, ref);
  if (!range || !ref) return range;
  if (range.since && range.since > iso(ref)) return undefined;
  if (range.until && Date.parse(range.until) < ref.getTime() - YEAR_MS) return { ...range, absolute: true };
  return range;
}

function namedRange(question: string, ref: Date | undefined): Range | undefined {
  const unit = ref ? question.match(UNIT) : null;
  if (unit && ref) return unitRange(unit, ref);
  const weekend = ref ? question.match(WEEKEND) : null;
  if (weekend && ref) return weekendRange(weekend, ref);
  // chrono is slow to warm up (~0.5 s on first use): ask it only when a date could be there.
  const c = MAYBE_DATE.test(question) ? chronoRange(question, ref) : undefined;
  if (c) return c;
  const year = question.match(BARE_YEAR);
  if (year) return { since: `${year[1]}-01-01`, until: /since/i.test(year[0]) ? null : `${year[1]}-12-31`, text: year[0], absolute: true };
  return undefined;
}

const strip = (question: string, text: string) =>
  question
    .replace(text, ' ')
    .replace(/^\s*[,;:]\s*/, '')
    .replace(/\b(in|on|during|from|since)\s+(?=[?.!,]|$)/i, ' ')
    .replace(/\s+([?.!,])/g, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();

/**
 * What a question means in time. A follow-up with no time words keeps the frame of the latest
 * earlier question that had one.
 * @example understandTime('What did the Fed decide last week?', [], '2024-10-16').time
 *   // { asOf: '2024-10-16', since: '2024-10-07', until: '2024-10-13', recency: false }
 */
export function understandTime(question: string, history: Turn[] = [], asOf?: string | null): Understood {
  const ref = asOf ? new Date(`${asOf.slice(0, 10)}T12:00:00Z`) : undefined;
  const frame = (q: string) => {
    const range = rangeOf(q, ref);
    const recency = RECENCY.test(q);
    return { range, recency, any: !!range || recency };
  };
  let own = frame(question);
  let carried = false;
  if (!own.any) {
    for (const t of history.filter((h) => h.role === 'user').reverse()) {
      const earlier = frame(t.content);
      if (earlier.any) {
        own = { ...earlier, range: earlier.range && { ...earlier.range, text: '' } };
        carried = true;
        break;
      }
    }
  }
  const text = own.range?.text;
  return {
    time: { asOf: asOf ? asOf.slice(0, 10) : null, since: own.range?.since ?? null, until: own.range?.until ?? null, recency: own.recency },
    question: text ? strip(question, text) || question : question,
    carried,
    absolute: !!own.range?.absolute,
  };
}

/** How much a fresh article's passage gains over an old one's for a "latest/current" question. */
const RECENCY_WEIGHT = 0.5;
/** Days over which that gain halves. */
const HALF_LIFE_DAYS = 30;

/**
 * The recency prior: among the passages retrieval found relevant, newer articles move up. Not a
 * filter: an old passage still answers when nothing newer does.
 */
export function preferRecent<P extends { score: number; article: { date?: string } }>(passages: P[], asOf: string | null): P[] {
  if (!asOf) return passages;
  const ref = Date.parse(asOf);
  const fresh = (p: P) => (p.article.date ? Math.pow(0.5, Math.max(0, (ref - Date.parse(p.article.date)) / DAY) / HALF_LIFE_DAYS) : 0);
  return passages
    .map((p) => ({ p, s: p.score * (1 + RECENCY_WEIGHT * fresh(p)) }))
    .sort((a, b) => b.s - a.s)
    .map(({ p }) => p);
}

/** Evidence older than this, for a question about now, is dated plainly next to its quote. */
const STALE_DAYS = 30;

/** "14 October 2024" */
export const longDate = (d: string) =>
  new Date(`${d.slice(0, 10)}T12:00:00Z`).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/**
 * The date of a quote the reader would otherwise take for one of the time asked about, said next
 * to it: `“…” [1] (from 14 October 2024)`. For a question about now, a quote from an old article;
 * for one with a time frame ("this week", which retrieval prefers but does not require), a quote
 * from outside the frame.
 */
export function dateOldQuotes(answer: string, quotes: { n: number; date?: string }[], time: TimeFrame): string {
  const framed = !!(time.since || time.until);
  if (!framed && (!time.recency || !time.asOf)) return answer;
  const outside = (d: string) => (!!time.since && d < time.since) || (!!time.until && d > time.until);
  const stale = (d: string) => time.recency && !!time.asOf && Date.parse(time.asOf) - Date.parse(d) >= STALE_DAYS * DAY;
  let out = answer;
  for (const q of quotes) {
    if (!q.date || !(stale(q.date) || (framed && outside(q.date.slice(0, 10))))) continue;
    out = out.replace(`[${q.n}]`, `[${q.n}] (from ${longDate(q.date)})`);
  }
  return out;
}

/**
 * The "understand time" stage: the frame the question names (or an earlier turn carried),
 * against the question's asOf, and the question without its time words.
 */
export const understand: Stage = {
  name: 'understand time',
  run(q: Question): Question {
    const u = understandTime(q.text, q.history, q.time.asOf);
    return { ...q, time: u.time, absolute: u.absolute, focus: u.question };
  },
};
