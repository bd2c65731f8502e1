/**
 * Engine settings changed while Burrow runs (the settings view): which ones a loaded model can
 * take as they are, and which need it loaded again. Pure; EngineHost.updateSettings uses it.
 */
import type { EngineSettings, GenerateOptions } from './types';

/** Settings read while answering: a loaded model takes a change from its next answer. */
export const ANSWER_TIME_SETTINGS = ['systemPrompt', 'temperature', 'topP', 'maxTokens'] as const satisfies ReadonlyArray<keyof EngineSettings>;

/** Settings a model is loaded with: changing one means loading it again. */
export const LOAD_TIME_SETTINGS = ['threads', 'gpu', 'gpuLayers', 'contextSize', 'maxSessions', 'flashAttention', 'kvCacheType', 'stateDir', 'stateBudgetBytes', 'engineBuild'] as const satisfies ReadonlyArray<keyof EngineSettings>;

/**
 * `patch` over `current`: a key present with `undefined` goes back to the default (it is
 * removed), a key left out keeps its value.
 */
export function mergeEngineSettings(current: EngineSettings, patch: EngineSettings): EngineSettings {
  const next: Record<string, unknown> = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  return next as EngineSettings;
}

/** A patch split into what applies from the next answer and what the model is loaded with. */
export function splitEngineSettings(patch: EngineSettings): { answer: EngineSettings; load: EngineSettings } {
  const answer: Record<string, unknown> = {};
  const load: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(patch)) {
    if ((ANSWER_TIME_SETTINGS as readonly string[]).includes(key)) answer[key] = value;
    else load[key] = value;
  }
  return { answer: answer as EngineSettings, load: load as EngineSettings };
}

export function loadTimeSettingsDiffer(a: EngineSettings, b: EngineSettings): boolean {
  return LOAD_TIME_SETTINGS.some((key) => a[key] !== b[key]);
}

/**
 * Answer settings changed since start, as per-request options: the engine process keeps the
 * ones it was loaded with and falls back to them for any left out here. A conversation's own
 * settings are spread over these.
 */
export function answerDefaults(settings: EngineSettings): GenerateOptions {
  return {
    ...(settings.systemPrompt !== undefined ? { systemPrompt: settings.systemPrompt } : {}),
    ...(settings.temperature !== undefined ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== undefined ? { topP: settings.topP } : {}),
    ...(settings.maxTokens !== undefined ? { maxTokens: settings.maxTokens } : {}),
  };
}
