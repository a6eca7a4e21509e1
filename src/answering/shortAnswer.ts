/**
 * Short answers: what kind of thing a question asks for, and the one clear piece of a sentence
 * that is that kind of thing ("Dong Jun", "October 14, 2024", "Beijing", "3,000 troops").
 */
import { NAME_PATTERN, terms } from '../text.js';
import { asks, opensWithName, phrasesHeaded, type QuestionType } from './asks.js';

export type { QuestionType };

/**
 * The kind of thing the question asks for (asks.ts).
 * @example questionType('Who visited Beijing?') // 'person'
 */
export const questionType = (question: string): QuestionType => asks(question).type;

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
  number:
    /(?:[$€£¥]\s?)?\b\d+(?:[.,]\d+)*(?:\s?(?:%|percent|per cent|million|billion|thousand|hundred))?(?:\s(?!(?:and|or|in|of|the|to)\b)[a-z]+)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand|dozens?|several)\b(?:\s(?!(?:and|or|in|of|the|to)\b)[a-z]+)?/g,
  person: /\b[A-Z][\p{L}'’-]+(?:\s+(?:(?:de|van|von|al|bin|of)\s+)?[A-Z][\p{L}'’-]+)*/gu,
  place: /\b[A-Z][\p{L}'’-]+(?:\s+(?:(?:of|de)\s+)?[A-Z][\p{L}'’-]+)*/gu,
  // A name of any kind: "Southwest Airlines", "Bed Bath & Beyond", "XBB.1.5", "Three 6 Mafia".
  name: /\b\p{Lu}[\p{L}\p{N}'’&.-]*(?:\s+(?:(?:of|de|&)\s+)?[\p{Lu}\p{N}][\p{L}\p{N}'’&.-]*)*/gu,
};

/** A number that is a sum of money: a currency sign or a currency's name beside it. */
const MONEY =
  /[$€£¥₹]|\b(?:dollars?|euros?|pounds?|sterling|yen|yuan|renminbi|rupees?|francs?|crowns?|kronor|kronur|krona|pesos?|rubles?|roubles?|won|rand|lira|cents?|pence|bitcoins?|USD|EUR|GBP)\b/i;

/** Capitalised words that are not names of people or places. */
const NOT_A_NAME = new Set([
  'The',
  'A',
  'An',
  'In',
  'On',
  'At',
  'He',
  'She',
  'It',
  'They',
  'His',
  'Her',
  'Their',
  'This',
  'That',
  'When',
  'During',
  'After',
  'Before',
  'According',
  'But',
  'And',
  'While',
  'Under',
  'Related',
  'Last',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
  'Sunday',
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
]);

/** Last words of organisations, places and prizes, which name no person ("Green Coast Party"). */
const NOT_A_PERSON =
  /\b(Party|University|College|School|Company|Council|Association|Union|Bank|Ministry|Department|Office|Agency|Museum|Festival|Stadium|Street|Road|Square|Park|River|Bay|Sea|Island|Hospital|Airport|Port|Fund|Group|Foods|Dairy|Air|Times|Post|Ledger|Wire|Courier|Tribune|News|Service|Authority|Club|Rangers|Comets|Anchor|Prize|Award|Cup|League|Church|Cathedral|Hall|House|Library|Centre|Center|Institute|Committee|Court|Parliament|Army|Navy|Police)$/;

/** Words of a title before a name: "Chinese Defense Minister Dong Jun" names Dong Jun. */
const TITLES = new Set([
  'President',
  'Vice',
  'Prime',
  'Minister',
  'Defense',
  'Defence',
  'Foreign',
  'Finance',
  'Secretary',
  'General',
  'Chancellor',
  'Senator',
  'Sen',
  'Rep',
  'Governor',
  'Gov',
  'Mayor',
  'CEO',
  'Chief',
  'Executive',
  'Chairman',
  'Chairwoman',
  'Director',
  'Ambassador',
  'Commander',
  'Admiral',
  'Colonel',
  'Captain',
  'Lieutenant',
  'Deputy',
  'Justice',
  'Judge',
  'Speaker',
  'Premier',
  'Spokesman',
  'Spokeswoman',
  'Dr',
  'Mr',
  'Mrs',
  'Ms',
  'Pope',
]);

