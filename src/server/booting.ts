/**
 * What the port answers while the model and index are still loading: health says "starting",
 * readiness says 503, everything else 503 with Retry-After. main.ts listens with this first and
 * swaps in the real app once boot finishes, so probes see the real state from the first second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(JSON.stringify(body));
};

/** @example http.createServer(bootingHandler(() => 'loading the model')) */
export function bootingHandler(stage: () => string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0].toLowerCase();
    if (path === '/api/health') {
      json(res, 200, { status: 'starting', stage: stage(), model: { loaded: false }, index: { loaded: false } });
    } else {
      const message = path === '/api/ready' ? `ready: not yet: ${stage()}` : `starting: ${stage()}; try again shortly`;
      // The OpenAI-compatible API answers in OpenAI's error shape, even while starting (lower-cased:
      // express matches /V1 as /v1, and so does this stand-in).
      const error = /^\/v1(\/|$)/.test(path) ? { message, type: 'server_error', param: null, code: 'unavailable' } : { code: 'unavailable', message };
      json(res, 503, { error }, { 'Retry-After': '2' });
    }
    req.resume();
  };
}
