/**
 * The OpenAI-compatible API, so chat front ends (Open WebUI, LibreChat) and scripts using an
 * OpenAI client can ask the archive:
 *
 *   GET  /v1/models             one model, `archivist` (and which model writes the answers, if any)
 *   POST /v1/chat/completions   the standard body; `stream: true` answers as `chat.completion.chunk`
 *                               events ending with `data: [DONE]`
 *
 * Errors under /v1 take OpenAI's shape `{ error: { message, type, param, code } }`; the mapping
 * lives with every other error mapping, in server/errors.ts.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import type { Archive, AskResult } from '../../archive.js';
import type { Config } from '../../config.js';
import { AppError } from '../../errors.js';
import { answerFields } from '../../present/output.js';
import { completionSchema, messageContent, textOf, toAsk, type CompletionBody } from '../openaiChat.js';
import { parse } from '../schemas.js';
import { eventStream, wordPieces } from '../sse.js';

export const MODEL_ID = 'archivist';

/**
 * Who writes the answers: the extractive answerer, or with `GENERATOR=openai` the configured
 * model, so a client's model list says which model answers.
 */
export function answerer(config: Pick<Config, 'generator' | 'llmModel'>): { answerer: 'extractive' } | { answerer: string; model: string | null } {
  if (config.generator === 'extractive') return { answerer: 'extractive' };
  return { answerer: config.generator, model: config.llmModel || null };
}

/**
 * Usage counted with the embedding model's tokenizer (the only tokenizer the archive has); when
 * the archive has none, zeros and a note saying so, never an estimate.
 */
function usage(archive: Archive, body: CompletionBody, content: string) {
  const prompt = body.messages.map((m) => archive.tokens(textOf(m.content)));
  const completion = archive.tokens(content);
  if (completion === undefined || prompt.some((n) => n === undefined)) {
    return { usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 }, note: 'usage not counted: the embedding model has no tokenizer loaded' };
  }
  const p = prompt.reduce<number>((a, n) => a + n!, 0);
  return { usage: { prompt_tokens: p, completion_tokens: completion, total_tokens: p + completion } };
}

async function streamAnswer(res: Response, r: AskResult, body: CompletionBody, base: object, content: string, counted: ReturnType<typeof usage>) {
  const send = eventStream(res).data;
  const chunk = (delta: object, finish: string | null) => ({
    ...base,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
  await send(chunk({ role: 'assistant', content: '' }, null));
  for (const piece of wordPieces(content)) {
    if (res.destroyed) return;
    await send(chunk({ content: piece }, null));
  }
  await send(chunk({ archivist: { ...answerFields(r), ...(counted.note ? { usage_note: counted.note } : {}) } }, 'stop'));
  if (body.stream_options?.include_usage) await send({ ...base, object: 'chat.completion.chunk', choices: [], usage: counted.usage });
  await send('[DONE]');
  res.end();
}

export function openaiRoutes(deps: { archive: Archive; config: Pick<Config, 'maxQuestionChars' | 'maxHistoryTurns' | 'generator' | 'llmModel'> }) {
  const { archive, config } = deps;
  const schema = completionSchema(config);
  const created = Math.floor(Date.now() / 1000);
  const model = { id: MODEL_ID, object: 'model', created, owned_by: 'archivist', archivist: answerer(config) };
  const router = Router();

  router.get('/v1/models', (_req, res) => {
    res.json({ object: 'list', data: [model] });
  });
  router.get('/v1/models/:id', (req, res) => {
    if (req.params.id !== MODEL_ID) throw new AppError('not_found', `models: no model "${req.params.id}"; the one model is "${MODEL_ID}"`, { param: 'model' });
    res.json(model);
  });

  router.post('/v1/chat/completions', async (req, res) => {
    const body = parse(schema, req.body, 'chat.completions');
    const controller = new AbortController();
    let finished = false;
    res.on('close', () => {
      if (!finished) controller.abort();
    });
    try {
      // Answered in full before anything is sent: a failure (queue full, time limit) is then an
      // ordinary JSON error with its status, which every OpenAI client understands.
      const r = await archive.ask({ ...toAsk(body, config), signal: controller.signal });
      const content = messageContent(r);
      const counted = usage(archive, body, content);
      const base = { id: `chatcmpl-${randomUUID()}`, created: Math.floor(Date.now() / 1000), model: MODEL_ID };
      if (body.stream) return await streamAnswer(res, r, body, base, content, counted);
      res.json({
        ...base,
        object: 'chat.completion',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content, refusal: null, archivist: { ...answerFields(r), ...(counted.note ? { usage_note: counted.note } : {}) } },
            logprobs: null,
            finish_reason: 'stop',
          },
        ],
        usage: counted.usage,
      });
    } finally {
      finished = true;
    }
  });
  return router;
}
