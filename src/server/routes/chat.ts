/** POST /api/chat: the question in, the answer with its quotes and passages out. */
import { Router } from 'express';
import type { Archive, AskInput } from '../../archive.js';
import { toFilter } from '../../present/input.js';
import { chatSchema, parse, type ChatBody } from '../schemas.js';

export const toAskInput = (body: ChatBody): AskInput => ({ question: body.question, history: body.history, asOf: body.asOf, filter: toFilter(body) });

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
