/**
 * Serves the contract: every input is parsed from `unknown`, errors travel as values.
 * Transports (Electron IPC, loopback WebSocket, in-process) only move (name, input).
 */
import type { z } from 'zod';
import {
  isProcedureName,
  procedures,
  type ParsedInput,
  type ProcedureName,
  type ProcedureOutput,
} from './contract';
import { toErrorValue, type Result } from './errors';

export type Handlers = {
  [K in ProcedureName]: (input: ParsedInput<K>) => Promise<ProcedureOutput<K>> | ProcedureOutput<K>;
};

export interface Router {
  call(name: unknown, input: unknown): Promise<Result<unknown>>;
}

export function formatZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.map(String).join('.') : 'input';
      return `${field}: ${issue.message}`;
    })
    .join('; ');
}

export function createRouter(handlers: Handlers, options: { onInternalError?: (error: unknown) => void } = {}): Router {
  return {
    async call(name, input) {
      if (!isProcedureName(name)) {
        return { ok: false, error: { code: 'unknown_procedure', message: `Unknown procedure: ${String(name).slice(0, 100)}` } };
      }
      const parsed = procedures[name].input.safeParse(input);
      if (!parsed.success) {
        return { ok: false, error: { code: 'invalid_input', message: `Invalid input for ${name}: ${formatZodError(parsed.error)}` } };
      }
      try {
        const handler = handlers[name] as (input: unknown) => unknown;
        const value = await handler(parsed.data);
        return { ok: true, value };
      } catch (error) {
        const value = toErrorValue(error);
        if (value.code === 'internal') options.onInternalError?.(error);
        return { ok: false, error: value };
      }
    },
  };
}
