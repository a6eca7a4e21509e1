/**
 * The answer book: keeps each answer given, reads it back by id with every quote checked against
 * the article as it is now, lists recent ones, holds one judgment per answer and exports the
 * judged ones as evaluation lines. It sits on the archive's store, so answers live where the
 * articles do (the local log or PostgreSQL).
 */
import type { AskInput, AskResult } from '../archive.js';
import type { Article } from '../corpus/article.js';
import { AppError } from '../errors.js';
import type { Store } from '../store/types.js';
import {
  buildRecord,
  feedbackLine,
  isAnswerId,
  newAnswerId,
  readRecord,
  type Feedback,
  type FeedbackBody,
  type FeedbackLine,
  type KeptQuote,
  type KeptRecord,
} from './record.js';

/** current: the article still has this text at these offsets; changed: it no longer does; gone: the article was removed. */
export type QuoteState = 'current' | 'changed' | 'gone';

export interface QuoteView extends KeptQuote {
  state: QuoteState;
  /** Why the quote no longer stands in its article (changed or gone only). */
  note?: string;
}

export interface AnswerView extends Omit<KeptRecord, 'v' | 'quotes'> {
  id: string;
  at: string;
  quotes: QuoteView[];
  feedback: Feedback | null;
}

export interface Retention {
  /** Unjudged answers older than this many days go (0: no age limit). */
  days: number;
  /** At most this many unjudged answers are kept (0: no count limit). */
  count: number;
}

const NOTES: Record<Exclude<QuoteState, 'current'>, string> = {
  changed: 'The article has changed since this answer: it no longer has this text at these offsets.',
  gone: 'The article has been removed from the archive since this answer.',
};

const DAY_MS = 86_400_000;

export function createAnswerBook(deps: { store: Store; now?: () => Date }) {
  const { store } = deps;
  const now = deps.now ?? (() => new Date());

  const notFound = (id: string) => new AppError('not_found', `answers: no kept answer with id "${id}"`);

  async function stored(id: string) {
    const row = isAnswerId(id) ? await store.getAnswer(id) : undefined;
    if (!row) throw notFound(id);
    return { ...row, record: readRecord(row.record, id), feedback: (row.feedback ?? null) as Feedback | null };
  }

  /** Each quote against its article as stored now; one read per article. */
  async function check(quotes: KeptQuote[]): Promise<QuoteView[]> {
    const articles = new Map<string, Promise<Article | undefined>>();
    return Promise.all(
      quotes.map(async (q) => {
        if (!articles.has(q.articleId)) articles.set(q.articleId, store.getArticle(q.articleId));
        const article = await articles.get(q.articleId)!;
        const state: QuoteState = !article ? 'gone' : article.text.slice(q.start, q.end) === q.text ? 'current' : 'changed';
        return state === 'current' ? { ...q, state } : { ...q, state, note: NOTES[state] };
      }),
    );
  }

  return {
    /**
     * Keeps an answer just given; durable when the id is returned.
     * @example const id = await book.keep(input, result, { days: 180, count: 10000 })
     */
    async keep(input: AskInput, result: AskResult, retention: Retention, by: { model?: string } = {}): Promise<string> {
      const id = newAnswerId();
      const at = now();
      await store.saveAnswer(
        { id, at: at.toISOString(), record: buildRecord(input, result, by) },
        {
          ...(retention.days ? { before: new Date(at.getTime() - retention.days * DAY_MS).toISOString() } : {}),
          ...(retention.count ? { keep: retention.count } : {}),
        },
      );
      return id;
    },

    /** A kept answer, its quotes marked current, changed or gone. @throws AppError('not_found') */
    async get(id: string): Promise<AnswerView> {
      const { at, record, feedback } = await stored(id);
      const { v: _v, quotes, ...rest } = record;
      return { id, at, ...rest, quotes: await check(quotes), feedback };
    },

    /** Recent answers, newest first: question, short answer, date and judgment. */
    async list(page: { offset: number; limit: number }) {
      const { total, items } = await store.listAnswers(page);
      return {
        total,
        items: items.map((row) => {
          const rec = readRecord(row.record, row.id);
          const fb = row.feedback as Feedback | null;
          return { id: row.id, at: row.at, question: rec.question, short: rec.short?.text ?? null, found: rec.found, rating: fb?.rating ?? null };
        }),
      };
    },

    /** Sets the one current judgment (a later one replaces it). @throws AppError('not_found') */
    async judge(id: string, body: FeedbackBody): Promise<Feedback> {
      const feedback: Feedback = {
        rating: body.rating,
        ...(body.reason?.trim() ? { reason: body.reason.trim() } : {}),
        ...(body.correction ? { correction: body.correction } : {}),
        at: now().toISOString(),
      };
      if (!isAnswerId(id) || !(await store.setFeedback(id, feedback))) throw notFound(id);
      return feedback;
    },

    /** Deletes a kept answer and its judgment. @throws AppError('not_found') */
    async remove(id: string): Promise<void> {
      if (!isAnswerId(id) || !(await store.deleteAnswer(id))) throw notFound(id);
    },

    /** Every judged answer as an evaluation line, oldest first. */
    async feedbackLines(): Promise<FeedbackLine[]> {
      return (await store.judgedAnswers()).map((row) => feedbackLine(row.id, row.at, readRecord(row.record, row.id), row.feedback as Feedback));
    },
  };
}

export type AnswerBook = ReturnType<typeof createAnswerBook>;
