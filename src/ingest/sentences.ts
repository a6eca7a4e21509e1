/**
 * Sentence vectors, made at ingest so that answering embeds nothing but the question. The
 * choose stage compares a shortlist of candidate sentences with the query; each candidate is a
 * sentence of a retrieved passage, or two neighbours joined (answering/evidence.ts). Every
 * sentence that may be part of one (not page furniture, not marked boilerplate) is embedded here
 * exactly as choose would embed it at query time: its first EMBED_CHARS characters.
 *
 * A set is derived from the article's text alone, so it is made again whenever it is missing or
 * of another version: `fillSentences` does that in the background for an index written before
 * sentence sets existed (or by a version with another rule), while answering falls back to
 * embedding the few sentences it lacks.
 */
import type { Article } from '../corpus/article.js';
import type { Embedder } from '../embed.js';
import type { Logger } from '../log.js';
import type { SentenceSet, Store } from '../store/types.js';
import { sentences, type Span } from '../text.js';
import { isFurniture } from '../answering/evidence.js';
import { inBoilerplate } from './boilerplate.js';

/** Version of the rule below (which sentences, how they are cut, EMBED_CHARS): a change makes every set again. */
export const SENTENCES_VERSION = 1;
/** Characters of a sentence the model reads: the cost of a forward pass grows with length. */
export const EMBED_CHARS = 300;
/** Articles whose sets the background fill makes per step. */
const FILL_BATCH = 8;

/**
 * The sentences of an article that answering may compare with a question. Sentence boundaries
 * never cross a line break (text.ts), so they are the same whether a passage's paragraphs or
 * the whole text is split.
 */
export function sentenceSpans(article: Pick<Article, 'text' | 'boilerplate'>): Span[] {
  return sentences(article.text).filter((s) => !inBoilerplate(article.boilerplate, s.start, s.end) && !isFurniture(article.text.slice(s.start, s.end)));
}

/** The text embedded for a span: the first EMBED_CHARS characters of the article's text there. */
export const sentenceText = (text: string, span: Span) => text.slice(span.start, Math.min(span.end, span.start + EMBED_CHARS));

/** One set per article, in order, from one batched call to the model. */
export async function embedSentences(articles: Article[], embedder: Embedder, onBatch?: (done: number, total: number) => void): Promise<SentenceSet[]> {
  const spans = articles.map(sentenceSpans);
  const texts = spans.flatMap((list, i) => list.map((s) => sentenceText(articles[i].text, s)));
  const vectors = await embedder.vectors(texts, (done) => onBatch?.(done, texts.length));
  let at = 0;
  return articles.map((a, i) => {
    const n = spans[i].length;
    const set = { version: SENTENCES_VERSION, hash: a.hash, spans: spans[i], vectors: vectors.slice(at, at + n) };
    at += n;
    return set;
  });
}

/**
 * Makes the sets an index lacks, a few articles at a time, until none is missing or `signal`
 * aborts. Safe beside writers: a set whose article changed meanwhile is dropped by the store.
 * @returns how many articles got a set
 */
export async function fillSentences(deps: { store: Store; embedder: Embedder; log?: Logger; signal?: AbortSignal }): Promise<number> {
  const { store, embedder, log, signal } = deps;
  let after = '';
  let done = 0;
  for (;;) {
    if (signal?.aborted) return done;
    const ids = await store.lackingSentences(SENTENCES_VERSION, after, FILL_BATCH);
    if (!ids.length) break;
    after = ids.at(-1)!;
    const articles = (await Promise.all(ids.map((id) => store.getArticle(id)))).filter((a): a is Article => !!a);
    const sets = await embedSentences(articles, embedder);
    if (signal?.aborted) return done;
    await store.putSentenceSets(articles.map((a, i) => ({ articleId: a.id, set: sets[i] })));
    const before = done;
    done += articles.length;
    if (Math.floor(done / 1000) > Math.floor(before / 1000)) log?.info(`sentence vectors: ${done} articles filled so far`);
  }
  if (done) log?.info(`sentence vectors: made for ${done} articles that had none; answering embeds only the question now`);
  return done;
}
