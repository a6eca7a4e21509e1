/**
 * Kept answers (src/answers/):
 *
 *   GET    /api/answers?limit=&offset=   recent answers, newest first (question, short answer, date, rating)
 *   GET    /api/answers/:id              one answer, each quote marked current/changed/gone; as Markdown
 *                                        with `Accept: text/markdown` or `?format=markdown`
 *   POST   /api/answers/:id/feedback     { rating: "up"|"down", reason?, correction? }: the one current judgment
 *   DELETE /api/answers/:id              deletes the answer and its judgment
 *   GET    /api/feedback?format=jsonl    judged answers as evaluation lines (`npm run eval -- --feedback`)
 *   GET    /a/:id                        the answer's read-only page (static; it reads /api/answers/:id)
 *
 * Mounted by server/app.ts: the reads where the reader guard is, the writes (judging, deleting)
 * also behind the writer guard, as article writes are; the page beside the static chat page.
 */
import { fileURLToPath } from 'node:url';
import { Router } from 'express';
import { z } from 'zod';
import type { Archive } from '../../archive.js';
import { answerMarkdown } from '../../answers/markdown.js';
import { feedbackSchema } from '../../answers/record.js';
import { AppError } from '../../errors.js';
import { parse } from '../schemas.js';

const PAGE = fileURLToPath(new URL('../../web/answer.html', import.meta.url));

const pageSchema = z.object({
  offset: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').default(0),
  limit: z.coerce.number().int('must be a whole number').min(1, 'must be at least 1').max(100, 'must be at most 100').default(20),
});
const answerQuery = z.object({ format: z.enum(['json', 'markdown'], { message: 'must be json or markdown' }).optional() });
const feedbackQuery = z.object({ format: z.enum(['jsonl'], { message: 'must be jsonl' }).default('jsonl') });

/** Reads: the list and one answer, mounted at /api/answers behind the reader guard. */
export function answerReads(deps: { archive: Archive }) {
  const { answers } = deps.archive;
  const router = Router();

  router.get('/', async (req, res) => {
    const { offset, limit } = parse(pageSchema, req.query, 'answers');
    res.json({ offset, limit, ...(await answers.list({ offset, limit })) });
  });

  router.get('/:id', async (req, res) => {
    const { format } = parse(answerQuery, req.query, 'answers');
    const view = await answers.get(String(req.params.id));
    const markdown = format === 'markdown' || (!format && req.accepts(['application/json', 'text/markdown']) === 'text/markdown');
    res.vary('Accept');
    if (!markdown) return void res.json(view);
    res.type('text/markdown; charset=utf-8').send(answerMarkdown(view, `${req.protocol}://${req.get('host')}/a/${view.id}`));
  });
  return router;
}

/** The judged answers as evaluation lines, mounted at /api/feedback behind the reader guard. */
export function feedbackReads(deps: { archive: Archive }) {
  const router = Router();
  router.get('/', async (req, res) => {
    parse(feedbackQuery, req.query, 'feedback');
    const lines = await deps.archive.answers.feedbackLines();
    res.type('application/x-ndjson; charset=utf-8').send(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  });
  return router;
}

/** Writes: judge or delete a kept answer, mounted at /api/answers behind the writer guard (after the JSON parser). */
export function answerWrites(deps: { archive: Archive }) {
  const { answers } = deps.archive;
  const router = Router();

  router.post('/:id/feedback', async (req, res) => {
    const body = parse(feedbackSchema, req.body, 'feedback');
    const feedback = await answers.judge(String(req.params.id), body);
    res.json({ id: String(req.params.id), feedback });
  });

  router.delete('/:id', async (req, res) => {
    const id = String(req.params.id);
    await answers.remove(id);
    res.json({ id, status: 'removed' });
  });
  return router;
}

/** The page at /a/:id holds no data (like the chat page); it reads the answer through the guarded API. */
export function answerPage() {
  const router = Router();
  router.get('/:id', (req, res) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(String(req.params.id))) throw new AppError('not_found', `answers: no kept answer with id "${String(req.params.id)}"`);
    res.sendFile(PAGE);
  });
  return router;
}
