/**
 * One error type for the whole app. Each code has one HTTP status; the server maps it in one
 * place (server/errors.ts), so handlers just throw. Messages name the module ("store: …") and say
 * what to do; they never carry file paths or stack frames (those go to the log as `cause`).
 */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  /** Another writer changed the same data first: send the change again. */
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  /** The client went away or cancelled; nobody reads the status, the log does. */
  cancelled: 499,
  internal: 500,
  /** Settings that fail validation at start-up. */
  bad_config: 500,
  /** The work queue is full or the server is starting or stopping. */
  unavailable: 503,
  /** No answer within REQUEST_TIMEOUT_MS. */
  timeout: 503,
  /** The embedding model is missing or damaged. */
  model_unavailable: 503,
  /** The index or database cannot be read or written as it is. */
  store_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** The request field at fault, when one is (the OpenAI-compatible API reports it as `param`). */
  readonly param?: string;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; param?: string } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    if (options.param) this.param = options.param;
  }
}
