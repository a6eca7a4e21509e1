/**
 * Raw HTTP for hostile-input tests: the path is sent exactly as written (fetch would normalise
 * `/../` and encodings away) and the body may be any bytes. One keep-alive agent, so a fuzz run
 * reuses connections the way a real client would.
 */
import { Agent, request } from 'node:http';
import { assertNoLeak } from './noLeak.js';

export const keepAlive = new Agent({ keepAlive: true, maxSockets: 4 });

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

export function raw(
  base: string,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer; agent?: Agent | false },
): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, agent: opts.agent ?? keepAlive }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        try {
          assertNoLeak(text, `${opts.method ?? 'GET'} ${opts.path}`);
        } catch (e) {
          reject(e);
          return;
        }
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Parses a text/event-stream body into its events. */
export function sseEvents(text: string): { event: string; data: any }[] {
  return text
    .split(/\n\n+/)
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      let parsed: any = data;
      try {
        parsed = JSON.parse(data);
      } catch {
        /* keep the text */
      }
      return { event, data: parsed };
    });
}
