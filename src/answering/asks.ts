/**
 * What a question asks for: a person, a place, a date, a number, or a name of the kind its
 * "which X" names ("Which airline …?" → a name that is an airline). The read stage uses it to
 * tell the sentence that holds the answer from one that is merely on the topic.
 *
 * Parsed with compromise: pure JavaScript, small, its English lexicon inside the package (no
 * model to download, which this machine could not do), and it tags what this needs — question
 * words, person nouns ("leader", "star": #Actor), places, dates and values. wink-nlp would need
 * its separate English model package as well.
 */
import nlp from 'compromise';
import { LRUCache } from 'lru-cache';
import { sentences, terms, type Span } from '../text.js';

export type QuestionType = 'person' | 'date' | 'place' | 'number' | 'name' | 'other';

export interface Asked {
  type: QuestionType;
  /** The noun of "which X" / "what X" ("tournament"), stemmed as `terms` stems it. */
  head?: string;
  /** A number that is a sum of money ("How much did the repairs cost?"): "38 million euros", not "eight months". */
  money?: true;
}

const WH = new Set(['who', 'whom', 'whose', 'when', 'where', 'what', 'which', 'how']);
/** "how many", "how old": the words after "how" that ask for an amount. */
const HOW_MUCH = new Set(['many', 'much', 'long', 'old', 'far', 'big', 'large', 'often', 'tall', 'high', 'deep', 'fast', 'heavy', 'wide']);
// Heads that name the kind outright; others are judged by compromise's tags (#Actor, #Place, #Date).
const PLACE_HEADS = new Set(
  terms(
    'country countries nation state states city cities town village region province county place area territory island continent capital location neighborhood neighbourhood district sea river ocean mountain port part',
  ),
);
const DATE_HEADS = new Set(terms('year date day month century decade time week season'));
const NUMBER_HEADS = new Set(terms('number percentage percent amount age price cost rate total sum share'));
/** Words that make "how much" (or "what price") ask for a sum of money. */
const MONEY_WORDS = new Set(
  terms(
    'cost costs costing pay paid pays spend spent spending worth price priced fine fined charge charged earn earned budget fund funding money salary revenue sell sold loan debt owe owed donate donated bid fee fees',
  ),
);
const PERSON_HEADS = new Set(terms('person man woman people men women'));
const NAMES_A_KIND = new Set([...PLACE_HEADS, ...DATE_HEADS, ...NUMBER_HEADS, ...PERSON_HEADS]);
/** "which type of appliance": the noun after "of" is what is asked for. */
const OF_HEADS = new Set(['type', 'kind', 'sort', 'brand', 'name', 'form', 'variety']);

interface Term {
  text: string;
  normal: string;
  tags: Set<string>;
}

function tagged(sentence: { terms: { text: string; normal: string; tags: string[] }[] }): Term[] {
  return sentence.terms.map((t) => ({ text: t.text, normal: t.normal, tags: new Set(t.tags) }));
}

/** The kind a head noun names. */
function kindOfHead(head: Term): QuestionType {
  const [stem] = terms(head.normal);
  if (!stem) return 'other';
  if (DATE_HEADS.has(stem)) return 'date';
  if (NUMBER_HEADS.has(stem)) return 'number';
  if (PLACE_HEADS.has(stem) || (head.tags.has('Place') && !head.tags.has('ProperNoun'))) return 'place';
  if (PERSON_HEADS.has(stem) || head.tags.has('Actor')) return 'person';
  if (head.tags.has('Date')) return 'date';
  return 'name';
}

