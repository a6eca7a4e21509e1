/** The one place errors become HTTP responses: `{ error: { code, message } }`, never a stack trace. */
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';
import { timedOut } from './middleware/timeLimit.js';

export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('not_found', `no route for ${req.method} ${req.path}`));
};

const isJson = (body: unknown): boolean => {
  if (typeof body !== 'string') return false;
  try {
    JSON.parse(body);
    return true;
  } catch {
    return false;
  }
};

/** Body-parser and other middleware errors carry `type`/`status`; give them our codes. */
function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; message?: string; limit?: number };
  if (e?.type === 'entity.too.large') return new AppError('payload_too_large', `request: body is larger than the limit of ${e.limit} bytes`);
  if (e?.type === 'entity.parse.failed') {
    // The strict parser also refuses JSON that is not an object or array (`"text"`, `null`, `42`): say so, not "invalid".
    return new AppError(
      'bad_request',
      isJson((e as { body?: unknown }).body) ? 'request: the body must be a JSON object ({...}), not a bare value' : 'request: body is not valid JSON',
    );
  }
  if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') return new AppError('unsupported_media_type', `request: ${e.message}`);
  if (e?.status === 400 || e?.status === 413 || e?.status === 415) {
    const code = e.status === 413 ? 'payload_too_large' : e.status === 415 ? 'unsupported_media_type' : 'bad_request';
    return new AppError(code, `request: ${e.message ?? 'bad request'}`);
  }
  return new AppError('internal', 'internal error', { cause: err });
}

/** OpenAI's error `type` for each status, so OpenAI clients raise their matching exception. */
function openaiType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/**
 * Marks what it is mounted in front of (the OpenAI-compatible API, /v1) as answering errors in
 * OpenAI's shape `{ error: { message, type, param, code } }`, which its clients parse; mounted
 * before the guards, so their 401 and 429 come in that shape too.
 */
export const openaiErrors: RequestHandler = (_req, res, next) => {
  res.locals.errorShape = 'openai';
  next();
};

/** Writes the one error shape (OpenAI's where `openaiErrors` marked the request). A busy server (503) tells the client when to come back. */
export function sendError(res: Response, err: AppError): void {
  if (err.status === 503 && !res.getHeader('Retry-After')) res.set('Retry-After', '1');
  if (res.locals.errorShape === 'openai') {
    res.status(err.status).json({ error: { message: err.message, type: openaiType(err.status), param: err.param ?? null, code: err.code } });
    return;
  }
  res.status(err.status).json({ error: errorBody(err) });
}

/** The error as the archive's own API writes it: in a JSON body's `error`, and as an SSE `error` event. */
export const errorBody = (err: AppError) => ({ code: err.code, message: err.message });

/** Logs an unexpected error with the request's id (pino-http set it); the client sees only "internal error". */
export const logInternal = (logger: Logger, err: unknown, req: Request) => logger.error({ err, reqId: req.id }, 'request failed');

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // A handler finishing after its time limit answered finds the response sent: expected, not logged.
    if (res.headersSent && timedOut(res)) return;
    const app = toAppError(err);
    // The timed-out handler is still running on this request; the client gets a fresh connection
    // for its next one instead of a socket the late handler may still write to and break.
    if (timedOut(res)) res.set('Connection', 'close');
    if (app.code === 'internal') logInternal(logger, err, req);
    if (res.headersSent) {
      res.end();
      return;
    }
    sendError(res, app);
  };
}
