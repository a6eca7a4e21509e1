/**
 * POST /api/chat/stream: the same question as /api/chat, answered as Server-Sent Events so the
 * page can show the sources while the answer is still being built.
 *
 *   event: sources  { passages: [{ chunkId, articleId, title, url, date, start, end, score, text }] }
 *   event: delta    { text }            word-sized pieces; joined they are the answer text. With
 *                                       GENERATOR=openai: the model's tokens as they arrive
 *   event: quotes   { answer, found, short, query, quotes, time, generator, verification, warning, answerId }
 *                                       the final answer: after a model answer is verified (or a
 *                                       failing model falls back) it replaces the text the deltas built
 *   event: done     { timings }
 *   event: error    { code, message }   instead of the rest, when answering fails
 *
 * A failure before the first event (a body that fails validation, a full queue) is the usual
 * JSON error with its status. When the client goes away the request's AbortSignal stops the work.
 */
import { Router } from 'express';
import type { Archive } from '../../archive.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { errorBody, logInternal } from '../errors.js';
import { finalAnswer } from '../../present/output.js';
import { eventStream, wordPieces } from '../sse.js';
import { chatSchema, parse } from '../schemas.js';
import { toAskInput } from './chat.js';

export function streamRoutes(deps: { archive: Archive; limits: { maxQuestionChars: number; maxHistoryTurns: number }; logger: Logger }) {
  const schema = chatSchema(deps.limits);
  const router = Router();
  router.post('/api/chat/stream', async (req, res) => {
    const body = parse(schema, req.body, 'chat');
    const controller = new AbortController();
    const { signal } = controller;
    let finished = false;
    // 'close' also follows our own end(); only a client that left early (or a time limit that
    // answered for us) cancels the work.
    res.on('close', () => {
      if (!finished) controller.abort();
    });
    const send = eventStream(res).event;
    let pending: Promise<void> = Promise.resolve();
    let streamed = false;
    try {
      const result = await deps.archive.ask({
        ...toAskInput(body),
        signal,
        onPassages: (passages) => {
          pending = send('sources', { passages });
        },
        // The model's tokens go out in order, each after the one before it has been written.
        onDelta: (text) => {
          streamed = true;
          pending = pending.then(() => send('delta', { text }));
        },
      });
      await pending;
      if (!streamed) {
        for (const text of wordPieces(result.answer)) {
          if (signal.aborted) return;
          await send('delta', { text });
        }
      }
      await send('quotes', finalAnswer(result));
      await send('done', { timings: result.timings });
    } catch (err) {
      if (signal.aborted) return;
      if (!res.headersSent) throw err; // nothing streamed yet: the usual JSON error and status
      const e = err instanceof AppError ? err : new AppError('internal', 'chat: internal error', { cause: err });
      if (e.code === 'internal') logInternal(deps.logger, err, req);
      await send('error', errorBody(e));
    } finally {
      finished = true;
      if (res.headersSent && !res.writableEnded) res.end();
    }
  });
  return router;
}
