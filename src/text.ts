/** Sentence splitting with offsets, shared by answering and evaluation. */

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
