/**
 * CORS with an allow-list. With no origins configured nothing is added, so browsers keep the
 * same-origin rule; listed origins get their own origin echoed (never `*` with credentials).
 */
import type { RequestHandler } from 'express';

/** @example app.use(cors(['https://intranet.example'])) */
export function cors(origins: readonly string[]): RequestHandler {
  const allowed = new Set(origins);
  if (!allowed.size) return (_req, _res, next) => next();
  return (req, res, next) => {
    res.vary('Origin');
    const origin = req.headers.origin;
    if (!origin || !(allowed.has(origin) || allowed.has('*'))) return next();
    res.set('Access-Control-Allow-Origin', origin);
    res.set('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After, RateLimit, RateLimit-Policy');
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.set({
        'Access-Control-Allow-Methods': 'GET, POST, DELETE',
        'Access-Control-Allow-Headers': 'Content-Type, Authorization, X-Request-Id',
        'Access-Control-Max-Age': '600',
      });
      res.status(204).end();
      return;
    }
    next();
  };
}
