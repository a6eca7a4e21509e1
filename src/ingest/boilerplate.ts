/**
 * Boilerplate: the lines of an article that are page furniture, not prose — newsletter and
 * "Sign up" lines, "Read more"/"Related article:" link lines, "Follow … on X", "Contact … at …@…",
 * bylines, photo credits, "(This story was updated …)", copyright lines, lists of bare names
 * (election widgets), and lines one outlet repeats across many of its articles. The text is never
 * changed: the marks are `[start, end)` spans of whole lines, so every offset stays exact, and
 * chunking, indexing and quoting step around them.
 *
 * Written here rather than taken from a library: the maintained extractors (Readability and its
 * ports) work on HTML structure before the text exists; these lines survive into the plain text
 * of feeds, Markdown and JSON, where only line-level rules and repetition can find them.
 */
import type { Article } from '../corpus/article.js';

export type Spans = [number, number][];

/** A line repeated in at least this many articles of one outlet, and this share of them, is furniture. */
const REPEAT_MIN = 3;
const REPEAT_SHARE = 0.3;
/** Furniture lines are short; a long line is prose whatever words it holds. */
const MAX_WORDS = 30;

const RULES: RegExp[] = [
  /^\s*(related( article| story| stories| coverage)?|read more|read also|see also|more from|more on this|recommended|watch|listen)\s*:/i,
  /^\s*read more\b/i,
  /^\s*(sign up|subscribe)\b/i,
  /\bsign up (here|now|today|for)\b/i,
  /\bnewsletter\b.*\b(inbox|sign up|subscribe|free)\b|\b(get|receive)\b.*\bnewsletter\b/i,
  /^\s*follow\b.{0,80}\bon (x|twitter|facebook|instagram|bluesky|threads|linkedin|mastodon|tiktok)\b/i,
  /^\s*(contact|email|e-mail|reach|write to)\b.{0,80}\bat\s+\S+@\S+/i,
  /^\s*\(?\s*(photo|photos|photograph|image|picture|illustration|video|graphic)s?\s*(:|by\b|credit\b|courtesy\b)/i,
  /^\s*(credit|photo credit|image credit)\s*:/i,
  /^\s*\(?\s*(this|the) (story|article|report|post) (was|has been) (updated|corrected|amended)\b/i,
  /^\s*\(?\s*(updated|correction|editor'?s note)\s*(:|at\b|on\b)/i,
  /^\s*(copyright\b|©|\(c\)\s)|\ball rights reserved\b/i,
];

/** Words a byline may hold besides names. */
const BYLINE_WORDS = new Set(['and', 'staff', 'for', 'in', 'the', 'of', 'reporter', 'correspondent', 'writer', 'editor', 'with', '&', 'at']);
const isCapitalised = (w: string) => /^[\p{Lu}\p{N}@]/u.test(w);

function isByline(line: string): boolean {
  const m = /^\s*by\s+(.+?)\s*$/i.exec(line);
  if (!m || /[.!?]$/.test(m[1]) || !isCapitalised(m[1])) return false;
  const words = m[1].split(/[\s,]+/).filter(Boolean);
  return words.length <= 10 && words.every((w) => isCapitalised(w) || BYLINE_WORDS.has(w.toLowerCase()));
}

/** A name: one to four capitalised words, no sentence punctuation ("Ashford", "Northgate Wire"). */
const isBareName = (s: string) => {
  const words = s.trim().split(/\s+/);
  return words.length >= 1 && words.length <= 4 && words.every((w) => /^[\p{Lu}][\p{L}'’.&-]*$/u.test(w) || /^(of|and|the|de|la|&)$/.test(w));
};

/** "Ashford, Brennan, Copperfield, …": four or more bare names in a row is a widget, not prose. */
const isNameList = (line: string) => {
  const items = line.split(/\s*[,;•|·]\s*/).filter(Boolean);
  return items.length >= 4 && items.every(isBareName);
};

/** A date alone on its line ("October 14, 2024"): a dateline, not a statement. */
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\\.?';
const DATE_LINE = new RegExp(
  `^((mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\\s+)?(${MONTH}\\s+\\d{1,2}(st|nd|rd|th)?,?\\s+\\d{4}|\\d{1,2}\\s+${MONTH},?\\s+\\d{4}|\\d{4}-\\d{2}-\\d{2})$`,
  'i',
);
const isDateLine = (line: string) => DATE_LINE.test(line.trim());

interface Line {
  start: number;
  end: number;
  text: string;
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  let at = 0;
  for (const raw of text.split('\n')) {
    const lead = raw.length - raw.trimStart().length;
    const t = raw.trim();
    if (t) out.push({ start: at + lead, end: at + lead + t.length, text: t });
    at += raw.length + 1;
  }
  return out;
}

/** The outlet that published an article: its url's host, else the folder of its origin path. */
export function outletOf(a: Pick<Article, 'url' | 'source'>): string {
  if (a.url) {
    try {
      return new URL(a.url).hostname.replace(/^www\./, '');
    } catch {
      /* a stored url is valid; fall through to the path for safety */
    }
  }
  const slash = a.source.lastIndexOf('/');
  return slash < 0 ? '.' : a.source.slice(0, slash);
}

/**
 * Lines each outlet repeats across many of its articles, from a whole set of articles.
 * @example repeatedLines(articles).get('harborledger.example') // Set { 'The Harbor Ledger is an independent newsroom …' }
 */
export function repeatedLines(articles: Pick<Article, 'url' | 'source' | 'text'>[]): Map<string, Set<string>> {
  const perOutlet = new Map<string, { n: number; counts: Map<string, number> }>();
  for (const a of articles) {
    const key = outletOf(a);
    const o = perOutlet.get(key) ?? { n: 0, counts: new Map() };
    perOutlet.set(key, o);
    o.n++;
    for (const t of new Set(lines(a.text).map((l) => l.text))) o.counts.set(t, (o.counts.get(t) ?? 0) + 1);
  }
  const out = new Map<string, Set<string>>();
  for (const [key, { n, counts }] of perOutlet) {
    const rep = [...counts].filter(([, c]) => c >= REPEAT_MIN && c / n >= REPEAT_SHARE).map(([t]) => t);
    if (rep.length) out.set(key, new Set(rep));
  }
  return out;
}

/**
 * Marks the boilerplate lines of one article. `repeated` is the outlet's repeated lines (from
 * `repeatedLines` over the batch being ingested).
 * @example markBoilerplate({ text: 'Prose here.\nBy Jo Doe', url, source }) // [[12, 21]]
 */
export function markBoilerplate(article: Pick<Article, 'text' | 'url' | 'source'>, repeated?: Set<string>): Spans {
  const ls = lines(article.text);
  const marked = ls.map((l) => {
    if (repeated?.has(l.text)) return true;
    if (l.text.split(/\s+/).length > MAX_WORDS) return false;
    if (/^\[[^\]]*\]\([^)]*\)$|^(https?:\/\/|www\.)\S+$/.test(l.text)) return true; // a link alone
    return RULES.some((r) => r.test(l.text)) || isByline(l.text) || isNameList(l.text) || isDateLine(l.text);
  });
  // Runs of three or more lines that are each a bare name (a widget's list of states or
  // districts), with the short line introducing them ("Results by district:").
  for (let i = 0; i < ls.length;) {
    let j = i;
    while (j < ls.length && isBareName(ls[j].text)) j++;
    if (j - i >= 3) {
      for (let k = i; k < j; k++) marked[k] = true;
      if (i > 0 && /:$/.test(ls[i - 1].text) && ls[i - 1].text.split(/\s+/).length <= 6) marked[i - 1] = true;
    }
    i = Math.max(j, i + 1);
  }
  // A line that only introduces a marked name list ("Results by district:") goes with it.
  for (let i = 0; i + 1 < ls.length; i++) {
    if (!marked[i] && marked[i + 1] && isNameList(ls[i + 1].text) && /:$/.test(ls[i].text) && ls[i].text.split(/\s+/).length <= 6) marked[i] = true;
  }
  // A short capitalised line at the very start or end (an agency credit, a photo credit that
  // names only its owner): it is not a statement either.
  for (const i of [0, ls.length - 1]) {
    if (ls[i] && isBareName(ls[i].text)) marked[i] = true;
  }
  return ls.filter((_, i) => marked[i]).map((l) => [l.start, l.end]);
}

/** True when `[start, end)` shares a character with a marked span. */
export const inBoilerplate = (spans: Spans | undefined, start: number, end: number) => !!spans?.some(([s, e]) => start < e && s < end);
