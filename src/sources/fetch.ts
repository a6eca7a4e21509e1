/**
 * Polite, safe HTTP GETs for sources. undici (the library behind Node's own fetch) is used
 * directly because only its Agent lets the socket's DNS lookup be replaced, which is where the
 * address check must sit (address.ts). Every request:
 * - waits its turn per host (one at a time, at least FETCH_MIN_DELAY_MS or robots.txt's
 *   Crawl-delay apart) and asks robots.txt first (robots.ts);
 * - sends the stored ETag / Last-Modified, so an unchanged feed costs one 304;
 * - follows at most FETCH_MAX_REDIRECTS redirects by hand, checking address, scheme, robots and
 *   pacing again at every hop;
 * - gives up after FETCH_TIMEOUT_MS, past FETCH_MAX_BYTES (counted while streaming, after
 *   decompression) and on a content type the caller does not expect.
 */
import { Agent, fetch, type Response } from 'undici';
import { AppError } from '../errors.js';
import { checkLiteralHost, guardedLookup, RefusedAddress, type AddressPolicy } from './address.js';
import { createRobots } from './robots.js';

export interface FetchSettings extends AddressPolicy {
  userAgent: string;
  timeoutMs: number;
  maxBytes: number;
  minDelayMs: number;
  maxRedirects: number;
}

export interface Validators {
  etag?: string;
  lastModified?: string;
}

export type Fetched = { status: 200; url: string; body: string; contentType: string; validators: Validators } | { status: 304; url: string };

/**
 * A fetch that failed; `permanent` ones are not worth retrying for the same url. `bySettings`
 * ones were refused by this server's settings (ALLOW_PRIVATE_SOURCES, PRIVATE_SOURCE_RANGES): they
 * say nothing about the source, and are tried again as soon as the settings may have changed.
 */
export class FetchError extends AppError {
  constructor(
    message: string,
    readonly permanent: boolean,
    readonly bySettings = false,
  ) {
    super('unavailable', `sources: ${message}`);
  }
}

/** Content types each kind of document may come as (feeds are often served as text/xml or plain). */
export const ACCEPT = {
  feed: /^(application|text)\/((rss|atom|rdf|feed)\+)?(xml|json)$|^application\/(rss|atom)(\+xml)?$|^text\/plain$/,
  sitemap: /^(application|text)\/xml$|^text\/plain$/,
  page: /^text\/html$|^application\/xhtml\+xml$/,
  // Any type: sites serve robots.txt as text/html or with none, and a Disallow is honoured all the same (as crawlers do).
  robots: /^/,
} as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What every request asks for: feeds first, pages next, anything last. */
const ACCEPT_HEADER = 'application/rss+xml, application/atom+xml, application/feed+json, application/xml, text/html;q=0.9, */*;q=0.5';

type Paced = <T>(host: string, delayMs: number, fn: () => Promise<T>) => Promise<T>;

/** Per-host turns: `paced(host, delayMs, fn)` runs `fn` after every earlier request to `host` and the minimum gap since the last one. */
function createPacing(): Paced {
  // Per host: the tail of its queue and when its last request ended.
  const hosts = new Map<string, { tail: Promise<unknown>; last: number }>();
  return <T>(host: string, delayMs: number, fn: () => Promise<T>): Promise<T> => {
    const h = hosts.get(host) ?? { tail: Promise.resolve(), last: 0 };
    hosts.set(host, h);
    const run = h.tail.then(async () => {
      const wait = h.last + delayMs - Date.now();
      if (h.last && wait > 0) await sleep(wait);
      try {
        return await fn();
      } finally {
        h.last = Date.now();
      }
    });
    h.tail = run.catch(() => undefined);
    return run;
  };
}

/** The request's headers: the user agent, and the stored validators for a conditional GET. */
function requestHeaders(userAgent: string, validators?: Validators): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': userAgent, accept: ACCEPT_HEADER };
  if (validators?.etag) headers['if-none-match'] = validators.etag;
  if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
  return headers;
}

/** Refuses a status other than 200 (4xx but 408 and 429 are permanent) and a content type `accept` does not take. */
async function checkResponse(res: Response, url: URL, accept: RegExp) {
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new FetchError(`${url.href} answered ${res.status}`, res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408);
  }
  const type = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!accept.test(type)) {
    await res.body?.cancel();
    throw new FetchError(`${url.href} is ${type || 'of no content type'}, not what was expected`, true);
  }
}

