/**
 * Articles that arrive through the HTTP API rather than from a folder. Their source is `api`,
 * which is what keeps a folder ingest from removing them; without a url their id comes from
 * their content, because a shared `api` source would otherwise give them all the same id.
 */
import { createHash } from 'node:crypto';
import type { Article, ArticleInput } from './article.js';
import { makeArticle } from './article.js';
import { parseRecords } from './load.js';

export const API_SOURCE = 'api';

// Made from the validated fields only: converting raw input (a deeply nested array) could overflow the stack.
const contentKey = (r: ArticleInput) => {
  const digest = createHash('sha256')
    .update(JSON.stringify([r.title ?? '', r.text]))
    .digest('hex');
  return `${API_SOURCE}:${digest}`;
};

/**
 * One JSON record `{title, url?, date?, text}` as an API article.
 * @example apiArticle({ title: 'Hi', text: 'Body' }).source // 'api'
 */
export function apiArticle(input: unknown): Article {
  return makeArticle(input, API_SOURCE, contentKey);
}

/** The articles in one uploaded file (a .json array or .jsonl file may hold several). */
export function apiArticlesFromFile(name: string, bytes: Uint8Array): Article[] {
  return parseRecords(name, bytes).map(apiArticle);
}
