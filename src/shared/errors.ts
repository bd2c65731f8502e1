/** Error codes a user (or a script) can meet. Every error that crosses a process boundary carries one. */
export const errorCodes = [
  'invalid_input',
  'unknown_procedure',
  'not_found',
  'no_model',
  'model_invalid',
  'model_load_failed',
  /** The model would not fit in this computer's memory; models.load with `force` tries anyway. */
  'insufficient_memory',
  'engine_stopped',
  'engine_error',
  /** A document Burrow cannot read (damaged, password-protected, a zip bomb, too slow to read); the message says which. */
  'document_unreadable',
  'busy',
  'refused',
  'storage_error',
  'internal',
] as const;

export type ErrorCode = (typeof errorCodes)[number];

export interface ErrorValue {
  code: ErrorCode;
  message: string;
}

/** Thrown inside core handlers; the router turns it into `{ ok: false, error }`. */
export class BurrowError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BurrowError';
    this.code = code;
  }
  toValue(): ErrorValue {
    return { code: this.code, message: this.message };
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorValue };

export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${JSON.stringify(value)}`);
}

/** Turns anything thrown into an error value without leaking stack traces to the UI. */
export function toErrorValue(error: unknown): ErrorValue {
  if (error instanceof BurrowError) return error.toValue();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message: `Something went wrong inside Burrow: ${message}` };
}
