/** POST /api/chat: the question in, the answer with its quotes and passages out. */
import { Router } from 'express';
import type { Archive } from '../../archive.js';
import { chatSchema, parse, type ChatBody } from '../schemas.js';

export const toAskInput = (body: ChatBody) => ({
  question: body.question,
  history: body.history,
  asOf: body.asOf,
  filter: body.since || body.until || body.sources ? { since: body.since, until: body.until, sources: body.sources } : undefined,
});

export function chatRoutes(deps: { archive: Archive; limits: { maxQuestionChars: number; maxHistoryTurns: number } }) {
  const schema = chatSchema(deps.limits);
  const router = Router();
  router.post('/api/chat', async (req, res) => {
    const body = parse(schema, req.body, 'chat');
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const result = await deps.archive.ask({ ...toAskInput(body), signal: controller.signal });
    res.json(result);
  });
  return router;
}
