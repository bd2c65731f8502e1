import { describe, expect, it } from 'vitest';
import { debugEngineLog } from '../../../src/core/engine/engine-log';

describe('debugEngineLog', () => {
  it('writes every engine line, with its level, when BURROW_DEBUG=1', () => {
    const lines: string[] = [];
    const log = debugEngineLog({ BURROW_DEBUG: '1' }, (line) => lines.push(line));
    log?.('debug', 'restored 1673 tokens from the saved state in 41 ms');
    log?.('warn', 'could not save the state');
    expect(lines).toEqual(['[burrow engine debug] restored 1673 tokens from the saved state in 41 ms\n', '[burrow engine warn] could not save the state\n']);
  });

  it('is off otherwise, so the command line and the app print nothing extra', () => {
    expect(debugEngineLog({})).toBeUndefined();
    expect(debugEngineLog({ BURROW_DEBUG: '0' })).toBeUndefined();
  });
});
