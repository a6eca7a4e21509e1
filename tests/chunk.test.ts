/** Paragraph chunks: whole sentences, exact offsets, never a boilerplate line. */
import { describe, expect, it } from 'vitest';
import { chunkArticle } from '../src/ingest/chunk.js';
import { markBoilerplate } from '../src/ingest/boilerplate.js';
import { sentences } from '../src/text.js';

const sentence = (i: number) => `Sentence number ${i} tells of the harbour, the council and ${i * 7} boats.`;
const paragraph = (from: number, n: number) => Array.from({ length: n }, (_, i) => sentence(from + i)).join(' ');

describe('chunkArticle', () => {
  const text = [paragraph(0, 3), 'By Jo Doe, Harbor Ledger', paragraph(3, 20), 'Photo: Jo Doe', paragraph(23, 2)].join('\n\n');
  const article = { id: 'a1', text, boilerplate: markBoilerplate({ text, source: 'x.md' }) };
  const chunks = chunkArticle(article, { chunkSize: 400, chunkOverlap: 100 });
  const starts = new Set(sentences(text).map((s) => s.start));

  it('starts every chunk at the start of a sentence and ends it at the end of one', () => {
    const ends = new Set(sentences(text).map((s) => s.end));
    expect(chunks.length).toBeGreaterThan(4);
    for (const c of chunks) {
      expect(starts.has(c.start), text.slice(c.start, c.start + 30)).toBe(true);
      expect(ends.has(c.end)).toBe(true);
      expect(c.end - c.start).toBeLessThanOrEqual(400);
    }
  });

  it('keeps boilerplate lines out of every chunk', () => {
    for (const c of chunks) {
      const t = text.slice(c.start, c.end);
      expect(t).not.toContain('By Jo Doe');
      expect(t).not.toContain('Photo:');
    }
  });

  it('covers all the prose, with ids in order', () => {
    for (let i = 0; i < 25; i++)
      expect(
        chunks.some((c) => text.slice(c.start, c.end).includes(sentence(i))),
        `sentence ${i}`,
      ).toBe(true);
    expect(chunks.map((c) => c.id)).toEqual(chunks.map((_, i) => `a1:${i}`));
  });

  it('splits a long paragraph into balanced pieces, not a full chunk and a scrap', () => {
    const long = paragraph(0, 7); // ~490 characters
    const [a, b] = chunkArticle({ id: 'b', text: long }, { chunkSize: 400, chunkOverlap: 0 });
    expect(Math.abs(a.end - a.start - (b.end - b.start))).toBeLessThan(120);
  });

  it('repeats the last whole sentence of a chunk at the start of the next when it fits the overlap', () => {
    const cs = chunkArticle({ id: 'c', text: paragraph(0, 12) }, { chunkSize: 300, chunkOverlap: 100 });
    for (let i = 1; i < cs.length; i++) expect(cs[i].start).toBeLessThan(cs[i - 1].end);
    const none = chunkArticle({ id: 'c', text: paragraph(0, 12) }, { chunkSize: 300, chunkOverlap: 0 });
    for (let i = 1; i < none.length; i++) expect(none[i].start).toBeGreaterThanOrEqual(none[i - 1].end);
  });

  it('cuts a sentence longer than a chunk at word breaks', () => {
    const words = Array.from({ length: 120 }, (_, i) => `word${i}`).join(' ');
    const cs = chunkArticle({ id: 'd', text: words }, { chunkSize: 200, chunkOverlap: 0 });
    expect(cs.length).toBeGreaterThan(3);
    for (const c of cs) expect(words[c.start - 1] ?? ' ').toBe(' ');
  });
});
