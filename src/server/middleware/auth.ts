/**
 * Reads need a token when API_TOKEN is set: the chat, article reads, kept answers and feedback, the OpenAI-compatible API
 * (/v1) and MCP (/mcp) all answer only to `Authorization: Bearer <API_TOKEN>` (or the admin
 * token, which may do everything). Health and readiness probes and the static page stay open:
 * an orchestrator has no token, and the page itself holds no data.
 *
 * Writes keep their own, stricter rule (ADMIN_TOKEN, see routes/articles.ts); this guard only
 * decides who may read.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../errors.js';

/** Paths that hand out the archive's contents. */
const GUARDED = /^\/(api\/chat|api\/articles|api\/answers|api\/feedback|v1|mcp)(\/|$)/;

const digest = (s: string) => createHash('sha256').update(s).digest();
/**
 * Compares two secrets through their digests, in constant time: equal-length digests leak
 * neither the content nor the length of the token (a length check first would).
 */
export const sameSecret = (a: string, b: string): boolean => timingSafeEqual(digest(a), digest(b));

/** The Bearer token a request carries, or undefined. */
export function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return m ? m[1].trim() : undefined;
}

/**
 * @example app.use(requireReader({ apiToken: 'secret' })) // GET /v1/models without it → 401
 */
export function requireReader(config: { apiToken?: string; adminToken?: string }): RequestHandler {
  if (!config.apiToken) return (_req, _res, next) => next();
  const tokens = [config.apiToken, config.adminToken].filter((t): t is string => !!t);
  return (req, _res, next) => {
    if (!GUARDED.test(req.path)) return next();
    const sent = bearer(req.get('authorization'));
    if (sent && tokens.some((t) => sameSecret(sent, t))) return next();
    next(new AppError('unauthorized', 'auth: send the API token as "Authorization: Bearer <API_TOKEN>" (in OpenAI-compatible clients: the API key)'));
  };
}
