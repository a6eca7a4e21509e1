/**
 * The OpenAI chat-completions protocol mapped onto the archive: the request body validated and
 * turned into a question and its history (exactly what /api/chat takes), and an answer turned
 * into an assistant message whose `content` carries the sources in plain text, so a client that
 * shows only `content` still shows where each quote comes from.
 */
import { z } from 'zod';
import type { AskInput, AskResult } from '../archive.js';
import type { Turn } from '../answering/rewrite.js';
import { AppError } from '../errors.js';
import { chars } from '../present/input.js';

/** Message content: a string, or (newer clients, Open WebUI) an array of parts of which text parts count. */
const content = z.union([z.string(), z.array(z.object({ type: z.string(), text: z.string().optional() }).passthrough()), z.null()]);

/** The standard body; fields it does not list (tools, n, seed, …) are ignored, as the issue asks. */
export function completionSchema(limits: { maxQuestionChars: number }) {
  const maxContent = limits.maxQuestionChars * 10;
  return z.object({
    model: z.string({ required_error: 'is required', invalid_type_error: 'must be a string' }).max(200),
    messages: z
      .array(
        z
          .object({
            role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
            content: content.optional(),
            name: z.string().max(200).optional(),
          })
          .passthrough(),
        { required_error: 'is required', invalid_type_error: 'must be an array of messages' },
      )
      .min(1, 'must hold at least one message')
      .max(1000, 'must hold at most 1000 messages')
      .superRefine((msgs, ctx) => {
        msgs.forEach((m, i) => {
          if (chars(textOf(m.content)) > maxContent)
            ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i, 'content'], message: `must be at most ${maxContent} characters` });
        });
      }),
    stream: z.boolean().nullish(),
    stream_options: z.object({ include_usage: z.boolean().nullish() }).passthrough().nullish(),
    max_tokens: z.number().int().min(1).nullish(),
    max_completion_tokens: z.number().int().min(1).nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    user: z.string().max(1000).nullish(),
  });
}

export type CompletionBody = z.infer<ReturnType<typeof completionSchema>>;

/** The text of a message's content: text parts joined; images and other parts carry no question. */
export function textOf(c: z.infer<typeof content> | undefined): string {
  if (typeof c === 'string') return c;
  if (!c) return '';
  return c.map((p) => (p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('');
}

const SOURCES = '\n\nSources:\n';

/**
 * Messages → the archive's question and history. The last message must be the user's question;
 * earlier user and assistant turns are the history (system prompts are the client's business).
 * The source list we appended to earlier answers is dropped, so the history is what /api/chat
 * would have seen. A long conversation keeps its last `maxHistoryTurns` exchanges rather than
 * failing: chat front ends send the whole conversation every time.
 */
export function toAsk(body: CompletionBody, limits: { maxQuestionChars: number; maxHistoryTurns: number }): Pick<AskInput, 'question' | 'history'> {
  const last = body.messages.at(-1)!;
  const i = body.messages.length - 1;
  const question = textOf(last.content).trim();
  if (last.role !== 'user')
    throw new AppError('bad_request', `chat.completions: messages.${i}.role must be "user": the last message is the question`, { param: `messages.${i}.role` });
  if (!question) throw new AppError('bad_request', `chat.completions: messages.${i}.content must not be empty`, { param: `messages.${i}.content` });
  if (chars(question) > limits.maxQuestionChars) {
    throw new AppError('bad_request', `chat.completions: messages.${i}.content must be at most ${limits.maxQuestionChars} characters`, {
      param: `messages.${i}.content`,
    });
  }
  const history: Turn[] = body.messages
    .slice(0, -1)
    .filter((m): m is typeof m & { role: 'user' | 'assistant' } => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role, content: textOf(m.content).split(SOURCES)[0] }))
    .filter((t) => t.content.trim() !== '');
  return { question, history: history.slice(-limits.maxHistoryTurns * 2) };
}

/** The answer, then `[n] "quote" — Title, date, url` per quote; a refusal is the answer alone. */
export function messageContent(r: Pick<AskResult, 'answer' | 'quotes'>): string {
  if (!r.quotes.length) return r.answer;
  const lines = r.quotes.map((q) => `[${q.n}] "${q.text}" — ${[q.title, q.date, q.url].filter(Boolean).join(', ')}`);
  return `${r.answer}${SOURCES}${lines.join('\n')}`;
}
