/**
 * Per-client rate limiting of the API (express-rate-limit, in memory: one process). Over the
 * limit a client gets 429 with `Retry-After` and our usual JSON error. It limits what it is
 * mounted in front of (server/app.ts); the health and readiness probes are mounted before it, so
 * an orchestrator polling them cannot lock itself out.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { AppError } from '../../errors.js';

/** `limit` requests per `windowMs` per client address; 0 turns it off. */
export function rateLimiter(opts: { limit: number; windowMs: number }): RequestHandler {
  if (opts.limit <= 0) return (_req, _res, next) => next();
  const seconds = Math.ceil(opts.windowMs / 1000);
  return rateLimit({
    windowMs: opts.windowMs,
    limit: opts.limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(new AppError('too_many_requests', `rate limit: more than ${opts.limit} requests in ${seconds} s from this client; retry after the Retry-After header's seconds`)),
  });
}
