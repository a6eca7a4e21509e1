/** Request bodies, validated at the boundary; inside, the types are trusted. */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { normaliseDate } from '../corpus/article.js';

export const date = z
  .string()
  .max(100)
  .transform((s, ctx) => {
    const d = normaliseDate(s);
    if (!d) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a real date such as 2024-10-14' });
    return d ?? '';
  });

/** A calendar day written as ISO 8601: `2024-10-14`. */
const isoDay = z
  .string({ invalid_type_error: 'must be a string' })
  .refine((s) => {
    const t = Date.parse(`${s}T00:00:00Z`);
    return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(t) && new Date(t).toISOString().startsWith(s); // rejects 2024-02-31
  }, 'must be an ISO date such as 2024-10-14');
/**
 * Length in characters (code points): an emoji is one character, not two UTF-16 units. Every
 * limit "at most N characters" (chat, /v1, MCP) counts with this.
 */
export const chars = (s: string) => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

/** A required, trimmed, non-empty string of at most `max` characters (code points). */
export const boundedText = (max: number) =>
  z
    .string({ required_error: 'is required', invalid_type_error: 'must be a string' })
    // A cheap bound before counting: no string of more than 2 units per character passes anyway.
    .max(max * 2 + 1000, `must be at most ${max} characters`)
    .trim()
    .min(1, 'must not be empty')
    .refine((q) => chars(q) <= max, `must be at most ${max} characters`);

export function chatSchema(limits: { maxQuestionChars: number; maxHistoryTurns: number }) {
  return z.object({
    question: boundedText(limits.maxQuestionChars),
    history: z
      .array(z.object({
        role: z.enum(['user', 'assistant']),
        content: z.string().max(limits.maxQuestionChars * 20).refine((c) => chars(c) <= limits.maxQuestionChars * 10, `must be at most ${limits.maxQuestionChars * 10} characters`),
      }))
      .max(limits.maxHistoryTurns * 2, `must have at most ${limits.maxHistoryTurns * 2} turns`)
      .optional(),
    /** The reference date for "last week", "latest"; default: the newest article's date. */
    asOf: isoDay.optional(),
    since: date.optional(),
    until: date.optional(),
    sources: z.array(z.string().min(1).max(2000)).max(100).optional(),
  });
}

export type ChatBody = z.infer<ReturnType<typeof chatSchema>>;

/** Parses or throws a 400 whose message names each bad field. */
export function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, body: unknown, what: string): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError('bad_request', `${what}: send a JSON object with Content-Type: application/json`);
  }
  const r = schema.safeParse(body);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || 'body'} ${i.message}`).join('; ');
    throw new AppError('bad_request', `${what}: ${msg}`, { param: r.error.issues[0]?.path.join('.') || undefined });
  }
  return r.data;
}
