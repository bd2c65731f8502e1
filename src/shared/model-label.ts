/**
 * The model chip's label: the model's name, then the LoRA adapters applied to it by name
 * ("TinyLlama + my-adapter", "TinyLlama + a + b"). Plain TypeScript without zod, so the
 * renderer can import it (CSP).
 */
export function modelLabel(modelName: string, adapters: ReadonlyArray<{ name: string }> | undefined | null): string {
  const names = (adapters ?? []).map((adapter) => adapter.name.trim()).filter((name) => name.length > 0);
  return names.length === 0 ? modelName : `${modelName} + ${names.join(' + ')}`;
}
