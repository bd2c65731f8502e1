/**
 * The status an answer is saved with, by how its generation ended. No zod here, so the renderer
 * imports it without bundling a schema library.
 */
import type { GenerationEndReason, MessageStatus } from './contract';

export const END_STATUS = { done: 'complete', cancelled: 'cancelled', error: 'error' } as const satisfies Record<GenerationEndReason, MessageStatus>;
