/**
 * SECURITY item 9 through the real core's router: documents.add reads only files the host
 * granted (drop, open dialog, command line). Every other path — secrets, system files, `..`
 * paths, links to them, devices, FIFOs, folders, a granted file swapped for a link — is refused
 * before anything reads it: the extraction process is never even started.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeDocumentWorker } from '../../src/core/process/node-spawn';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { tinyModelPath } from '../support/tiny-model';

let dataDir: string;
let files: string;
let assistant: Assistant;
let workersStarted: number;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-doc-access-'));
  files = join(dataDir, 'files');
  mkdirSync(files);
  workersStarted = 0;
  const spawnWorker = spawnNodeDocumentWorker({ fromSource: true });
  assistant = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine({ fromSource: true }),
    spawnDocumentWorker: () => {
      workersStarted += 1;
      return spawnWorker();
    },
    autoLoadLastModel: false,
    pickModelFile: () => Promise.resolve(tinyModelPath()),
  });
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

async function refusal(path: string): Promise<string> {
  const result = await assistant.router.call('documents.add', { path });
  expect(result.ok, `${path} was read`).toBe(false);
  return result.ok ? '' : result.error.code;
}

describe('documents.add reads only what the user handed over', () => {
  it('refuses secrets, system files, relative and ".." paths, links, devices, FIFOs and folders, before any read', async () => {
    const linkToPasswd = join(files, 'notes.txt');
    symlinkSync('/etc/passwd', linkToPasswd);
    const linkToFolder = join(files, 'home.txt');
    symlinkSync(homedir(), linkToFolder);
    const fifo = join(files, 'pipe.txt');
    execFileSync('mkfifo', [fifo]);
    const folder = join(files, 'folder.pdf');
    mkdirSync(folder);

    const refused: Record<string, string> = {
      '/etc/passwd': await refusal('/etc/passwd'),
      '~/.ssh/id_rsa': await refusal(join(homedir(), '.ssh', 'id_rsa')),
      '~ literally': await refusal('~/.ssh/id_rsa'),
      'relative ../..': await refusal('../../etc/passwd'),
      'absolute with ..': await refusal(`${files}/../../../etc/passwd`),
      'link to /etc/passwd': await refusal(linkToPasswd),
      'link to a folder': await refusal(linkToFolder),
      '/dev/zero': await refusal('/dev/zero'),
      '/proc/self/environ': await refusal('/proc/self/environ'),
      FIFO: await refusal(fifo),
      folder: await refusal(folder),
      'the data folder': await refusal(dataDir),
      'the database': await refusal(join(dataDir, 'burrow.sqlite')),
    };
    // not_found only where nothing exists at that path; everything that exists is refused.
    expect(refused).toEqual({
      '/etc/passwd': 'refused',
      '~/.ssh/id_rsa': expect.stringMatching(/^(refused|not_found)$/),
      '~ literally': 'refused',
      'relative ../..': 'refused',
      'absolute with ..': 'refused',
      'link to /etc/passwd': 'refused',
      'link to a folder': 'refused',
      '/dev/zero': 'refused',
      '/proc/self/environ': 'refused',
      FIFO: 'refused',
      folder: 'refused',
      'the data folder': 'refused',
      'the database': expect.stringMatching(/^(refused|not_found)$/),
    });
    // A path with a NUL byte is refused by the contract's schema or by the access check.
    const nul = await assistant.router.call('documents.add', { path: `${files}/a\0.txt` });
    expect(nul.ok).toBe(false);

    expect(workersStarted).toBe(0);
    expect(assistant.conversations.list()).toEqual([]);
  });

  it('a granted file is read; swapped for a link to /etc/passwd afterwards, it is refused', async () => {
    const granted = join(files, 'letter.txt');
    writeFileSync(granted, 'Dear reader, the moss is green.');
    const real = assistant.grantDocument(granted);
    const read = await assistant.router.call('documents.add', { path: real });
    expect(read.ok).toBe(true);
    const started = workersStarted;

    renameSync(granted, join(files, 'moved.txt'));
    symlinkSync('/etc/passwd', granted);
    expect(await refusal(granted)).toBe('refused');
    // A sibling of a granted file is not granted.
    writeFileSync(join(files, 'other.txt'), 'not handed over');
    expect(await refusal(join(files, 'other.txt'))).toBe('refused');
    expect(workersStarted).toBe(started);
    expect(assistant.conversations.list()).toHaveLength(1);
  });

  it('the host cannot be talked into granting a folder, a device or a FIFO either', () => {
    const fifo = join(files, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const path of [files, '/dev/zero', fifo, 'relative.txt', `${files}/../files/x.txt`]) {
      expect(() => assistant.grantDocument(path), path).toThrow();
    }
  });
});
