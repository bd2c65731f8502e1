import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DocumentAccess } from '../../../src/core/documents/document-access';
import { WORKER_HEAP_MB } from '../../../src/core/process/process-env';
import { DOCUMENT_DIALOG, grantDroppedFile, grantDroppedPath, pickDocument, spawnUtilityDocumentWorker } from '../../../src/main/document-host';
import { utilityChannel, type UtilityChild, type UtilityForkOptions } from '../../../src/main/utility-process';

/** Stands in for Electron's UtilityProcess: an emitter with its postMessage and kill. */
class FakeUtility extends EventEmitter implements UtilityChild {
  pid: number | undefined = 4242;
  sent: unknown[] = [];
  kills = 0;
  postMessage(message: unknown): void {
    this.sent.push(message);
  }
  kill(): boolean {
    this.kills += 1;
    this.emit('exit', 9);
    return true;
  }
}

describe('the extraction process as a utilityProcess', () => {
  it('is forked from the worker bundle with the heap cap, as its own service', () => {
    const forks: Array<{ modulePath: string; args: string[]; options: UtilityForkOptions }> = [];
    const spawn = spawnUtilityDocumentWorker((modulePath, args, options) => {
      forks.push({ modulePath, args, options });
      return new FakeUtility();
    }, '/app/out/main/document-worker.js');
    const channel = spawn();
    expect(channel.pid).toBe(4242);
    expect(forks).toEqual([{ modulePath: '/app/out/main/document-worker.js', args: [], options: { serviceName: 'Burrow documents', execArgv: [`--max-old-space-size=${WORKER_HEAP_MB}`], stdio: 'ignore' } }]);
    // The supervisor starts a fresh one after a kill.
    spawn();
    expect(forks).toHaveLength(2);
  });

  it('passes messages both ways, reports the exit once (also to late listeners), and kills only a live process', () => {
    const child = new FakeUtility();
    const channel = utilityChannel(child);
    const received: unknown[] = [];
    channel.onMessage((message) => received.push(message));
    const exits: unknown[] = [];
    channel.onExit((info) => exits.push(info));
    channel.send({ type: 'extract', id: 1 });
    child.emit('message', { type: 'started', pid: 4242 });
    expect(child.sent).toEqual([{ type: 'extract', id: 1 }]);
    expect(received).toEqual([{ type: 'started', pid: 4242 }]);

    channel.kill();
    channel.kill();
    expect(child.kills).toBe(1);
    expect(exits).toEqual([{ code: 9, signal: null }]);
    channel.onExit((info) => exits.push(info));
    expect(exits).toHaveLength(2);
    // Nothing is posted to a process that is gone.
    channel.send({ type: 'extract', id: 2 });
    expect(child.sent).toHaveLength(1);
  });
});

describe('the Attach dialog', () => {
  it('asks for one document and answers its path, or null when cancelled', async () => {
    const asked: unknown[] = [];
    expect(await pickDocument((options) => (asked.push(options), Promise.resolve({ canceled: false, filePaths: ['/home/u/report.pdf'] })))).toBe('/home/u/report.pdf');
    expect(asked).toEqual([DOCUMENT_DIALOG]);
    expect(DOCUMENT_DIALOG.properties).toEqual(['openFile']);
    expect(await pickDocument(() => Promise.resolve({ canceled: true, filePaths: [] }))).toBeNull();
    expect(await pickDocument(() => Promise.resolve({ canceled: false, filePaths: [] }))).toBeNull();
  });
});

describe('grants for dropped files', () => {
  let dir: string;
  let access: DocumentAccess;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'burrow-grant-'));
    access = new DocumentAccess();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('grants a real file dropped on our window, and documents.add may then read it', () => {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, '%PDF-1.7');
    const granted = grantDroppedPath(true, file, (path) => access.grant(path));
    expect(granted).not.toBeNull();
    expect(access.authorize(granted ?? '').fileName).toBe('report.pdf');
  });

  it('grants a dropped file as a document by default or as an adapter, and nothing for an unknown kind', () => {
    const file = join(dir, 'my-adapter.gguf');
    writeFileSync(file, 'GGUF');
    const granted: string[] = [];
    const grants = { document: (path: string) => (granted.push(`document:${path}`), path), adapter: (path: string) => (granted.push(`adapter:${path}`), path) };
    expect(grantDroppedFile(true, file, undefined, grants)).toBe(file);
    expect(grantDroppedFile(true, file, 'adapter', grants)).toBe(file);
    for (const kind of ['model', 42, { kind: 'adapter' }, '']) expect(grantDroppedFile(true, file, kind, grants)).toBeNull();
    expect(grantDroppedFile(false, file, 'adapter', grants)).toBeNull();
    expect(granted).toEqual([`document:${file}`, `adapter:${file}`]);
  });

  it('answers null, granting nothing, for other senders, non-strings, relative paths, folders and devices', () => {
    const file = join(dir, 'report.pdf');
    writeFileSync(file, '%PDF-1.7');
    const link = join(dir, 'link.txt');
    symlinkSync(dir, link);
    const grants: string[] = [];
    const grant = (path: string): string => {
      const real = access.grant(path);
      grants.push(real);
      return real;
    };
    expect(grantDroppedPath(false, file, grant)).toBeNull();
    for (const path of [42, null, { path: file }, '', 'report.pdf', '../../etc/passwd', dir, link, '/dev/zero', 'x'.repeat(5000)]) {
      expect(grantDroppedPath(true, path, grant), String(path).slice(0, 40)).toBeNull();
    }
    expect(grants).toEqual([]);
    expect(() => access.authorize(file)).toThrow(/hand over/);
  });
});
