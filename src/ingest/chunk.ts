/**
 * Splits an article into overlapping chunks with LangChain's recursive splitter (paragraphs,
 * then lines, then sentences, then words) and records each chunk's exact [start, end) offsets in
 * the article text, so every quote can be traced back to the characters it came from.
 */
import { AppError } from '../errors.js';
import { RecursiveCharacterTextSplitter } from '@langchain/textsplitters';
import type { Article } from '../corpus/article.js';

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

export const SEPARATORS = ['\n\n', '\n', '. ', '? ', '! ', '; ', ', ', ' ', ''];

/** @example await chunkArticle(article, { chunkSize: 800, chunkOverlap: 100 }) // [{ id: 'ab…:0', start: 0, end: 790 }, …] */
export async function chunkArticle(article: Pick<Article, 'id' | 'text'>, settings: ChunkSettings): Promise<Chunk[]> {
  const splitter = new RecursiveCharacterTextSplitter({
    chunkSize: settings.chunkSize,
    chunkOverlap: settings.chunkOverlap,
    separators: SEPARATORS,
    keepSeparator: true,
  });
  const pieces = await splitter.splitText(article.text);
  const chunks: Chunk[] = [];
  let from = 0;
  for (const piece of pieces) {
    // The splitter returns trimmed substrings in order; overlap means a piece may start before
    // the previous one ended, never before the previous one started.
    let start = article.text.indexOf(piece, from);
    if (start < 0) start = article.text.indexOf(piece);
    if (start < 0) throw new AppError('internal', `chunk: splitter produced text not found in article ${article.id}`);
    chunks.push({ id: `${article.id}:${chunks.length}`, articleId: article.id, start, end: start + piece.length });
    from = start + 1;
  }
  return chunks;
}
