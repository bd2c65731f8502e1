/**
 * generate.*: answers that belong to no conversation (the local API's chat completions,
 * completions and embeddings), through DirectGenerations.
 */
import type { Handlers } from '../../shared/router';
import type { DirectGenerations } from '../chat/direct-generations';

export type GenerateProcedure = 'generate.chat' | 'generate.text' | 'generate.cancel' | 'generate.embed';

export function generateHandlers(direct: DirectGenerations): Pick<Handlers, GenerateProcedure> {
  return {
    'generate.chat': ({ messages, options, saveAs }) => direct.chat(messages, options, saveAs),
    'generate.text': ({ prompt, options }) => direct.text(prompt, options),
    'generate.cancel': ({ generationId }) => ({ cancelled: direct.cancel(generationId) }),
    'generate.embed': ({ texts, modelPath }) => direct.embed(texts, modelPath),
  };
}
