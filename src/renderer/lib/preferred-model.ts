import type { Engine } from './engine.svelte';
import type { Library } from './library.svelte';

/**
 * No model is loaded, loading or coming back after a crash, and the library has one Burrow
 * loads without asking (`library.preferred`): typing or starting a chat loads it.
 */
export function willLoadPreferred(engine: Engine, library: Library): boolean {
  return engine.known && engine.status.model === null && !engine.busy && !engine.stopped && !engine.opening && library.preferred !== null;
}
