/**
 * A time limit per request: past `ms` without a response, the timeout error goes to the one
 * error handler, which answers 503 with a message. The handler may still be running (an answer
 * is not interruptible mid-embedding); the response closing fires the route's AbortSignal, which
 * takes a waiting job out of the queue, and whatever the handler sends later fails with "headers
 * already sent", which the error handler drops for a request marked as timed out.
 * Streams are exempt once their headers are out: they are answering.
 */
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '../../errors.js';

/** True when `timeLimit` already answered this request: later errors of its handler are expected. */
export const timedOut = (res: Response): boolean => res.locals.timedOut === true;

/** @example app.use(timeLimit(15_000, (req) => req.path.startsWith('/api/articles'))) */
export function timeLimit(ms: number, exempt: (req: Request) => boolean = () => false): RequestHandler {
  return (req, res, next) => {
    if (exempt(req)) return next();
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      res.locals.timedOut = true;
      next(new AppError('timeout', `request: no answer within ${ms} ms; the server is busy, try again`));
    }, ms);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
