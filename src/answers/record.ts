/**
 * The kept answer's shapes, said once: the record written when an answer is given (question,
 * history, asOf and filters, the answer, short answer, quotes with article ids and offsets,
 * passage ids, who wrote it, timings), the judgment a reader adds, and the evaluation line a
 * judged answer exports as. Versioned: a record of another version is refused, not guessed at.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Cited } from '../answering/answer.js';
import type { AskInput, AskResult } from '../archive.js';
import type { SearchFilter } from '../store/types.js';

export const RECORD_VERSION = 1;

/** A quote as kept: where it stands in its article and, as `text`, the article's words at [start, end) when the answer was given. */
export type KeptQuote = Omit<Cited, 'score'> & { n: number };

export interface KeptRecord {
  v: typeof RECORD_VERSION;
  question: string;
  history: { role: 'user' | 'assistant'; content: string }[];
  /** The reference date the question was asked with, or null (then `time.asOf` says what was used). */
  asOf: string | null;
  filter: SearchFilter | null;
  answer: string;
  found: boolean;
  short: AskResult['short'] | null;
  quotes: KeptQuote[];
  passages: { chunkId: string; articleId: string; start: number; end: number }[];
  query: string;
  time: AskResult['time'];
  /** Who wrote the answer: the extractive answerer, or the user's model (named when known). */
  by: { generator: 'extractive' | 'openai'; model?: string };
  warning?: string;
  timings: AskResult['timings'];
}

/** The one current judgment of an answer. */
export interface Feedback {
  rating: 'up' | 'down';
  reason?: string;
  correction?: string;
  at: string;
}

/** Ids are 16 url-safe characters (96 random bits): unguessable enough to share as a link. */
export const newAnswerId = () => randomBytes(12).toString('base64url');
export const isAnswerId = (id: string) => /^[A-Za-z0-9_-]{16}$/.test(id);

/** The record of an answer just given. @example buildRecord({ question: 'Who?' }, result, {}) */
export function buildRecord(input: AskInput, r: AskResult, by: { model?: string }): KeptRecord {
  const generator = r.generator ?? 'extractive';
  return {
    v: RECORD_VERSION,
    question: input.question,
    history: input.history ?? [],
    asOf: input.asOf ?? null,
    filter: input.filter ?? null,
    answer: r.answer,
    found: r.found,
    short: r.short ?? null,
    quotes: r.quotes.map((q) => ({
      n: q.n,
      articleId: q.articleId,
      title: q.title,
      ...(q.url ? { url: q.url } : {}),
      ...(q.date ? { date: q.date } : {}),
      start: q.start,
      end: q.end,
      text: q.text,
    })),
    passages: r.passages.map((p) => ({ chunkId: p.chunkId, articleId: p.articleId, start: p.start, end: p.end })),
    query: r.query,
    time: r.time,
    by: { generator, ...(generator === 'openai' && by.model ? { model: by.model } : {}) },
    ...(r.warning ? { warning: r.warning } : {}),
    timings: r.timings,
  };
}

/** A stored record as this code reads it. @throws when it is of another version. */
export function readRecord(raw: unknown, id: string): KeptRecord {
  const v = (raw as { v?: unknown } | null)?.v;
  if (v !== RECORD_VERSION) throw new Error(`answers: kept answer ${id} is of record version ${String(v)}, this Archivist reads version ${RECORD_VERSION}`);
  return raw as KeptRecord;
}

export const REASON_CHARS = 1000;
export const CORRECTION_CHARS = 2000;

/** POST /api/answers/:id/feedback; anything else is a 400 naming the field. */
export const feedbackSchema = z
  .object({
    rating: z.enum(['up', 'down'], { required_error: 'is required', invalid_type_error: 'must be "up" or "down"', message: 'must be "up" or "down"' }),
    reason: z.string({ invalid_type_error: 'must be a string' }).max(REASON_CHARS, `must be at most ${REASON_CHARS} characters`).optional(),
    correction: z
      .string({ invalid_type_error: 'must be a string' })
      .trim()
      .min(1, 'must not be empty')
      .max(CORRECTION_CHARS, `must be at most ${CORRECTION_CHARS} characters`)
      .optional(),
  })
  // zod names the unknown keys ("Unrecognized key(s) in object: 'stars'").
  .strict();

export type FeedbackBody = z.infer<typeof feedbackSchema>;

/** One judged answer as an evaluation line (`GET /api/feedback?format=jsonl`, `npm run eval -- --feedback`). */
export interface FeedbackLine {
  answerId: string;
  question: string;
  /** The day the question was understood against, so "last week" means the same when asked again. */
  asOf: string | null;
  history: KeptRecord['history'];
  filter: SearchFilter | null;
  quotes: { articleId: string; start: number; end: number; text: string }[];
  passages: string[];
  rating: Feedback['rating'];
  reason?: string;
  correction?: string;
  answeredAt: string;
  judgedAt: string;
}

export function feedbackLine(id: string, at: string, rec: KeptRecord, fb: Feedback): FeedbackLine {
  return {
    answerId: id,
    question: rec.question,
    asOf: rec.asOf ?? rec.time.asOf ?? null,
    history: rec.history,
    filter: rec.filter,
    quotes: rec.quotes.map((q) => ({ articleId: q.articleId, start: q.start, end: q.end, text: q.text })),
    passages: rec.passages.map((p) => p.chunkId),
    rating: fb.rating,
    ...(fb.reason ? { reason: fb.reason } : {}),
    ...(fb.correction ? { correction: fb.correction } : {}),
    answeredAt: at,
    judgedAt: fb.at,
  };
}

/** A line of a feedback file, checked as it is read (a file may come from anywhere). */
export const feedbackLineSchema = z.object({
  answerId: z.string(),
  question: z.string().min(1),
  asOf: z.string().nullable().optional(),
  history: z.array(z.object({ role: z.enum(['user', 'assistant']), content: z.string() })).default([]),
  filter: z
    .object({ since: z.string().optional(), until: z.string().optional(), sources: z.array(z.string()).optional() })
    .nullable()
    .optional(),
  quotes: z.array(z.object({ articleId: z.string(), start: z.number().int(), end: z.number().int(), text: z.string() })),
  passages: z.array(z.string()).default([]),
  rating: z.enum(['up', 'down']),
  reason: z.string().optional(),
  correction: z.string().optional(),
});