const contentTerms = (words: string[]) => words.flatMap((w) => terms(w));

/**
 * Terms of the names that stand in apposition to a phrase of the question: asked about "the
 * Russian defense minister", the text's "Russian Defense Minister Andrei Belousov" (or "Andrei
 * Belousov, the Russian defense minister,") makes Belousov the question's own subject, which a
 * short answer must not repeat back.
 * @example questionSubjects('Who did the Russian defense minister meet?', ['Russian Defense Minister Andrei Belousov arrived.']) // Set {'andrei', 'belousov'}
 */
export function questionSubjects(question: string, texts: string[]): Set<string> {
  const q = new Set(terms(question));
  const out = new Set<string>();
  const described = (words: string[]) => {
    const t = contentTerms(words);
    return t.length >= 2 && t.every((x) => q.has(x));
  };
  const add = (name: string[]) => {
    const t = contentTerms(name);
    if (t.length && !t.every((x) => q.has(x))) t.forEach((x) => out.add(x));
  };
  for (const text of texts) {
    for (const m of text.matchAll(NAME_PATTERN)) {
      const words = m[0].split(/\s+/).filter((w) => !NOT_A_NAME.has(w));
      // The longest title-like prefix that the question says in its own words.
      for (let k = words.length - 1; k >= 2; k--) {
        if (described(words.slice(0, k))) {
          add(words.slice(k));
          break;
        }
      }
      const after = text.slice(m.index! + m[0].length).match(/^,\s+(?:the\s+|its\s+|\p{Lu}\p{L}+['’]s\s+)?((?:[\p{L}'’-]+\s+){1,4}[\p{L}'’-]+)/u);
      if (after && described(after[1].split(/\s+/))) add(words);
    }
  }
  return out;
}

/** "Who is the Russian defense minister?": the question asks for the name its phrase describes. */
export const asksIdentity = (question: string) => /^\s*(who|what)(['’]s|\s+(is|was|are|were))\s+(the|a|an)\s/i.test(question);

/**
 * Capitalised words that name nothing: one capital letter ("P", "X") is a symbol, a headline in
 * capitals ("LATEST UPDATES WEDNESDAY") is no name, and a lone word opening the sentence may be
 * capitalised only for that ("Severe winter storm …", "Key votes …").
 */
function notAName(sentence: string, words: { w: string; at: number }[]): boolean {
  if (words.length > 1) return words.every((x) => !/\p{Ll}/u.test(x.w) && x.w.length > 3);
  const [only] = words;
  return only.w.length < 2 || (/^[\s"“'‘(—–-]*$/.test(sentence.slice(0, only.at)) && !opensWithName(sentence.slice(only.at)));
}

export interface ShortAnswerHit {
  text: string;
  /** Offset inside the sentence. */
  start: number;
  /** Characters between it and the nearest word the question shares with the sentence. */
  gap?: number;
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
  /** Terms of the question's own subject (see `questionSubjects`): never the answer. */
  subjects?: Set<string>,
): ShortAnswerHit | undefined {
  return nearest(shortAnswerCandidates(question, sentence, type, commonWords, subjects), sentence.length);
}

/** Of a sentence's candidates (`shortAnswerCandidates`), the one; of several, the one nearest the question's words, only if it is nearer than the next. */
export function nearest(found: (ShortAnswerHit & { gap: number })[], sentenceLength: number): ShortAnswerHit | undefined {
  if (!found.length) return undefined;
  if (found.length === 1) return found[0];
  if (found[0].gap === sentenceLength) return undefined;
  const [first, second] = [...found].sort((a, b) => a.gap - b.gap);
  return second.gap > first.gap ? first : undefined;
}

/**
 * Every candidate of the asked-for kind in `sentence` that the question does not already name,
 * in the order they stand, each with its distance from the words the sentence shares with the
 * question (the sentence's length when it shares none).
 */
export function shortAnswerCandidates(
  question: string,
  sentence: string,
  type: Exclude<QuestionType, 'other'>,
  commonWords?: Set<string>,
  subjects?: Set<string>,
): (ShortAnswerHit & { gap: number })[] {
  const qTerms = new Set(terms(question));
  const own = subjects && !asksIdentity(question) ? subjects : undefined;
  const found: (ShortAnswerHit & { end: number; locative: boolean })[] = [];
  const matches: { 0: string; index?: number; phrase?: boolean }[] = [...sentence.matchAll(PATTERNS[type])];
  // "Which seed …?" may be answered by a noun phrase headed by "seed": "sesame seeds".
  const asked = asks(question);
  const head = type === 'name' ? asked.head : undefined;
  const money = type === 'number' && asked.money;
  if (head && terms(sentence).includes(head)) for (const np of phrasesHeaded(sentence, head)) matches.push({ 0: np.text, index: np.start, phrase: true });
  for (const m of matches) {
    let text = m[0].trim().replace(/[,.;:]+$/, '');
    let start = m.index!;
    if (type === 'name' && !m.phrase) {
      // The kind the question names stays part of the name ("Southwest Airlines" for "which
      // airline", "Pope Benedict XVI" for "which pope"); other words of the question are trimmed.
      const words = [...text.matchAll(/\S+/g)].map((w) => ({ w: w[0].replace(/['’]s$/, ''), at: start + w.index! }));
      const skip = (w: string) => NOT_A_NAME.has(w) || commonWords?.has(w.toLowerCase()) || terms(w).every((x) => qTerms.has(x) && x !== head);
      while (words.length && skip(words[0].w)) words.shift();
      while (words.length && skip(words.at(-1)!.w)) words.pop();
      if (!words.length || (words.length === 1 && terms(words[0].w)[0] === head)) continue;
      if (notAName(sentence, words)) continue;
      start = words[0].at;
      text = sentence.slice(start, words.at(-1)!.at + words.at(-1)!.w.length);
    } else if (type === 'person' || type === 'place') {
      // Trim sentence words ("The", "In") and words the question already has ("Russian Defense
      // Minister Andrei Belousov" asked as "the Russian defense minister" → "Andrei Belousov").
      const words = [...text.matchAll(/\S+/g)].map((w) => ({ w: w[0].replace(/['’]s$/, ''), at: start + w.index! }));
      const skip = (w: string) => NOT_A_NAME.has(w) || commonWords?.has(w.toLowerCase()) || terms(w).every((x) => qTerms.has(x));
      while (words.length && skip(words[0].w)) words.shift();
      while (words.length && skip(words.at(-1)!.w)) words.pop();
      // A person is named by what follows the title: "Chinese Defense Minister Dong Jun" → "Dong Jun".
      const lastTitle = type === 'person' ? words.findLastIndex((w) => TITLES.has(w.w)) : -1;
      if (lastTitle >= 0 && lastTitle < words.length - 1) words.splice(0, lastTitle + 1);
      if (!words.length || notAName(sentence, words)) continue;
      // Part of a name the question says ("Andrei" of "Andrei Belousov" asked as "Belousov") is
      // the question's own person, not an answer.
      const all = m[0].split(/\s+/);
      const name = all.slice(all.findLastIndex((w) => TITLES.has(w)) + 1);
      if (name.some((w) => !NOT_A_NAME.has(w) && terms(w).some((x) => qTerms.has(x)))) continue;
      // "Russian Defense" (of "Russian Defense Ministry") is a title or an office, not a person;
      // "China-Russia" describes a relation between countries.
      if (
        type === 'person' &&
        (TITLES.has(words.at(-1)!.w) || NOT_A_PERSON.test(words.at(-1)!.w) || /^\p{Lu}\p{Ll}+-\p{Lu}\p{Ll}+$/u.test(words.map((w) => w.w).join(' ')))
      )
        continue;
      start = words[0].at;
      text = sentence.slice(start, words.at(-1)!.at + words.at(-1)!.w.length);
    }
    // "a visit to China" is a place, not a person; "Russian and Chinese warships" are no place.
    const before = sentence.slice(Math.max(0, start - 12), start).toLowerCase();
    const locative = /\b(in|at|near|into|from|to|across|of)\s+(the\s+)?$/.test(before);
    if (type === 'person' && /\b(in|at|near|into|to)\s+(the\s+)?$/.test(before)) continue;
    // "Fair Transit" of "Riverton Residents for Fair Transit" ends the name of an organisation.
    if (type === 'person' && /\p{Lu}\p{L}+\s+(for|of|and|&)\s+$/u.test(sentence.slice(Math.max(0, start - 30), start))) continue;
    if (type === 'place' && !locative && /(ese|ian|ish|an)$/.test(text)) continue;
    // "FIFA President Gianni Infantino", "Minister Rishi Sunak", "Rep": a title names a person, not a place.
    if (type === 'place' && text.split(/\s+/).some((w) => TITLES.has(w.replace(/[.,]$/, '')))) continue;
    // A nationality on its own ("Chinese", "Russian") describes people; it does not name one.
    if ((type === 'person' || type === 'name') && /^\p{Lu}\p{Ll}+(ese|ian|ish|ean|ican)$/u.test(text)) continue;
    // "How much did it cost?" is answered by a sum of money, not by the sentence's other numbers.
    if (money && !MONEY.test(text)) continue;
    const t = terms(text);
    if (!t.length && type !== 'number') continue;
    if (t.length && t.every((x) => qTerms.has(x))) continue; // the question already says it
    if (own && t.length && t.every((x) => own.has(x) || qTerms.has(x))) continue; // the question's own subject
    // A noun phrase that is also a name ("Southwest Airlines") is one candidate.
    if (found.some((f) => f.start < start + text.length && start < f.end)) continue;
    found.push({ text, start, end: start + text.length, locative });
  }
  // A place follows "in", "at", "to": when some candidates do, the others are not the place asked.
  if (type === 'place' && found.some((f) => f.locative)) found.splice(0, found.length, ...found.filter((f) => f.locative));
  if (!found.length) return [];
  const anchors: [number, number][] = [];
  for (const m of sentence.matchAll(/[\p{L}\p{N}]+/gu)) {
    const [t] = terms(m[0]);
    if (t && qTerms.has(t)) anchors.push([m.index!, m.index! + m[0].length]);
  }
  const gap = (h: { start: number; end: number }) =>
    anchors.length ? Math.min(...anchors.map(([a, b]) => (b <= h.start ? h.start - b : a >= h.end ? a - h.end : 0))) : sentence.length;
  return found.map((f) => ({ text: f.text, start: f.start, gap: gap(f) }));
}

const subset = (a: Set<string>, b: Set<string>) => a.size > 0 && [...a].every((x) => b.has(x));

/** A second candidate with this share of the first one's support makes the choice a guess. */
const TIE = 0.95;
/** Distance (characters) from the question's words at which a candidate's support halves. */
export const NEAR_CHARS = 40;

/**
 * The short answer among the best sentences, not only the first: each sentence offers at most
 * one candidate, a candidate's support is the summed score of the sentences that offer it, and
 * when two candidates are about equally supported there is none (the quotes answer).
 * @returns the index of the sentence it comes from and the hit inside it
 */
export function chooseShortAnswer(
  question: string,
  /** `key` names where the sentence starts (article and offset): a joined quote and the sentence it grew from offer one candidate once. */
  sentences: { text: string; score: number; commonWords?: Set<string>; key?: string }[],
  type: QuestionType,
  subjects?: Set<string>,
): { index: number; hit: ShortAnswerHit } | undefined {
  if (type === 'other' || !sentences.length) return undefined;
  const support: { score: number; index: number; hit: ShortAnswerHit; terms: Set<string> }[] = [];
  const counted = new Set<string>();
  sentences.forEach((s, index) => {
    const hit = findShortAnswer(question, s.text, type, s.commonWords, subjects);
    if (!hit) return;
    const at = `${s.key ?? index}:${hit.start}`;
    if (counted.has(at)) return;
    counted.add(at);
    // "Belousov" and "Andrei Belousov" are one candidate: a name's part supports the name.
    const t = new Set(terms(hit.text));
    // A candidate right next to the question's words ("Mayor Celia Brandt") is better supported
    // than one a clause away from them.
    const weight = s.score / (1 + (hit.gap ?? 0) / NEAR_CHARS);
    const same = [...support.values()].find((c) => c.terms.size && (subset(t, c.terms) || subset(c.terms, t)));
    if (same) {
      same.score += weight;
      // The fuller name is the answer ("Andrei Belousov", not "Belousov"), from its own sentence.
      if (t.size > same.terms.size) Object.assign(same, { index, hit, terms: t });
    } else support.push({ score: weight, index, hit, terms: t });
  });
  const [first, second] = support.sort((a, b) => b.score - a.score);
  if (!first || (second && second.score >= TIE * first.score)) return undefined;
  return { index: first.index, hit: { text: first.hit.text, start: first.hit.start } };
}

/** A candidate short answer with the summed support of the sentences that hold it. */
export interface SupportedAnswer {
  text: string;
  terms: Set<string>;
  support: number;
  /** The sentences that hold it (index into the sentences given) and where, best supported first. */
  holders: { index: number; hit: ShortAnswerHit; weight: number }[];
}

/**
 * Every candidate of the asked-for kind across `sentences`, each supported by the summed score
 * of the sentences that hold it, discounted by its distance from the question's words: the
 * answer a story's articles and paragraphs repeat near the question's words outweighs a name
 * one sentence mentions once. A mention (`key` names the sentence's article, `offset` its start
 * there) counts once, however many candidate quotes overlap it.
 * @returns the candidates, best supported first
 */
export function supportedAnswers(
  question: string,
  /** `answers`: the sentence's candidates (`shortAnswerCandidates`), when already read. */
  sentences: { text: string; score: number; commonWords?: Set<string>; key: string; offset: number; answers?: (ShortAnswerHit & { gap: number })[] }[],
  type: QuestionType,
  subjects?: Set<string>,
): SupportedAnswer[] {
  if (type === 'other') return [];
  const out: SupportedAnswer[] = [];
  const mentions = new Map<string, { answer: SupportedAnswer; weight: number }>();
  sentences.forEach((s, index) => {
    for (const hit of s.answers ?? shortAnswerCandidates(question, s.text, type, s.commonWords, subjects)) {
      const t = new Set(terms(hit.text));
      const weight = s.score / (1 + hit.gap / NEAR_CHARS);
      const at = `${s.key}:${s.offset + hit.start}`;
      const seen = mentions.get(at);
      if (seen) {
        // The same words of the article quoted in two candidate spans: the better-supported span counts.
        if (weight > seen.weight) {
          seen.answer.support += weight - seen.weight;
          seen.weight = weight;
        }
        continue;
      }
      let answer = out.find((c) => c.terms.size && t.size && (subset(t, c.terms) || subset(c.terms, t)));
      if (!answer) {
        answer = { text: hit.text, terms: t, support: 0, holders: [] };
        out.push(answer);
      } else if (t.size > answer.terms.size) Object.assign(answer, { text: hit.text, terms: t });
      answer.support += weight;
      answer.holders.push({ index, hit: { text: hit.text, start: hit.start, gap: hit.gap }, weight });
      mentions.set(at, { answer, weight });
    }
  });
  for (const a of out) a.holders.sort((x, y) => y.weight - x.weight);
  return out.sort((a, b) => b.support - a.support);
}
