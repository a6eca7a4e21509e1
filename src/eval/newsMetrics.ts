/**
 * The news metrics, computed from gold data rather than from what the system itself marked, so a
 * detector that misses a line shows up here instead of grading itself: quotes that overlap page
 * furniture, several quotes of one story in one answer, and time questions answered from the
 * right dates.
 */
import type { EvalGold } from './dataset.js';
import { normalise } from './metrics.js';

export interface QuoteLike {
  articleId: string;
  url?: string;
  date?: string;
  start: number;
  end: number;
  text: string;
}

/** `[start, end)` of every line of `text` that, trimmed, is one of the gold boilerplate lines. */
export function goldBoilerplateSpans(text: string, lines: Set<string>): [number, number][] {
  const spans: [number, number][] = [];
  let at = 0;
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (t && lines.has(t)) spans.push([at, at + line.length]);
    at += line.length + 1;
  }
  return spans;
}

/** True when the quote shares at least one character with a boilerplate span. */
export const overlapsAny = (q: { start: number; end: number }, spans: [number, number][]) => spans.some(([s, e]) => q.start < e && s < q.end);

/**
 * Quotes in one answer from another copy of a story already quoted: a story is a gold group of
 * copies (by url), and two quotes with the same normalised text from different articles are one
 * story too. Two quotes of the same article are not duplicates.
 * @example duplicateQuotes([{ url: 'a', text: 'X' }, { url: 'b', text: 'X' }], gold) // 1
 */
export function duplicateQuotes(quotes: QuoteLike[], gold?: EvalGold): number {
  const group = new Map<string, number>();
  gold?.stories.forEach((urls, i) => urls.forEach((u) => group.set(u, i)));
  const seenStory = new Map<number, string>();
  const seenText = new Map<string, string>();
  let dupes = 0;
  for (const q of quotes) {
    const story = q.url !== undefined ? group.get(q.url) : undefined;
    const text = normalise(q.text);
    const other = seenText.get(text);
    const first = story !== undefined ? seenStory.get(story) : undefined;
    const dupe = (first !== undefined && first !== q.articleId) || (other !== undefined && other !== q.articleId);
    if (dupe) dupes++;
    if (story !== undefined && first === undefined) seenStory.set(story, q.articleId);
    if (!seenText.has(text)) seenText.set(text, q.articleId);
  }
  return dupes;
}

/**
 * For a question with gold `dates`: 1 when it was answered and its first quote comes from an
 * article of one of those dates, else 0; undefined for a question without dates.
 */
export function rightDate(found: boolean, quotes: QuoteLike[], dates?: string[]): number | undefined {
  if (!dates?.length) return undefined;
  const first = quotes[0];
  return found && !!first?.date && dates.includes(first.date.slice(0, 10)) ? 1 : 0;
}
