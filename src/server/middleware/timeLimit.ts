/**
 * A time limit per request: past `ms` without a response, the timeout error goes to the one
 * error handler, which answers 503 with a message. The handler may still be running (an answer
 * is not interruptible mid-embedding); the response closing fires the route's AbortSignal, which
 * takes a waiting job out of the queue, and whatever the handler sends later fails with "headers
 * already sent", which the error handler drops for a request marked as timed out.
 * Streams are exempt once their headers are out: they are answering. A route that may rightly take
 * minutes (an upload to embed, a sync on request) says so where it is mounted, with `untimed`.
 */
import type { RequestHandler, Response } from 'express';
import { AppError } from '../../errors.js';

/** True when `timeLimit` already answered this request: later errors of its handler are expected. */
export const timedOut = (res: Response): boolean => res.locals.timedOut === true;

/** @example api.use(timeLimit(15_000)) */
export function timeLimit(ms: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      res.locals.timedOut = true;
      next(new AppError('timeout', `request: no answer within ${ms} ms; the server is busy, try again`));
    }, ms);
    const clear = () => clearTimeout(timer);
    res.locals.cancelTimeLimit = clear;
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}

/** Lifts the time limit for what it is mounted in front of. @example api.use('/api/articles', untimed, articleWrites) */
export const untimed: RequestHandler = (_req, res, next) => {
  (res.locals.cancelTimeLimit as (() => void) | undefined)?.();
  next();
};
