/**
 * generate.*: answers that belong to no conversation (the local API). Not built yet: every
 * procedure answers 'unavailable' until the engine side lands (issue 15).
 */
import { BurrowError } from '../../shared/errors';
import type { Handlers } from '../../shared/router';

export type GenerateProcedure = 'generate.chat' | 'generate.text' | 'generate.cancel' | 'generate.embed';

export function generateHandlers(): Pick<Handlers, GenerateProcedure> {
  const unavailable = (): never => {
    throw new BurrowError('refused', 'This Burrow cannot answer outside a conversation yet.');
  };
  return { 'generate.chat': unavailable, 'generate.text': unavailable, 'generate.cancel': unavailable, 'generate.embed': unavailable };
}
