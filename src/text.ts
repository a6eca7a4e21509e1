/**
 * The one tokenizer: words, stop words, stems and sentences. The keyword indexes (local and
 * PostgreSQL), the answering path and the evaluation all read text through here, so "visited"
 * in a question meets "visit" in an article everywhere.
 */
import { stemmer } from 'stemmer';

export const STOP_WORDS = new Set(
  ('a an and are as at be been but by did do does for from had has have he her his how i if in into is it its ' +
    'of on or she so than that the their them then there these they this those to was were what when where which ' +
    'who whom whose why will with would you your about after before during also not no can could should may might ' +
    'we our us me my him hers theirs ours yours been being than any some such own same just more most other').split(' '),
);

/** Tokens as the keyword index sees them. Numbers and names survive intact (lower-cased). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu)) {
    const t = m[0].replace(/['’]s$/, '');
    if (STOP_WORDS.has(t)) continue;
    out.push(/^\p{N}/u.test(t) ? t : stemmer(t));
  }
  return out;
}


const segmenter = new Intl.Segmenter('en', { granularity: 'sentence' });

export interface Span {
  start: number;
  end: number;
}

/**
 * Sentences of `text` between `from` and `to`, as trimmed [start, end) offsets into `text`.
 * Line breaks end a sentence too: headlines and captions have no full stop.
 * @example sentences('One. Two.') // [{start: 0, end: 4}, {start: 5, end: 9}]
 */
export function sentences(text: string, from = 0, to = text.length): Span[] {
  const out: Span[] = [];
  const slice = text.slice(from, to);
  for (const seg of segmenter.segment(slice)) {
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
