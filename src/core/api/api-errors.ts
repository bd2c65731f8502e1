/**
 * Errors in OpenAI's shape, `{ error: { message, type, param, code } }`, with the HTTP status
 * each one goes out with, and the core's error codes mapped onto them.
 */
import type { ErrorCode, ErrorValue } from '../../shared/errors';

export type ApiErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'server_error';

export interface OpenAiErrorBody {
  error: { message: string; type: ApiErrorType; param: string | null; code: string | null };
}

/** Thrown inside a route; the server answers it as it is. */
export class ApiError extends Error {
  readonly status: number;
  readonly type: ApiErrorType;
  readonly param: string | null;
  readonly code: string | null;
  /** Extra response headers (Retry-After on a 429). */
  readonly headers: Record<string, string>;

  constructor(status: number, type: ApiErrorType, message: string, options: { param?: string | null; code?: string | null; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.type = type;
    this.param = options.param ?? null;
    this.code = options.code ?? null;
    this.headers = options.headers ?? {};
  }

  body(): OpenAiErrorBody {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

export const invalidRequest = (message: string, param: string | null = null, code: string | null = null): ApiError =>
  new ApiError(400, 'invalid_request_error', message, { param, code });

/** Seconds a client is told to wait after a 429. */
export const RETRY_AFTER_SECONDS = 2;

export const tooManyRequests = (message: string): ApiError =>
  new ApiError(429, 'rate_limit_error', message, { code: 'rate_limit_exceeded', headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });

const STATUS_OF: Record<ErrorCode, [number, ApiErrorType]> = {
  invalid_input: [400, 'invalid_request_error'],
  unknown_procedure: [500, 'server_error'],
  not_found: [404, 'not_found_error'],
  no_model: [503, 'server_error'],
  model_invalid: [500, 'server_error'],
  model_load_failed: [500, 'server_error'],
  insufficient_memory: [500, 'server_error'],
  engine_stopped: [503, 'server_error'],
  engine_error: [500, 'server_error'],
  document_unreadable: [400, 'invalid_request_error'],
  busy: [429, 'rate_limit_error'],
  refused: [400, 'invalid_request_error'],
  storage_error: [500, 'server_error'],
  internal: [500, 'server_error'],
};

/** A core error (from the contract's client) as the API answers it. */
export function fromCoreError(error: ErrorValue | { code: string; message: string }): ApiError {
  const [status, type] = STATUS_OF[error.code as ErrorCode] ?? STATUS_OF.internal;
  const headers: Record<string, string> = status === 429 ? { 'Retry-After': String(RETRY_AFTER_SECONDS) } : {};
  return new ApiError(status, type, error.message, { code: status === 429 ? 'rate_limit_exceeded' : error.code, headers });
}
