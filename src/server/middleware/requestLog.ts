/**
 * Structured request logs (pino-http) and a request id on every response (`X-Request-Id`).
 * A client's own id is kept when it looks like an id, so logs can be joined across services;
 * anything else is replaced, so a header cannot inject text into the logs.
 * Questions are private by default: only with `logQuestions` does the log line carry them.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The incoming `X-Request-Id` when it is 1-128 characters of [A-Za-z0-9._:-], else a fresh UUID. */
export function requestId(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SANE_ID.test(incoming) ? incoming : randomUUID();
}

/** @example app.use(requestLog({ logger: pino({ level: 'info' }), logQuestions: false })) */
export function requestLog(opts: { logger: Logger; logQuestions: boolean }): RequestHandler {
  const { logQuestions } = opts;
  return pinoHttp({
    logger: opts.logger,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const id = requestId(req.headers['x-request-id']);
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // Only what is needed to follow a request: headers can hold tokens, bodies hold questions.
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url.length > 300 ? `${req.url.slice(0, 300)}…` : req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    // Evaluated again when the response ends, by which time the JSON body has been parsed.
    customProps: (req: IncomingMessage) => {
      const question = (req as IncomingMessage & { body?: { question?: unknown } }).body?.question;
      return logQuestions && typeof question === 'string' ? { question: question.slice(0, 2000) } : {};
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, err?: Error) =>
      err || (res.statusCode >= 500 && res.statusCode !== 503) ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
  }) as unknown as RequestHandler;
}
