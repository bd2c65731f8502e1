import type { EngineSettings } from './types';

/**
 * Engine settings from the environment, for every face (app, CLI, browser host):
 * BURROW_THREADS (a number), BURROW_GPU ("off" forces CPU), BURROW_CONTEXT_SIZE (tokens).
 * Bad values are ignored rather than failing start-up.
 */
export function engineSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): EngineSettings {
  const settings: EngineSettings = {};
  const threads = positiveInt(env.BURROW_THREADS);
  if (threads !== undefined) settings.threads = threads;
  const contextSize = positiveInt(env.BURROW_CONTEXT_SIZE);
  if (contextSize !== undefined) settings.contextSize = contextSize;
  const gpu = env.BURROW_GPU?.trim().toLowerCase();
  if (gpu === 'off' || gpu === 'false' || gpu === 'cpu') settings.gpu = false;
  return settings;
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const parsed = Number(value);
  return parsed >= 1 && parsed <= 1_000_000 ? parsed : undefined;
}