/** The noun phrase after "which"/"what"/"this": its head noun, skipping adjectives, values and modifiers. */
function headAfter(ts: Term[], from: number): Term | undefined {
  let head: Term | undefined;
  // "Which of these musicians …?": the kind is the noun after "of".
  if (ts[from]?.normal === 'of' && ts[from + 1]?.tags.has('Determiner')) from += 2;
  for (let i = from; i < ts.length; i++) {
    const t = ts[i];
    if (t.tags.has('Determiner') && !head) continue;
    // After "which" the tagger reads some nouns as verbs ("which state?", "what age was she"): a
    // word that names a kind outright is the noun. Other verbs stay verbs ("which storm hit …",
    // and "what pay rise" asks for no name).
    const noun = t.tags.has('Noun') || (t.tags.has('Infinitive') && NAMES_A_KIND.has(terms(t.normal)[0] ?? ''));
    if (noun || t.tags.has('Adjective') || t.tags.has('Value') || t.tags.has('Hyphenated')) {
      if (noun && !t.tags.has('Pronoun')) head = t;
      // "which type of home appliance": the kind is the noun after "of".
      if (head && OF_HEADS.has(head.normal) && ts[i + 1]?.normal === 'of') {
        head = undefined;
        i++;
      }
      continue;
    }
    break;
  }
  return head;
}

/**
 * What `question` asks for. The question word of its last clause counts (quiz questions often
 * open with a statement: "NFL player Damar Hamlin … He is a valued member of which team?"); a
 * "when" that joins clauses after another question word is no question word.
 * @example asks('Which airline gave miles to passengers?') // { type: 'name', head: 'airlin' }
 * @example asks('Who won Best Director?') // { type: 'person' }
 */
export function asks(question: string): Asked {
  // Asked once per question and then again for each candidate sentence: parsed once.
  return remembered(`asks\0${question}`, () => parse(question));
}

/**
 * Parsing with compromise is most of what reading a passage costs (about a millisecond a
 * sentence), and the same sentences come back: a sentence alone and joined with its neighbour,
 * overlapping chunks, the next question about the same story. What each parse yielded is kept
 * for the most recent texts; every function here is pure in its text, so the answers are the same.
 */
const parses = new LRUCache<string, { value: unknown }>({ max: 20_000 });
function remembered<T>(key: string, compute: () => T): T {
  let hit = parses.get(key);
  if (!hit) parses.set(key, (hit = { value: compute() }));
  return hit.value as T;
}

function parse(question: string): Asked {
  const sentences = nlp(question).json() as { terms: { text: string; normal: string; tags: string[] }[] }[];
  const withWh = sentences.filter((s) => s.terms.some((t) => WH.has(t.normal)));
  const sentence = withWh.at(-1);
  if (!sentence) {
    // "… romped past this opponent on Monday": the quiz's blank is "this X".
    const ts = sentences.flatMap(tagged);
    const at = ts.findIndex((t, i) => t.normal === 'this' && ts[i + 1] && !ts[i + 1].tags.has('Date'));
    const head = at >= 0 ? headAfter(ts, at + 1) : undefined;
    return head ? withHead(head) : { type: 'other' };
  }
  const ts = tagged(sentence);
  const i = ts.findIndex((t) => WH.has(t.normal));
  const wh = ts[i].normal;
  if (wh === 'who' || wh === 'whom' || wh === 'whose') return { type: 'person' };
  if (wh === 'where') return { type: 'place' };
  if (wh === 'when') return { type: 'date' };
  if (wh === 'how') {
    if (!HOW_MUCH.has(ts[i + 1]?.normal ?? '')) return { type: 'other' };
    const money = ts[i + 1].normal === 'much' && ts.slice(i + 2).some((t) => MONEY_WORDS.has(terms(t.normal)[0] ?? ''));
    return money ? { type: 'number', money: true } : { type: 'number' };
  }
  const head = headAfter(ts, i + 1);
  return head ? withHead(head) : { type: 'other' };
}

function withHead(head: Term): Asked {
  const type = kindOfHead(head);
  return type === 'name' ? { type, head: terms(head.normal)[0] } : { type };
}

/** Tags of a modifier that describes rather than names: "six", "first", "largest", "larger". */
const DESCRIBES = ['Value', 'Superlative', 'Comparative'];
/** Quantifying adjectives compromise tags as plain adjectives. */
const QUANTIFIERS = new Set(['many', 'several', 'different', 'various', 'other', 'some', 'few', 'numerous', 'multiple', 'major']);
/** Words before the head noun in a phrase that names a thing. */
const MAX_MODIFIERS = 3;

/**
 * False when the first word of `sentence` is capitalised only because it opens the sentence:
 * compromise reads it as no noun ("Closely related fields …", "Perhaps …"). An unknown word
 * is read as a noun, so "Wimbledon will …" opens with a name.
 */
