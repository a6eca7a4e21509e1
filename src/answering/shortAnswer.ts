/**
 * Short answers: what kind of thing a question asks for, and the one clear piece of a sentence
 * that is that kind of thing ("Dong Jun", "October 14, 2024", "Beijing", "3,000 troops").
 */
import { terms } from '../text.js';

export type QuestionType = 'person' | 'date' | 'place' | 'number' | 'other';

const TYPES: [QuestionType, RegExp][] = [
  ['number', /\b(how (many|much|long|old|far|big|large|often)|what (number|percentage|percent|amount)|how many)\b/i],
  ['date', /\b(when|what (year|date|day|month|century|decade|time)|which (year|date|day|month|century|decade))\b/i],
  ['person', /\b(who|whom|whose|which (person|man|woman|leader|minister|president|king|ruler)|what (person|man|woman|is the name of the (person|man|woman|leader)))\b/i],
  ['place', /\b(where|(what|which) (country|city|place|region|town|state|continent|river|island|sea|area|territory|kingdom|empire|province|location|port|capital))\b/i],
];

/** @example questionType('Who visited Beijing?') // 'person' */
export function questionType(question: string): QuestionType {
  for (const [type, re] of TYPES) if (re.test(question)) return type;
  return 'other';
}

const MONTH = '(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const PATTERNS: Record<Exclude<QuestionType, 'other'>, RegExp> = {
  date: new RegExp(
    [
      `${MONTH}\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4}`,
      `\\d{1,2}(?:st|nd|rd|th)? ${MONTH},? \\d{4}`,
      `${MONTH},? \\d{4}`,
      `${MONTH} \\d{1,2}(?:st|nd|rd|th)?`,
      `(?:early |late |mid-?)?(?:the )?\\d{1,2}(?:st|nd|rd|th) century`,
      `\\d{4}s`,
      `(?:1[0-9]|20)\\d{2}`,
      `(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)`,
      `(?:last|next|this) (?:week|month|year)`,
    ].join('|'),
    'g',
  ),
  number: /(?:[$€£¥]\s?)?\b\d[\d,.]*(?:\s?(?:%|percent|per cent|million|billion|thousand|hundred))?(?:\s(?!(?:and|or|in|of|the|to)\b)[a-z]+)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|dozens?|several)\b(?:\s(?!(?:and|or|in|of|the|to)\b)[a-z]+)?/g,
  person: /\b[A-Z][\p{L}'’-]+(?:\s+(?:(?:de|van|von|al|bin|of)\s+)?[A-Z][\p{L}'’-]+)*/gu,
  place: /\b[A-Z][\p{L}'’-]+(?:\s+(?:(?:of|de)\s+)?[A-Z][\p{L}'’-]+)*/gu,
};

/** Capitalised words that are not names of people or places. */
const NOT_A_NAME = new Set(['The', 'A', 'An', 'In', 'On', 'At', 'He', 'She', 'It', 'They', 'His', 'Her', 'Their', 'This', 'That', 'When', 'During', 'After', 'Before', 'According', 'But', 'And', 'While', 'Under', 'Related', 'Last', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday', 'January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']);

export interface ShortAnswerHit {
  text: string;
  /** Offset inside the sentence. */
  start: number;
}

/**
 * The single candidate of the asked-for kind that the question does not already name. Several
 * candidates: the one nearest the words the sentence shares with the question, when it is
 * clearly nearer than the next; otherwise none (the quote alone answers).
 */
export function findShortAnswer(
  question: string,
  sentence: string,
  type: Exclude<QuestionType, 'other'>,
  /** Words seen in lower case elsewhere in the article: "Soon" opening a sentence is no name. */
  commonWords?: Set<string>,
): ShortAnswerHit | undefined {
  const qTerms = new Set(terms(question));
  const found: (ShortAnswerHit & { end: number })[] = [];
  for (const m of sentence.matchAll(PATTERNS[type])) {
    let text = m[0].trim().replace(/[,.;:]+$/, '');
    let start = m.index!;
    if (type === 'person' || type === 'place') {
      // Trim sentence words ("The", "In") and words the question already has ("Russian Defense
      // Minister Andrei Belousov" asked as "the Russian defense minister" → "Andrei Belousov").
      const words = [...text.matchAll(/\S+/g)].map((w) => ({ w: w[0].replace(/['’]s$/, ''), at: start + w.index! }));
      const skip = (w: string) => NOT_A_NAME.has(w) || commonWords?.has(w.toLowerCase()) || terms(w).every((x) => qTerms.has(x));
      while (words.length && skip(words[0].w)) words.shift();
      while (words.length && skip(words.at(-1)!.w)) words.pop();
      if (!words.length) continue;
      start = words[0].at;
      text = sentence.slice(start, words.at(-1)!.at + words.at(-1)!.w.length);
    }
    // "a visit to China" is a place, not a person; "Russian and Chinese warships" are no place.
    const before = sentence.slice(Math.max(0, start - 12), start).toLowerCase();
    const locative = /\b(in|at|near|into|from|to|across|of)\s+(the\s+)?$/.test(before);
    if (type === 'person' && /\b(in|at|near|into|to)\s+(the\s+)?$/.test(before)) continue;
    if (type === 'place' && !locative && /(ese|ian|ish|an)$/.test(text)) continue;
    // A nationality on its own ("Chinese", "Russian") describes people; it does not name one.
    if (type === 'person' && /^\p{Lu}\p{Ll}+(ese|ian|ish|ean|ican)$/u.test(text)) continue;
    const t = terms(text);
    if (!t.length && type !== 'number') continue;
    if (t.length && t.every((x) => qTerms.has(x))) continue; // the question already says it
    found.push({ text, start, end: start + text.length });
  }
  if (found.length <= 1) return found[0] && { text: found[0].text, start: found[0].start };
  // Several: the one nearest the words the sentence shares with the question, if it is nearer.
  const anchors: [number, number][] = [];
  for (const m of sentence.matchAll(/[\p{L}\p{N}]+/gu)) {
    const [t] = terms(m[0]);
    if (t && qTerms.has(t)) anchors.push([m.index!, m.index! + m[0].length]);
  }
  if (!anchors.length) return undefined;
  const gap = (h: { start: number; end: number }) =>
    Math.min(...anchors.map(([a, b]) => (b <= h.start ? h.start - b : a >= h.end ? a - h.end : 0)));
  const sorted = [...found].sort((a, b) => gap(a) - gap(b));
  return gap(sorted[1]) > gap(sorted[0]) ? { text: sorted[0].text, start: sorted[0].start } : undefined;
}
