/**
 * robots.txt per origin, read with `robots-parser` (the maintained parser of the 1996 draft plus
 * Google's additions: wildcards, `$`, Crawl-delay, longest match wins). Fetched once per origin
 * and kept for an hour. A missing robots.txt (4xx) allows everything, as crawlers agree; one that
 * cannot be read (5xx, timeout) is an error for this sync, retried later — never read as "allowed".
 */
import robotsParserModule from 'robots-parser';

interface Robot {
  isAllowed(url: string, ua?: string): boolean | undefined;
  getCrawlDelay(ua?: string): number | undefined;
}
// The package is CommonJS with a declaration file TypeScript reads as a namespace; at run time the default import is the function.
const robotsParser = robotsParserModule as unknown as (url: string, contents: string) => Robot;

export interface Rules {
  allowed(url: string): boolean;
  crawlDelayMs: number;
}

const KEEP_MS = 60 * 60 * 1000;
const ALLOW_ALL: Rules = { allowed: () => true, crawlDelayMs: 0 };

/** `get` fetches one url without redirects and throws a FetchError with `permanent` on failure. */
export function createRobots(deps: { userAgent: string; get: (url: URL) => Promise<{ res: { status: number }; body: string }> }) {
  const cache = new Map<string, { at: number; rules: Promise<Rules> }>();
  // robots.txt groups are matched on the product token, not the whole User-Agent string.
  const token = deps.userAgent.split(/[\s/]/)[0];

  async function load(origin: string): Promise<Rules> {
    const url = new URL('/robots.txt', origin);
    try {
      const { res, body } = await deps.get(url);
      if (res.status !== 200) return ALLOW_ALL; // a redirect is not followed for robots.txt: treat as absent
      const robot = robotsParser(url.href, body);
      return {
        allowed: (u) => robot.isAllowed(u, token) !== false,
        crawlDelayMs: (robot.getCrawlDelay(token) ?? 0) * 1000,
      };
    } catch (e) {
      if ((e as { permanent?: boolean }).permanent) return ALLOW_ALL;
      throw e;
    }
  }

  return {
    /** The rules for a url's origin, fetched at most once an hour per origin. */
    async rules(url: URL): Promise<Rules> {
      const hit = cache.get(url.origin);
      if (hit && Date.now() - hit.at < KEEP_MS) return hit.rules;
      const rules = load(url.origin);
      cache.set(url.origin, { at: Date.now(), rules });
      // A failed read is not remembered: the next sync asks again.
      rules.catch(() => cache.delete(url.origin));
      return rules;
    },
  };
}
