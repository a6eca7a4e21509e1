/**
 * Who may read and who may write. Each guard protects whatever it is mounted in front of
 * (server/app.ts): nothing here looks at the path, so a route added behind a guard is guarded,
 * whatever letter case or trailing slash a request spells it with (express matches mounts and
 * routes the same way).
 *
 * Reads need `Authorization: Bearer <API_TOKEN>` when API_TOKEN is set (the admin token, which
 * may do everything, is accepted too). Writes need the admin token when ADMIN_TOKEN is set; without
 * one they are allowed only on a loopback server and not from another site's page.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../../errors.js';
import type { Config } from '../../config.js';
import { allowedHosts, splitHost } from './hostCheck.js';

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
 * @example api.use(requireReader({ apiToken: 'secret' })) // anything behind it without the token → 401
 */
export function requireReader(config: { apiToken?: string; adminToken?: string }): RequestHandler {
  if (!config.apiToken) return (_req, _res, next) => next();
  const tokens = [config.apiToken, config.adminToken].filter((t): t is string => !!t);
  return (req, _res, next) => {
    const sent = bearer(req.get('authorization'));
    if (sent && tokens.some((t) => sameSecret(sent, t))) return next();
    next(new AppError('unauthorized', 'auth: send the API token as "Authorization: Bearer <API_TOKEN>" (in OpenAI-compatible clients: the API key)'));
  };
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;

/**
 * True when a browser says the request comes from a page that is not this server's: its Origin
 * names a host outside `allowed` or another port (`localhost` and `127.0.0.1` on the same port
 * count as the same site), or, without an Origin, Sec-Fetch-Site says cross-site.
 */
export function fromAnotherSite(
  fetchSite: string | undefined,
  origin: string | undefined,
  host: string | undefined,
  allowed: ReadonlySet<string> | '*' = '*',
): boolean {
  if (!origin) return fetchSite === 'cross-site' || fetchSite === 'same-site';
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return true; // "null" (sandboxed or file:// pages) or garbage
  }
  if (from.protocol !== 'http:' && from.protocol !== 'https:') return true;
  const self = splitHost(host);
  const page = splitHost(from.host, from.protocol === 'https:' ? '443' : '80');
  if (!self || !page || page.port !== self.port) return true;
  return allowed === '*' ? page.name !== self.name : !allowed.has(page.name);
}

export type WriterConfig = Pick<Config, 'host' | 'adminToken'> & Partial<Pick<Config, 'allowedHosts'>>;

/**
 * Writes need the admin token when one is set. Without one they are allowed only when the
 * server listens on loopback, where the only callers are on this machine — and not from a web
 * page of another site, which a browser would let post a form to 127.0.0.1 without asking.
 * `what` names the API in the messages ("articles", "sources").
 * @example api.use('/api/articles', requireWriter(config, 'articles'), articleWrites)
 */
export function requireWriter(config: WriterConfig, what: string, hosts = allowedHosts(config)): RequestHandler {
  return (req, _res, next) => {
    if (!config.adminToken && fromAnotherSite(req.get('sec-fetch-site'), req.get('origin'), req.get('host'), hosts)) {
      throw new AppError('forbidden', `${what}: writes from another site's page are refused; call the API directly or set ADMIN_TOKEN`);
    }
    if (config.adminToken) {
      const sent = bearer(req.get('authorization'));
      if (!sent || !sameSecret(sent, config.adminToken)) {
        throw new AppError('unauthorized', `${what}: send the admin token as "Authorization: Bearer <ADMIN_TOKEN>" to change ${what}`);
      }
    } else if (!LOOPBACK.test(config.host)) {
      throw new AppError(
        'forbidden',
        `${what}: writes are disabled because the server listens on ${config.host} without ADMIN_TOKEN; set ADMIN_TOKEN (and send it as a Bearer token) or listen on 127.0.0.1`,
      );
    }
    next();
  };
}
