/** Request bodies, validated at the boundary; inside, the types are trusted. */
import { z } from 'zod';
import { AppError } from '../errors.js';
import { asOf, boundedText, filterFields, historySchema, type TurnLimits } from '../present/input.js';

/** POST /api/chat and /api/chat/stream. */
export function chatSchema(limits: TurnLimits) {
  return z.object({
    question: boundedText(limits.maxQuestionChars),
    history: historySchema(limits).optional(),
    asOf: asOf.optional(),
    ...filterFields,
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
