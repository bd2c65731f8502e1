/**
 * SECURITY.md item 29: no answer reveals whether a path that was never granted exists. Through
 * the real router, every such path — missing, a file, a folder, a FIFO, a device, a link — gets
 * the same `refused`, word for word.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';

let dir: string;
let assistant: Assistant;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-oracle-'));
  assistant = createAssistant({ dataDir: join(dir, 'data'), spawnEngine: spawnNodeEngine(), pickModelFile: () => Promise.resolve(null) });
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Paths of every kind, none handed over; `ext` names them like the procedure expects. */
function ungranted(ext: string): string[] {
  const existing = join(dir, `real${ext}`);
  writeFileSync(existing, 'GGUF not really');
  const folder = join(dir, `folder${ext}`);
  mkdirSync(folder);
  const link = join(dir, `link${ext}`);
  symlinkSync(existing, link);
  const dangling = join(dir, `dangling${ext}`);
  symlinkSync(join(dir, 'nowhere'), dangling);
  const paths = [existing, folder, link, dangling, join(dir, `missing${ext}`), join(homedir(), '.ssh', 'id_rsa'), '/etc/passwd', `/etc/passwd${ext}`, `${dir}/../x${ext}`, `relative${ext}`, 'C:\\Windows\\win.ini'];
  if (process.platform !== 'win32') {
    const fifo = join(dir, `pipe${ext}`);
    execFileSync('mkfifo', [fifo]);
    paths.push(fifo, '/dev/zero');
  }
  return paths;
}

describe('paths never granted', () => {
  it('documents.add answers the same refusal for every one of them', async () => {
    const answers = new Set<string>();
    for (const path of ungranted('.txt')) {
      const result = await assistant.router.call('documents.add', { path });
      expect(result, path).toMatchObject({ ok: false, error: { code: 'refused' } });
      answers.add(JSON.stringify(result));
    }
    expect([...answers]).toHaveLength(1);
  });

  it('models.load (and the other model procedures) answer the same refusal for every one of them', async () => {
    const answers = new Set<string>();
    for (const path of [...ungranted('.gguf'), ...ungranted('.txt').map((path) => path.replace(/\.txt$/, '.bin'))]) {
      const result = await assistant.router.call('models.load', { path });
      expect(result, path).toMatchObject({ ok: false, error: { code: 'refused' } });
      answers.add(JSON.stringify(result));
    }
    expect([...answers]).toHaveLength(1);
  });

  it('a model handed over by a relative path (`burrow ask --model m.gguf`) is named by it again', () => {
    const file = join(dir, 'picked.gguf');
    writeFileSync(file, 'GGUF');
    const relativePath = relative(process.cwd(), file);
    expect(isAbsolute(relativePath)).toBe(false);
    const real = assistant.models.grant(relativePath);
    expect(assistant.models.authorize(relativePath)).toBe(real);
  });

  it('a file that was handed over still answers by what is there', async () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'hello');
    const granted = assistant.grantDocument(file);
    rmSync(file);
    const result = await assistant.router.call('documents.add', { path: granted });
    expect(result).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });
});
