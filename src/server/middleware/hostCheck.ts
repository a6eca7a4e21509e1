/**
 * DNS-rebinding guard: every request must name, in its `Host` header, a host this server is
 * meant to be reached by (ALLOWED_HOSTS; by default the listening address, `localhost`,
 * `127.0.0.1` and `[::1]`). A page on `evil.example` whose name was re-pointed at 127.0.0.1 still
 * sends `Host: evil.example`, and is refused before any route runs.
 */
import type { RequestHandler } from 'express';
import { AppError } from '../../errors.js';

const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);

/** `[::1]:3000` → `{ name: '[::1]', port: '3000' }`; undefined for anything that is not a host. */
export function splitHost(value: string | undefined, defaultPort = '80'): { name: string; port: string } | undefined {
  if (!value) return undefined;
  try {
    const u = new URL(`http://${value}`);
    if (u.username || u.password || u.pathname !== '/' || u.search || u.hash) return undefined;
    return { name: u.hostname.toLowerCase(), port: u.port || defaultPort };
  } catch {
    return undefined;
  }
}

const normalise = (h: string) => (h.includes(':') && !h.startsWith('[') ? `[${h}]` : h).toLowerCase();

/**
 * The host names requests may carry, or `'*'` for any: an explicit ALLOWED_HOSTS (`*` allowed),
 * else any when listening on every address (reached by names we cannot know; writes there need
 * ADMIN_TOKEN anyway), else the listening address and the loopback names.
 */
export function allowedHosts(config: { host: string; allowedHosts?: readonly string[] }): ReadonlySet<string> | '*' {
  const list = config.allowedHosts ?? [];
  if (list.includes('*')) return '*';
  if (list.length) return new Set(list.map(normalise));
  if (WILDCARD.has(config.host)) return '*';
  return new Set([normalise(config.host), 'localhost', '127.0.0.1', '[::1]']);
}

/** @example app.use(hostCheck(allowedHosts(config))) */
export function hostCheck(allowed: ReadonlySet<string> | '*'): RequestHandler {
  return (req, _res, next) => {
    if (allowed === '*') return next();
    const host = splitHost(req.get('host'));
    if (!host || !allowed.has(host.name)) {
      throw new AppError('forbidden', 'request: this server is not reached by that host name; add it to ALLOWED_HOSTS if it should be');
    }
    next();
  };
}