export function opensWithName(sentence: string): boolean {
  // The first word's tag depends on the words right after it, not on the rest of the sentence:
  // the first few words are parsed, which is a fraction of the sentence's cost.
  const opening = /^\s*(?:\S+\s+){0,5}\S*/.exec(sentence)![0];
  return remembered(`opens\0${opening}`, () => firstIsNoun(opening));
}

function firstIsNoun(sentence: string): boolean {
  const first = (nlp(sentence).json() as { terms: { tags: string[] }[] }[])[0]?.terms[0];
  return !!first && first.tags.includes('Noun') && !first.tags.includes('Pronoun');
}

export interface NounPhrase {
  text: string;
  /** Offset inside the text given. */
  start: number;
}

/**
 * Noun phrases of `text` whose head noun is `head` ("sesame seeds" for the head "seed"), as
 * verbatim slices without a leading determiner: the answer to "which seed" when it is no name.
 * @example phrasesHeaded('The FDA added sesame seeds to the list.', 'seed') // [{ text: 'sesame seeds', start: 14 }]
 */
export function phrasesHeaded(text: string, head: string): NounPhrase[] {
  // Sentence by sentence (a phrase never spans two), so a quote joined from two sentences reuses
  // what each sentence alone gave.
  return sentences(text).flatMap(({ start, end }) =>
    windowsAround(text.slice(start, end), head).flatMap((w) =>
      remembered(`heads\0${head}\0${text.slice(start + w.start, start + w.end)}`, () =>
        findPhrasesHeaded(text.slice(start + w.start, start + w.end), head),
      ).map((np) => ({ text: np.text, start: np.start + start + w.start })),
    ),
  );
}

/** Words read on each side of the head: a phrase holds at most MAX_MODIFIERS before it, with a determiner and possessive, and the tagger looks a few words on. */
const WINDOW_BEFORE = 8;
const WINDOW_AFTER = 4;

/**
 * The stretches of `sentence` around each word whose stem is `head`, merged where they touch:
 * the tagger's cost is per word, and a long sentence names its "sesame seeds" in a few of them.
 */
function windowsAround(sentence: string, head: string): Span[] {
  const ws = [...sentence.matchAll(/\S+/g)].map((m) => ({ start: m.index!, end: m.index! + m[0].length, stem: terms(m[0])[0] }));
  const out: Span[] = [];
  ws.forEach((w, i) => {
    if (w.stem !== head) return;
    const from = ws[Math.max(0, i - WINDOW_BEFORE)].start;
    const to = ws[Math.min(ws.length - 1, i + WINDOW_AFTER)].end;
    const last = out.at(-1);
    if (last && from <= last.end) last.end = Math.max(last.end, to);
    else out.push({ start: from, end: to });
  });
  return out;
}

function findPhrasesHeaded(text: string, head: string): NounPhrase[] {
  const out: NounPhrase[] = [];
  const found = nlp(text)
    .nouns()
    .json({ offset: true, terms: { offset: true } }) as {
    terms: { text: string; normal: string; tags: string[]; offset: { start: number; length: number } }[];
  }[];
  for (const np of found) {
    const ts = np.terms.filter((t) => !t.tags.includes('Determiner') && !t.tags.includes('Possessive'));
    const at = ts.findIndex((t) => terms(t.normal)[0] === head);
    // A few modifiers before the head ("sesame seeds", "gas stoves"); a longer phrase, or one
    // with a clause in it, is a description rather than the thing's name.
    if (at <= 0 || at > MAX_MODIFIERS || ts.slice(0, at).some((t) => t.tags.includes('Preposition') || t.tags.includes('Verb'))) continue;
    // A count, a rank or a degree ("six teams", "the first member", "the largest chain", "many
    // companies", "different teams") describes things of the kind; it names none.
    if (ts.slice(0, at).some((t) => DESCRIBES.some((tag) => t.tags.includes(tag)) || QUANTIFIERS.has(t.normal))) continue;
    const first = ts[0].offset;
    const last = ts[at].offset;
    out.push({ text: text.slice(first.start, last.start + last.length), start: first.start });
  }
  return out;
}
