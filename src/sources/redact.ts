/**
 * A source url may carry a secret: `https://user:pass@host/feed?apikey=…`. It is kept as given (the
 * fetch needs it) but every answer, state message and log line shows it redacted: the user part
 * and the values of query parameters whose names look like secrets become `***`.
 */

/** Query parameter names that hold secrets (`apikey`, `access_token`, `sig`, `X-Amz-Signature`, …). */
const SECRET_PARAM = /(key|token|secret|pass(word)?|pwd|auth|sig(nature)?|session|credential)$/i;
const MASK = '***';

/** @example redactUrl('https://u:p@news.example/rss?apikey=1&page=2') // 'https://***@news.example/rss?apikey=***&page=2' */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url;
  }
  let changed = false;
  if (u.username || u.password) {
    u.username = MASK;
    u.password = '';
    changed = true;
  }
  for (const name of [...new Set(u.searchParams.keys())]) {
    if (SECRET_PARAM.test(name.replace(/[-_.]/g, ''))) {
      u.searchParams.set(name, MASK);
      changed = true;
    }
  }
  return changed ? u.href.replaceAll(encodeURIComponent(MASK), MASK) : url;
}

/** Every http(s) url inside a message, redacted. */
export const redactText = (text: string): string => text.replace(/https?:\/\/[^\s"'<>]+/gi, (m) => redactUrl(m));
