import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMPORT_DIR, ModelImports, safeModelFileName } from '../../../src/core/models/model-import';
import { BurrowError } from '../../../src/shared/errors';

describe('the name a dropped model gets', () => {
  it('keeps a plain name and strips folders and unsafe characters', () => {
    expect(safeModelFileName('tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf')).toBe('tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf');
    expect(safeModelFileName('../../etc/passwd.gguf')).toBe('passwd.gguf');
    expect(safeModelFileName('C:\\Users\\me\\model.GGUF')).toBe('model.gguf');
    expect(safeModelFileName('.hidden.gguf')).toBe('hidden.gguf');
    expect(safeModelFileName('a<b>:c|d?.gguf')).toBe('a_b__c_d_.gguf');
    expect(safeModelFileName('.gguf')).toBe('model.gguf');
    expect(safeModelFileName(`${'x'.repeat(300)}.gguf`)).toHaveLength(185);
  });

  it('refuses anything that is not a .gguf file', () => {
    for (const name of ['notes.pdf', 'model.gguf.exe', 'model', '']) {
      expect(() => safeModelFileName(name)).toThrow(BurrowError);
    }
  });
});

describe('leftovers of an earlier run', () => {
  it('are deleted when stale, and a recent one (another Burrow importing) is left alone', async () => {
    const modelsDir = mkdtempSync(join(tmpdir(), 'burrow-import-'));
    const tempDir = join(modelsDir, IMPORT_DIR);
    mkdirSync(tempDir);
    writeFileSync(join(tempDir, 'old.part'), 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(join(tempDir, 'old.part'), hourAgo, hourAgo);
    writeFileSync(join(tempDir, 'fresh.part'), 'x');
    const imports = new ModelImports({ modelsDir, idleTimeoutMs: 60_000 });
    // begin() waits for the clean-up.
    await imports.begin('ok.gguf', 1);
    expect(existsSync(join(tempDir, 'old.part'))).toBe(false);
    expect(existsSync(join(tempDir, 'fresh.part'))).toBe(true);
    await imports.dispose();
    rmSync(modelsDir, { recursive: true, force: true });
  });
});
