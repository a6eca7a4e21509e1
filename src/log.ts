/**
 * The one logger: pino, on stderr (stdout is left to a command's own output, such as an answer).
 * JSON lines for log collectors; plain lines when stderr is a terminal, for the person reading.
 * Components log through a child: `log.child({ component: 'boot' })`.
 *
 * LOG_LEVEL sets the level of the request and error logs. What a command says to the person who
 * ran it ("listening on …", ingest progress) is its output, not a diagnostic: `cliLogger` logs it
 * at info whatever LOG_LEVEL says.
 */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

interface Entry {
  level: number;
  msg?: string;
  err?: { message?: string };
  req?: { method?: string; url?: string };
  res?: { statusCode?: number };
  responseTime?: number;
}

/**
 * One line per entry: the message, a request's method, URL, status and time, an error's message.
 * Hand-written rather than pino-pretty: a terminal needs only these few fields, not a dump of
 * every key, and this stays synchronous, so the last line is out before `process.exit`.
 */
export function plainLines(out: { write(text: string): unknown }): DestinationStream {
  return {
    write(line: string) {
      const e = JSON.parse(line) as Entry;
      const level = e.level >= 50 ? 'error: ' : e.level >= 40 ? 'warning: ' : '';
      const request = e.req && e.res ? `${e.req.method} ${e.req.url} ${e.res.statusCode} ${e.responseTime ?? '?'} ms` : '';
      const parts = [e.msg, request, e.err?.message].filter((p) => p && p !== 'request completed');
      out.write(`${level}${parts.join(': ')}\n`);
    },
  };
}

/** The root logger at `level`; by default to stderr, synchronously, as JSON or plain lines (TTY). */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const dest = destination ?? (process.stderr.isTTY ? plainLines(process.stderr) : pino.destination({ dest: 2, sync: true }));
  return pino({ level }, dest);
}

/** The child a command speaks through: at info even when LOG_LEVEL silences the rest. */
export const cliLogger = (root: Logger, component: string): Logger => root.child({ component }, { level: 'info' });

/** Writes nothing: for tests and for callers that do not want to hear. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
