/**
 * The one tokenizer: words, stop words, stems and sentences. The keyword indexes (local and
 * PostgreSQL), the answering path and the evaluation all read text through here, so "visited"
 * in a question meets "visit" in an article everywhere.
 */
import { stemmer } from 'stemmer';

export const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by did do does for from had has have he her his how i if in into is it its ' +
    'of on or she so than that the their them then there these they this those to was were what when where which ' +
    'who whom whose why will with would you your about after before during also not no can could should may might ' +
    'we our us me my him hers theirs ours yours been being than any some such own same just more most other'
  ).split(' '),
);

/** A word: letters and digits, held together by an inner apostrophe, full stop or hyphen ("U.S.", "O'Neill", "3.5"). */
const WORD = /[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu;

/**
 * The words of a text as written (case kept), in order: the one word-splitting rule.
 * @example words("Beijing's 3.5% rise") // ["Beijing's", '3.5', 'rise']
 */
export function words(text: string): string[] {
  return text.match(WORD) ?? [];
}

/** Names and numbers: the words a question pins its answer on (capitalised, or holding a digit). */
export const isStrong = (word: string) => /^\p{Lu}/u.test(word) || /\p{N}/u.test(word);

/**
 * The names and numbers of a text, each as written. The first word of a sentence is capitalised
 * by grammar, not because it names something, so it counts only when it holds a digit.
 * @example strongWords('Who visited Beijing in 2024?') // ['Beijing', '2024']
 */
export function strongWords(text: string): string[] {
  return words(text).filter((w, i) => (i > 0 && /^\p{Lu}/u.test(w)) || /\p{N}/u.test(w));
}

/**
 * A run of capitalised words, with the small linking words names carry ("Sea of Japan",
 * "Ursula von der Leyen", "Abu al-Hassan"): the one pattern for names in plain text.
 */
export const NAME_PATTERN = /\b\p{Lu}[\p{L}'’-]+(?:\s+(?:(?:de|der|van|von|al|bin|of)\s+)*\p{Lu}[\p{L}'’-]+)*/gu;

/** The capitalised phrases of a text, as written. @example names('Andrei Belousov met Dong Jun.') // ['Andrei Belousov', 'Dong Jun'] */
export function names(text: string): string[] {
  return text.match(NAME_PATTERN) ?? [];
}

/**
 * The search words of a text: lower-cased, possessive 's dropped, only letters and digits (so
 * nothing a user types reaches SQL or tsquery syntax), stop words dropped, each once.
 * @example searchWords("Who visited Beijing's airport?") // ['visited', 'beijing', 'airport']
 */