/** The body as text in its declared charset (UTF-8 when none or unknown), refused past `maxBytes` as declared or as counted while streaming. */
async function readBody(res: Response, url: URL, maxBytes: number): Promise<string> {
  const tooBig = () => new FetchError(`${url.href} is larger than FETCH_MAX_BYTES (${maxBytes} bytes)`, true);
  if (Number(res.headers.get('content-length') ?? 0) > maxBytes) {
    await res.body?.cancel();
    throw tooBig();
  }
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const part of res.body ?? []) {
    size += part.byteLength;
    if (size > maxBytes) throw tooBig();
    parts.push(part);
  }
  const charset = /charset=["']?([\w-]+)/i.exec(res.headers.get('content-type') ?? '')?.[1] ?? 'utf-8';
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset);
  } catch {
    decoder = new TextDecoder('utf-8');
  }
  return decoder.decode(Buffer.concat(parts));
}

/** Any failure of one request as a FetchError: a refused address (by settings), the timeout, or the network's own error. */
function asFetchError(e: unknown, url: URL, signal: AbortSignal, timeoutMs: number): FetchError {
  if (e instanceof FetchError) return e;
  const cause = (e as { cause?: unknown }).cause;
  if (cause instanceof RefusedAddress) return new FetchError(cause.message.replace(/^sources: /, ''), true, true);
  if (signal.aborted) return new FetchError(`${url.href} took longer than FETCH_TIMEOUT_MS (${timeoutMs} ms)`, false);
  return new FetchError(`${url.href} could not be fetched (${(cause as Error)?.message ?? (e as Error).message})`, false);
}

/** Refuses a url before any request: a scheme other than http(s), or a host the address policy refuses as written. */
function checkUrl(url: URL, settings: FetchSettings) {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FetchError(`${url.protocol} urls are not fetched (${url.href})`, true);
  try {
    checkLiteralHost(url, settings);
  } catch (e) {
    throw new FetchError((e as Error).message.replace(/^sources: /, ''), true, true);
  }
}

/** The answer of a 200 or 304; undefined for a redirect. */
function fetched(res: Response, url: URL, body: string): Fetched | undefined {
  if (res.status === 304) return { status: 304, url: url.href };
  if (res.status !== 200) return undefined;
  const etag = res.headers.get('etag') ?? undefined;
  const lastModified = res.headers.get('last-modified') ?? undefined;
  return { status: 200, url: url.href, body, contentType: res.headers.get('content-type') ?? '', validators: { etag, lastModified } };
}

/** Creates the fetcher; `close` releases its connections. */
export function createFetcher(settings: FetchSettings) {
  const agent = new Agent({ connect: { lookup: guardedLookup(settings) as never }, connections: 1 });
  const paced = createPacing();

  /** One request, no redirects followed: the raw response with its body read under the cap. */
  async function once(url: URL, accept: RegExp, validators?: Validators) {
    const signal = AbortSignal.timeout(settings.timeoutMs);
    try {
      const res = await fetch(url, { headers: requestHeaders(settings.userAgent, validators), redirect: 'manual', signal, dispatcher: agent });
      const redirect = res.status >= 300 && res.status < 400 && res.status !== 304;
      if (redirect) await res.body?.cancel();
      if (redirect || res.status === 304) return { res, body: '' };
      await checkResponse(res, url, accept);
      return { res, body: await readBody(res, url, settings.maxBytes) };
    } catch (e) {
      throw asFetchError(e, url, signal, settings.timeoutMs);
    }
  }

  const robots = createRobots({ userAgent: settings.userAgent, get: (u) => paced(u.host, settings.minDelayMs, () => once(u, ACCEPT.robots)) });

  return {
    /**
     * GETs `href`, following redirects by hand. Resolves with the body (200) or 304.
     * @example await fetcher.get('https://example.org/feed.xml', ACCEPT.feed, { etag: '"abc"' })
     * @throws FetchError (refused address, robots.txt, timeout, size, content type, HTTP status).
     */
    async get(href: string, accept: RegExp, validators?: Validators): Promise<Fetched> {
      let url = new URL(href);
      for (let hop = 0; ; hop++) {
        checkUrl(url, settings);
        const rules = await robots.rules(url);
        if (!rules.allowed(url.href)) throw new FetchError(`robots.txt of ${url.host} does not allow ${url.pathname}`, true);
        const delay = Math.max(settings.minDelayMs, Math.min(rules.crawlDelayMs, 60_000));
        const current = url;
        // Validators belong to the url they were given for, not to a redirect's target.
        const { res, body } = await paced(url.host, delay, () => once(current, accept, hop === 0 ? validators : undefined));
        const done = fetched(res, url, body);
        if (done) return done;
        const location = res.headers.get('location');
        if (!location) throw new FetchError(`${url.href} redirected without a Location`, true);
        if (hop >= settings.maxRedirects) throw new FetchError(`${href} redirected more than FETCH_MAX_REDIRECTS (${settings.maxRedirects}) times`, true);
        url = new URL(location, url);
      }
    },
    close: () => agent.close(),
  };
}

export type Fetcher = ReturnType<typeof createFetcher>;
