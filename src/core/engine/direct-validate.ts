/**
 * The checks a direct answer's request can have before it is queued, so a caller hears
 * invalid_input from the call itself (the server's 400), not from the stream's end.
 */
import type { DirectOptions } from '../../shared/schemas/generate';
import { BurrowError } from '../../shared/errors';
import { toDirectHistory } from './direct-history';
import { unsupportedSchema } from './json-schema-support';
import type { DirectInput } from './types';

const invalid = (message: string): BurrowError => new BurrowError('invalid_input', message);

export const FORCED_TOOL_CALL = "Burrow's engine cannot force the model to call a tool: use tool_choice 'auto' (the model decides) or 'none'.";

/** Throws invalid_input naming the first problem; returns whether tools are offered to the model. */
export function validateDirect(input: DirectInput, options: DirectOptions): { offersTools: boolean } {
  if (input.kind === 'chat') toDirectHistory(input.messages);
  const format = options.responseFormat;
  if (format?.type === 'json_schema') {
    const problem = unsupportedSchema(format.schema);
    if (problem !== null) throw invalid(`Burrow cannot enforce this JSON schema: ${problem}.`);
  }
  const tools = options.tools ?? [];
  const choice = options.toolChoice ?? 'auto';
  if (choice === 'required' || typeof choice === 'object') {
    if (tools.length === 0) throw invalid('tool_choice asks for a tool call, but no tools were given.');
    throw invalid(FORCED_TOOL_CALL);
  }
  const offersTools = choice === 'auto' && tools.length > 0;
  if (offersTools && format !== undefined && format.type !== 'text') throw invalid('A JSON response format cannot be combined with tools: pass one or the other.');
  const names = new Set<string>();
  for (const tool of tools) {
    if (names.has(tool.name)) throw invalid(`Two tools are named "${tool.name}".`);
    names.add(tool.name);
    const params = toolParameters(tool.parameters);
    const problem = params === undefined ? null : unsupportedSchema(params, `the parameters of "${tool.name}"`);
    if (problem !== null) throw invalid(`Burrow cannot use the tool "${tool.name}": ${problem}.`);
  }
  return { offersTools };
}

/** A tool's parameters schema; an empty one (`{}`, as some clients send for "no parameters") is none. */
export function toolParameters(parameters: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  return parameters === undefined || Object.keys(parameters).length === 0 ? undefined : parameters;
}
