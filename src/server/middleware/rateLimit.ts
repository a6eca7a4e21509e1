/**
 * Per-client rate limiting of the API (express-rate-limit, in memory: one process). Over the
 * limit a client gets 429 with `Retry-After` and our usual JSON error. It limits what it is
 * mounted in front of (server/app.ts); the health and readiness probes are mounted before it, so
 * an orchestrator polling them cannot lock itself out.
 *
 * One HTTP request may carry many calls (a JSON-RPC batch to /mcp): the route counts the rest
 * with `countMore`, so a batch of 100 asks costs what 100 requests cost.
 */
import type { Request, RequestHandler } from 'express';
import { MemoryStore, rateLimit, type AugmentedRequest } from 'express-rate-limit';
import { AppError } from '../../errors.js';

const counters = new WeakMap<Request, (n: number) => Promise<void>>();

/**
 * Counts `n` more requests against the client of `req`, as if it had sent them one by one.
 * Does nothing where no rate limit is mounted.
 * @throws AppError('too_many_requests') when that takes the client over the limit.
 */
export async function countMore(req: Request, n: number): Promise<void> {
  if (n > 0) await counters.get(req)?.(n);
}

/** `limit` requests per `windowMs` per client address; 0 turns it off. */
export function rateLimiter(opts: { limit: number; windowMs: number }): RequestHandler {
  if (opts.limit <= 0) return (_req, _res, next) => next();
  const seconds = Math.ceil(opts.windowMs / 1000);
  const tooMany = () =>
    new AppError(
      'too_many_requests',
      `rate limit: more than ${opts.limit} requests in ${seconds} s from this client; retry after the Retry-After header's seconds`,
    );
  const store = new MemoryStore();
  const limiter = rateLimit({
    windowMs: opts.windowMs,
    limit: opts.limit,
    store,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) => next(tooMany()),
  });
  return (req, res, next) => {
    counters.set(req, async (n) => {
      const key = (req as AugmentedRequest).rateLimit?.key;
      if (key === undefined) return;
      let info = { totalHits: 0, resetTime: undefined as Date | undefined };
      for (let i = 0; i < n; i++) info = await store.increment(key);
      if (info.totalHits > opts.limit) {
        res.set('Retry-After', String(Math.max(1, Math.ceil(((info.resetTime?.getTime() ?? Date.now() + opts.windowMs) - Date.now()) / 1000))));
        throw tooMany();
      }
    });
    return limiter(req, res, next);
  };
}
