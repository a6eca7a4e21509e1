/**
 * The fields every way in reads (REST, SSE, `/v1`, MCP), each written once: bounded text, dates,
 * a conversation turn and the search filter. Built on zod so each transport validates with them
 * at its boundary (server/schemas.ts for HTTP bodies, the MCP SDK for tool arguments).
 */
import { z } from 'zod';
import { normaliseDate } from '../corpus/article.js';
import type { SearchFilter } from '../store/types.js';

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

/** Any date `normaliseDate` reads ("2024-10-14", "Oct 14, 2024"), as its normal form. */
export const date = z
  .string()
  .max(100)
  .transform((s, ctx) => {
    const d = normaliseDate(s);
    if (!d) ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'must be a real date such as 2024-10-14' });
    return d ?? '';
  });

/** A calendar day written as ISO 8601: `2024-10-14`. */
export const isoDay = z.string({ invalid_type_error: 'must be a string' }).refine((s) => {
  const t = Date.parse(`${s}T00:00:00Z`);
  return /^\d{4}-\d{2}-\d{2}$/.test(s) && !Number.isNaN(t) && new Date(t).toISOString().startsWith(s); // rejects 2024-02-31
}, 'must be an ISO date such as 2024-10-14');

/** The reference date for "last week", "latest"; left out, the newest article's date. */
export const asOf = isoDay.describe('The day "last week" and "latest" count from (e.g. 2024-10-14); default: the newest article\'s date.');

export interface TurnLimits {
  maxQuestionChars: number;
  maxHistoryTurns: number;
}

/** Earlier turns of a conversation, oldest first: what a follow-up such as "When did he arrive?" is read against. */
export function historySchema(limits: TurnLimits) {
  const maxContent = limits.maxQuestionChars * 10;
  const turn = z.object({
    role: z.enum(['user', 'assistant']),
    content: z
      .string()
      .max(maxContent * 2)
      .refine((c) => chars(c) <= maxContent, `must be at most ${maxContent} characters`),
  });
  return z.array(turn).max(limits.maxHistoryTurns * 2, `must have at most ${limits.maxHistoryTurns * 2} turns`);
}

/** The search filter's fields, spread into a request schema; `toFilter` turns them into a `SearchFilter`. */
export const filterFields = {
  since: date.optional().describe('Only articles dated on or after this day (e.g. 2024-10-01).'),
  until: date.optional().describe('Only articles dated on or before this day (e.g. 2024-10-31).'),
  sources: z.array(z.string().min(1).max(2000)).max(100).optional().describe('Only these articles: article ids or url prefixes.'),
};

/** The filter a request asked for, or undefined when it named none. */
export function toFilter(f: SearchFilter): SearchFilter | undefined {
  return f.since || f.until || f.sources ? { since: f.since, until: f.until, sources: f.sources } : undefined;
}
