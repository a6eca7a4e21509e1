/**
 * A time limit per request: past `ms` without a response, the client gets 503 with a message.
 * The handler may still be running (an answer is not interruptible mid-embedding); whatever it
 * sends later is dropped rather than throwing "headers already sent". Closing the response
 * also fires the route's AbortSignal, which takes a waiting job out of the queue.
 * Streams are exempt once their headers are out: they are answering.
 */
import type { RequestHandler, Response } from 'express';
import { AppError } from '../../errors.js';
import { sendError } from '../errors.js';

/** @example app.use(timeLimit(15_000, (req) => req.path.startsWith('/api/articles'))) */
export function timeLimit(ms: number, exempt: (req: Parameters<RequestHandler>[0]) => boolean = () => false): RequestHandler {
  return (req, res, next) => {
    if (exempt(req)) return next();
    const timer = setTimeout(() => {
      if (res.headersSent || res.writableEnded) return;
      res.set('Retry-After', '1');
      sendError(res, new AppError('timeout', `request: no answer within ${ms} ms; the server is busy, try again`));
      const drop = (() => res) as unknown as Response['json'];
      res.json = drop;
      res.send = drop as unknown as Response['send'];
    }, ms);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
