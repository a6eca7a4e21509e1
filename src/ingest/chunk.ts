/**
 * Splits an article into chunks that follow its paragraphs: a chunk is one or more whole
 * paragraphs (lines) up to `chunkSize` characters, a paragraph longer than that is cut between
 * sentences, and no chunk starts mid-sentence. Boilerplate lines are never inside a chunk: a
 * chunk ends before one and the next starts after it, so the text that is embedded and
 * keyword-indexed — `article.text.slice(start, end)` — holds prose only. The next chunk repeats
 * the previous one's last whole sentences that fit in `chunkOverlap`, so a fact split across
 * the boundary is still found with its context.
 *
 * Replaces LangChain's recursive splitter, which cuts by characters and starts chunks inside
 * sentences; the offsets stay exact `[start, end)` into the article text.
 */
import type { Article } from '../corpus/article.js';
import { sentences, type Span } from '../text.js';
import { inBoilerplate } from './boilerplate.js';

export interface Chunk {
  id: string;
  articleId: string;
  start: number;
  end: number;
}

export interface ChunkSettings {
  chunkSize: number;
  chunkOverlap: number;
}

/** The id of an article's `n`-th chunk (0 is the lead). @example chunkId('a1', 0) // 'a1:0' */
export const chunkId = (articleId: string, n: number) => `${articleId}:${n}`;

/** Bump when chunking or boilerplate rules change what is indexed: stored indexes are rebuilt. */
export const CHUNKER_VERSION = 3;

/** Non-empty lines of the text outside boilerplate, grouped into runs that no boilerplate line interrupts. */
function proseRuns(article: Pick<Article, 'text' | 'boilerplate'>): Span[][] {
  const runs: Span[][] = [[]];
  let at = 0;
  for (const raw of article.text.split('\n')) {
    const lead = raw.length - raw.trimStart().length;
    const body = raw.trim();
    const span = { start: at + lead, end: at + lead + body.length };
    at += raw.length + 1;
    if (!body) continue;
    if (inBoilerplate(article.boilerplate, span.start, span.end)) {
      if (runs.at(-1)!.length) runs.push([]);
    } else runs.at(-1)!.push(span);
  }
  return runs.filter((r) => r.length);
}

/**
 * A line longer than `size` as balanced groups of whole sentences (900 characters make two of
 * about 450, not 790 and a scrap), each leaving `room` for the overlap the next chunk starts
 * with; a sentence longer than a group is cut at word breaks.
 */
function pieces(text: string, line: Span, chunkSize: number, room: number): Span[] {
  if (line.end - line.start <= chunkSize) return [line];
  const size = Math.max(1, chunkSize - room);
  const units: Span[] = [];
  for (const s of sentences(text, line.start, line.end)) {
    if (s.end - s.start <= size) {
      units.push(s);
      continue;
    }
    // One sentence longer than a chunk: the only place a chunk may start inside a sentence.
    let from = s.start;
    while (from < s.end) {
      let to = Math.min(s.end, from + size);
      const space = text.lastIndexOf(' ', to);
      if (to < s.end && space > from) to = space;
      units.push({ start: from, end: to });
      from = to;
      while (text[from] === ' ') from++;
    }
  }
  const target = (line.end - line.start) / Math.ceil((line.end - line.start) / size);
  const out: Span[] = [];
  for (const u of units) {
    const cur = out.at(-1);
    if (cur && u.end - cur.start <= size && cur.end - cur.start < target) cur.end = u.end;
    else out.push({ ...u });
  }
  return out;
}

/**
 * @example chunkArticle({ id: 'ab', text: 'One.\n\nTwo.' }, { chunkSize: 800, chunkOverlap: 100 }) // [{ id: 'ab:0', start: 0, end: 10 }]
 */
export function chunkArticle(article: Pick<Article, 'id' | 'text' | 'boilerplate'>, settings: ChunkSettings): Chunk[] {
  const { text } = article;
  const spans: Span[] = [];
  for (const run of proseRuns(article)) {
    const units = run.flatMap((line) => pieces(text, line, settings.chunkSize, Math.min(settings.chunkOverlap, settings.chunkSize / 2)));
    let i = 0;
    while (i < units.length) {
      const start = units[i].start;
      let j = i + 1;
      while (j < units.length && units[j].end - start <= settings.chunkSize) j++;
      spans.push({ start, end: units[j - 1].end });
      if (j >= units.length) break;
      // Overlap: begin the next chunk with the last whole sentences of this one that fit.
      const last = units[j - 1];
      const tail = sentences(text, last.start, last.end).filter((s) => units[j].end - s.start <= settings.chunkSize);
      const back = tail.findIndex((s) => last.end - s.start <= settings.chunkOverlap);
      i = j;
      if (back >= 0 && settings.chunkOverlap > 0) units[j] = { start: tail[back].start, end: units[j].end };
    }
  }
  return spans.map((s, n) => ({ id: chunkId(article.id, n), articleId: article.id, start: s.start, end: s.end }));
}
