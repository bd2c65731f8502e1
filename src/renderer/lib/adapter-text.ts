/** LoRA adapters in words and numbers for the UI: the model chip's label and scales as the contract takes them. */
import { DEFAULT_ADAPTER_SCALE, MAX_ADAPTER_SCALE } from '../../shared/limits';

/** A scale as the contract takes it: 0..MAX_ADAPTER_SCALE, two decimals; anything unreadable is the default. */
export function clampScale(value: number): number {
  if (!Number.isFinite(value)) return DEFAULT_ADAPTER_SCALE;
  return Math.round(Math.min(MAX_ADAPTER_SCALE, Math.max(0, value)) * 100) / 100;
}

/**
 * The model chip's label: the model, then its adapters — one by name ("TinyLlama + my-adapter"),
 * several by count ("TinyLlama + 2 adapters").
 */
export function withAdapters(modelName: string, adapters: ReadonlyArray<{ name: string }> | null | undefined): string {
  const list = adapters ?? [];
  if (list.length === 0) return modelName;
  if (list.length === 1) return `${modelName} + ${list[0]?.name ?? ''}`;
  return `${modelName} + ${list.length} adapters`;
}