export function searchWords(text: string): string[] {
  const out = new Set<string>();
  for (const w of words(text.toLowerCase())) {
    for (const part of w.replace(/['’]s$/, '').match(/[\p{L}\p{N}]+/gu) ?? []) if (!STOP_WORDS.has(part)) out.add(part);
  }
  return [...out];
}

/** Tokens as the keyword index sees them. Numbers and names survive intact (lower-cased). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text.toLowerCase())) {
    const t = w.replace(/['’]s$/, '');
    if (STOP_WORDS.has(t)) continue;
    out.push(/^\p{N}/u.test(t) ? t : stem(t));
  }
  return out;
}

/**
 * Porter stems, remembered: every chunk indexed and every sentence read goes through `terms`,
 * and a news archive uses a few tens of thousands of distinct words, so most words were stemmed
 * before. A plain map, emptied when full, is cheaper per lookup than an LRU's bookkeeping.
 */
const stems = new Map<string, string>();
const MAX_STEMS = 200_000;
function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    if (stems.size >= MAX_STEMS) stems.clear();
    stems.set(word, (s = stemmer(word)));
  }
  return s;
}

const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

export interface Span {
  start: number;
  end: number;
}

/** Titles before a name: a full stop after one never ends the sentence ("Dr. Smith", "Gov. Hochul"). */
const TITLE_ABBREVIATIONS = new Set('mr mrs ms dr prof gov sen rep gen lt col maj sgt capt cmdr adm fr rev st mt hon pres supt insp det ft'.split(' '));
/** Abbreviations a sentence may also end with ("… moved to the U.S."): they end it only before a word that opens sentences. */
// Months, numbers, companies, and the AP's state abbreviations ("Sacramento, Calif. Gov. Newsom"), less those that are also words ("Ill.", "Wash.").
const OTHER_ABBREVIATIONS = new Set(
  'jan feb mar apr jun jul aug sep sept oct nov dec no nos vs inc corp co ltd jr sr bros dept univ approx est am pm ala ariz ark calif colo conn fla ga kan ky md mass mich minn mont neb nev okla tenn vt va wis wyo'.split(
    ' ',
  ),
);

/** The abbreviation a segment ends with ("Feb.", "U.S.", "J."), lower-cased without dots, or undefined. */
function endingAbbreviation(segment: string): { word: string; initial: boolean } | undefined {
  const m = /(?:^|[\s("“'‘])((?:\p{L}\.){2,}|\p{L}+\.)["”'’)]?\s*$/u.exec(segment);
  if (!m) return undefined;
  const word = m[1].replace(/\./g, '').toLowerCase();
  const initial = /^\p{Lu}\.$/u.test(m[1]) || /^(?:\p{L}\.){2,}$/u.test(m[1]);
  return { word, initial };
}

/**
 * True when the segment after a full stop continues the sentence: after a title or an initial
 * always ("Dr. Smith", "J. K. Rowling"), after other abbreviations ("U.S.", "Feb.", "No.") unless
 * the next word is one that opens sentences ("… to the U.S. The company …").
 */
function continues(segment: string, next: string): boolean {
  const abbr = endingAbbreviation(segment);
  if (!abbr) return false;
  const first = /^\s*["“'‘(]?([\p{L}\p{N}]+)/u.exec(next)?.[1];
  if (!first) return false;
  if (TITLE_ABBREVIATIONS.has(abbr.word) || (abbr.initial && abbr.word.length === 1)) return true;
  if (!abbr.initial && !OTHER_ABBREVIATIONS.has(abbr.word)) return false;
  return !STOP_WORDS.has(first.toLowerCase()) && !SENTENCE_OPENERS.has(first.toLowerCase());
}

/** Words that often open a sentence and are not stop words. */
const SENTENCE_OPENERS = new Set(
  'yet still however meanwhile now later earlier last next one two three many most several officials police authorities experts critics'.split(' '),
);

/**
 * Sentences of `text` between `from` and `to`, as trimmed [start, end) offsets into `text`.
 * Intl.Segmenter finds the candidate ends; an end after an abbreviation or initial that the next
 * words continue is not one ("Dr. Smith", "the U.S. Army", "Feb. 14"). Line breaks end a
 * sentence too: headlines and captions have no full stop.
 * @example sentences('One. Two.') // [{start: 0, end: 4}, {start: 5, end: 9}]
 */
export function sentences(text: string, from = 0, to = text.length): Span[] {
  const out: Span[] = [];
  const slice = text.slice(from, to);
  const segments: { index: number; segment: string }[] = [];
  for (const seg of segmenter.segment(slice)) {
    const last = segments.at(-1);
    if (last && !last.segment.includes('\n') && continues(last.segment, seg.segment)) last.segment += seg.segment;
    else segments.push({ index: seg.index, segment: seg.segment });
  }
  for (const seg of segments) {
    let offset = seg.index;
    for (const line of seg.segment.split('\n')) {
      const lead = line.length - line.trimStart().length;
      const body = line.trim();
      if (body) out.push({ start: from + offset + lead, end: from + offset + lead + body.length });
      offset += line.length + 1;
    }
  }
  return out;
}
