import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { engineSettingsFromEnv } from '../../../src/core/engine/settings-env';
import { chooseThreads, parseCpuMax, TINY_MODEL_BYTES, usableCores } from '../../../src/core/engine/threads';

describe('thread choice', () => {
  it('reads the container CPU quota (cgroup v2 cpu.max)', () => {
    expect(parseCpuMax('max 100000')).toBeNull();
    expect(parseCpuMax('200000 100000\n')).toBe(2);
    expect(parseCpuMax('150000 100000')).toBe(2);
    expect(parseCpuMax('50000 100000')).toBe(1);
    expect(parseCpuMax(null)).toBeNull();
    expect(parseCpuMax('garbage')).toBeNull();
  });

  it('never uses more cores than the quota or the affinity grant', () => {
    expect(usableCores(() => '100000 100000')).toBe(1);
    expect(usableCores(() => null)).toBe(availableParallelism());
    expect(usableCores(() => `${(availableParallelism() + 8) * 100000} 100000`)).toBe(availableParallelism());
  });

  it('defaults to every usable core for real models, one for tiny ones, and caps requests', () => {
    expect(chooseThreads({ modelBytes: 700_000_000, available: 2 })).toBe(2);
    expect(chooseThreads({ modelBytes: TINY_MODEL_BYTES - 1, available: 2 })).toBe(1);
    expect(chooseThreads({ requested: 4, modelBytes: 700_000_000, available: 2 })).toBe(2);
    expect(chooseThreads({ requested: 0, modelBytes: 700_000_000, available: 2 })).toBe(1);
  });
});

describe('engine settings from the environment', () => {
  it('reads threads, GPU and context size, ignoring bad values', () => {
    expect(engineSettingsFromEnv({ BURROW_THREADS: '2', BURROW_GPU: 'off', BURROW_CONTEXT_SIZE: '4096' } as NodeJS.ProcessEnv)).toEqual({ threads: 2, gpu: false, contextSize: 4096 });
    expect(engineSettingsFromEnv({ BURROW_THREADS: 'lots', BURROW_GPU: 'auto', BURROW_CONTEXT_SIZE: '-5' } as NodeJS.ProcessEnv)).toEqual({});
    expect(engineSettingsFromEnv({} as NodeJS.ProcessEnv)).toEqual({});
  });
});
