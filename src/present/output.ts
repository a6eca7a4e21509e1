/**
 * What every way out writes for an article and an answer (REST, SSE, `/v1`, MCP), each written
 * once, so a new field appears on every transport at once.
 */
import type { AskResult } from '../archive.js';
import type { Article } from '../corpus/article.js';
import type { ArticleMeta } from '../store/types.js';

/** An article as JSON: every field but the content hash, with `date` and `url` null when it has none. */
export function articleJson(article: Article) {
  const { hash: _hash, ...rest } = article;
  return { ...rest, date: article.date ?? null, url: article.url ?? null };
}

/** A row of an article list. */
export function articleItem(a: ArticleMeta) {
  return { id: a.id, title: a.title, date: a.date ?? null, url: a.url ?? null, source: a.source, chunks: a.chunks };
}

/**
 * The answer without its passages and timings: the SSE `quotes` event (the passages went out
 * first as `sources`, the timings go last with `done`).
 */
export function finalAnswer(r: AskResult) {
  const { answer, found, short, query, quotes, time, generator, verification, warning, answerId } = r;
  return {
    answer,
    found,
    ...(short ? { short } : {}),
    query,
    quotes,
    time,
    ...(generator ? { generator } : {}),
    ...(verification ? { verification } : {}),
    ...(warning ? { warning } : {}),
    ...(answerId ? { answerId } : {}),
  };
}

/**
 * What an answer carries beside its text, for clients whose message is text (MCP's `ask`, the
 * `archivist` field of a `/v1` message or last chunk): whether the articles held the answer,
 * what was searched, the short answer, and the quotes with article ids and `[start, end)`
 * offsets into the article's text; with a generator model, who wrote the answer and any warning.
 */
export function answerFields(r: Pick<AskResult, 'found' | 'query' | 'short' | 'quotes' | 'generator' | 'warning' | 'verification' | 'answerId'>) {
  return {
    // The kept answer (GET /api/answers/<answerId>, the page /a/<answerId>), when answers are kept.
    ...(r.answerId ? { answerId: r.answerId } : {}),
    found: r.found,
    query: r.query,
    ...(r.short ? { short: r.short } : {}),
    quotes: r.quotes,
    // With GENERATOR=openai: who wrote this answer (the model, or the extractive fallback) and why not.
    ...(r.generator ? { generator: r.generator } : {}),
    ...(r.warning ? { warning: r.warning } : {}),
    // The model's sentences left out of `content` because their quotes are not in the articles.
    ...(r.verification?.unverified.length ? { unverified: r.verification.unverified } : {}),
  };
}
