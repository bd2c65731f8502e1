import type { EngineSettings } from './types';

/**
 * Engine settings from the environment, for every face (app, CLI, browser host):
 * BURROW_THREADS (a number), BURROW_GPU ("off" forces CPU), BURROW_CONTEXT_SIZE (tokens),
 * BURROW_FLASH_ATTENTION ("on"/"off") and BURROW_KV_CACHE ("f16"/"q8_0").
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
  const flash = env.BURROW_FLASH_ATTENTION?.trim().toLowerCase();
  if (flash === 'on' || flash === 'off') settings.flashAttention = flash === 'on';
  const kv = env.BURROW_KV_CACHE?.trim().toLowerCase();
  if (kv === 'f16' || kv === 'q8_0') settings.kvCacheType = kv;
  return settings;
}

function positiveInt(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  const parsed = Number(value);
  return parsed >= 1 && parsed <= 1_000_000 ? parsed : undefined;
}
