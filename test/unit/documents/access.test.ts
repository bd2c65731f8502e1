/**
 * SECURITY item 9: the documents API reads only files the user handed over. Everything else —
 * secrets, system files, `..` paths, links to them, devices, FIFOs, folders — is refused by
 * path checks alone, before anything opens the file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DocumentAccess } from '../../../src/core/documents/document-access';

let dir: string;
let access: DocumentAccess;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-access-'));
  access = new DocumentAccess();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const refused = (path: string): void => {
  expect(() => access.authorize(path)).toThrow(expect.objectContaining({ code: 'refused', message: expect.stringMatching(/only reads documents you hand over/) }));
};

describe('document access', () => {
  it('allows a file that was handed over, by its real path, with its identity', () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'hello');
    const granted = access.grant(file);
    const authorized = access.authorize(file);
    expect(authorized).toMatchObject({ path: granted, fileName: 'notes.txt', identity: { size: 5 } });
  });

  it('refuses secrets and system files that were never handed over', () => {
    for (const path of [join(homedir(), '.ssh', 'id_rsa'), '/etc/passwd', '/etc/shadow']) {
      refused(path);
    }
  });

  it('refuses relative and ".." paths even when they lead to a granted file', () => {
    const file = join(dir, 'notes.txt');
    writeFileSync(file, 'hello');
    access.grant(file);
    refused(`${dir}/sub/../notes.txt`);
    refused('../../etc/passwd');
    refused('notes.txt');
    refused(`${dir}/../${dir.split('/').at(-1)}/notes.txt`);
  });

  it('refuses a link to a file that was not handed over, even when the link was', () => {
    const link = join(dir, 'innocent.txt');
    symlinkSync('/etc/passwd', link);
    refused(link);
    // Granting the link grants what it points to only if the user really chose it: here the
    // dialog returned the link, so its target is what they chose — but a different link is not.
    const other = join(dir, 'other.txt');
    symlinkSync(join(homedir(), '.ssh', 'id_rsa'), other);
    refused(other);
  });

  it('refuses devices, FIFOs and folders even when handed over, without opening them', () => {
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    expect(() => access.grant(folder)).toThrow(/is a folder/);
    if (process.platform !== 'win32') {
      expect(() => access.grant('/dev/zero')).toThrow(/not a regular file/);
      const fifo = join(dir, 'pipe.txt');
      execFileSync('mkfifo', [fifo]);
      // Opening a FIFO for reading would block until a writer appears: this returning at all shows it was not opened.
      expect(() => access.grant(fifo)).toThrow(/not a regular file/);
      refused(fifo);
    }
  });
});
