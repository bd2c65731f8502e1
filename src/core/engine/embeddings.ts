/** Embedding vectors for a list of texts, with token counts from the same model's tokenizer. */
import type { LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { BurrowError } from '../../shared/errors';

export interface Embedded {
  model: { path: string; name: string };
  vectors: number[][];
  promptTokens: number;
}

/** The most tokens one text may have: the embedding context's size. */
export const EMBEDDING_CONTEXT_CAP = 4096;

export async function embedWith(context: LlamaEmbeddingContext, model: LlamaModel, texts: readonly string[], info: Embedded['model'], contextSize: number): Promise<Embedded> {
  const vectors: number[][] = [];
  let promptTokens = 0;
  for (const text of texts) {
    const tokens = model.tokenize(text);
    if (tokens.length === 0) throw new BurrowError('invalid_input', 'An empty text cannot be embedded.');
    if (tokens.length > contextSize) {
      throw new BurrowError('invalid_input', `A text is ${tokens.length} tokens long; this model embeds at most ${contextSize} at once.`);
    }
    promptTokens += tokens.length;
    const embedding = await context.getEmbeddingFor(tokens);
    vectors.push([...embedding.vector]);
  }
  return { model: info, vectors, promptTokens };
}
