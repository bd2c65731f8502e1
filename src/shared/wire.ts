/**
 * Messages of the loopback WebSocket transport (browser host). The transport only moves
 * (procedure, input) and (event, payload); the router does all validation.
 */
import { z } from 'zod';

export const ClientMessage = z.strictObject({
  type: z.literal('invoke'),
  id: z.number().int().nonnegative(),
  name: z.string().max(200),
  input: z.unknown(),
});
export type ClientMessage = z.infer<typeof ClientMessage>;

export type ServerMessage =
  | { type: 'result'; id: number; result: unknown }
  | { type: 'event'; name: string; payload: unknown };

export { MAX_WIRE_BYTES } from './limits';
