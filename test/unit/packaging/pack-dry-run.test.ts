/**
 * A real electron-builder run (`--dir`, this machine's Linux arch) with the project's
 * configuration, offline: a stand-in Electron binary (only the fuse wire of a real one) replaces
 * the Electron download, and the better-sqlite3 rebuild is skipped (it needs Electron's headers).
 * Everything else is electron-builder's own doing — file selection, ASAR, unpacking, extra
 * resources, the afterPack check and the fuse flip — and the result is read back.
 *
 * Linux only: the packaging of another system needs its Electron layout (an .app bundle, an .exe).
 */
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../../src/core/process/project-root';

const root = findProjectRoot();
const require = createRequire(import.meta.url);
const built = existsSync(join(root, 'out', 'main', 'index.js'));
const skipReason =
  process.platform !== 'linux'
    ? `Packaging dry run skipped: it packs for Linux, and this is ${process.platform}.`
    : !built
      ? 'Packaging dry run skipped: out/ has no build yet. Run `npm run build` (npm test does, before the unit tests).'
      : undefined;
if (skipReason !== undefined) console.log(skipReason);

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'; // @electron/fuses looks for it in the binary
// Electron's defaults: RunAsNode on, cookie encryption off, NODE_OPTIONS on, --inspect on,
// ASAR integrity off, only-from-ASAR off, V8 snapshot off, file:// privileges on.
const ELECTRON_DEFAULT_WIRE = '10110001';

describe.skipIf(skipReason !== undefined)('electron-builder --dir with the project configuration', () => {
  const work = mkdtempSync(join(tmpdir(), 'burrow-pack-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('packs the app, unpacks the natives, ships the resources and flips the fuses', () => {
    const electronDist = join(work, 'electron');
    mkdirSync(join(electronDist, 'resources'), { recursive: true });
    writeFileSync(join(electronDist, 'electron'), Buffer.concat([Buffer.from('stand-in for the Electron binary\0'), Buffer.from(SENTINEL), Buffer.from([1, ELECTRON_DEFAULT_WIRE.length]), Buffer.from(ELECTRON_DEFAULT_WIRE)]));
    chmodSync(join(electronDist, 'electron'), 0o755);
    writeFileSync(join(electronDist, 'version'), (require('electron/package.json') as { version: string }).version);
    writeFileSync(join(electronDist, 'LICENSE'), 'MIT');
    const output = join(work, 'dist');

    const cli = join(require.resolve('electron-builder/package.json'), '..', 'cli.js');
    const run = spawnSync(
      process.execPath,
      [
        cli,
        '--config',
        'electron-builder.config.mjs',
        '--linux',
        'dir',
        `--${process.arch}`,
        '-c.npmRebuild=false',
        `-c.electronDist=${electronDist}`,
        `-c.directories.output=${output}`,
        '-c.afterPack=./test/unit/packaging/check-packed-natives.mjs',
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CSC_IDENTITY_AUTO_DISCOVERY: 'false' }, timeout: 240_000 },
    );
    expect(run.status, `electron-builder failed:\n${run.stdout}\n${run.stderr}`).toBe(0);

    const appDir = join(output, process.arch === 'x64' ? 'linux-unpacked' : `linux-${process.arch}-unpacked`);
    const resources = join(appDir, 'resources');
    const asar = require('@electron/asar') as { listPackage(archive: string): string[] };
    const packed = asar.listPackage(join(resources, 'app.asar')).map((path) => path.replaceAll('\\', '/'));
    const ownFiles = packed.filter((path) => path !== '/node_modules' && !path.startsWith('/node_modules/'));
    for (const file of ['/package.json', '/out/main/index.js', '/out/main/engine-worker.js', '/out/preload/index.cjs', '/out/renderer/index.html']) expect(ownFiles).toContain(file);
    expect(ownFiles.filter((path) => !/^\/(package\.json|out(\/(main|preload|renderer)(\/.*)?)?)$/.test(path)), 'nothing but the build and package.json').toEqual([]);
    expect(packed.filter((path) => /\.(gguf|map)$/.test(path))).toEqual([]);

    const unpacked = join(resources, 'app.asar.unpacked', 'node_modules');
    expect(readdirSync(join(unpacked, '@node-llama-cpp')).sort()).toEqual([`linux-${process.arch}`, `linux-${process.arch}-vulkan`].filter((name) => existsSync(join(root, 'node_modules', '@node-llama-cpp', name))));
    expect(existsSync(join(unpacked, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(true);
    expect(packed.some((path) => path.startsWith('/node_modules/@node-llama-cpp/') && !path.startsWith(`/node_modules/@node-llama-cpp/linux-${process.arch}`))).toBe(false);

    expect(readdirSync(join(resources, 'tray')).sort()).toEqual(['tray-dark.png', 'tray-dark@2x.png', 'tray-light.png', 'tray-light@2x.png', 'trayTemplate.png', 'trayTemplate@2x.png']);
    expect(existsSync(join(resources, 'icon.png'))).toBe(true);

    return getCurrentFuseWire(join(appDir, 'burrow')).then((wire) => {
      const state = (fuse: FuseV1Options) => String.fromCharCode(wire[fuse] as number);
      expect(state(FuseV1Options.RunAsNode)).toBe('0');
      expect(state(FuseV1Options.EnableCookieEncryption)).toBe('1');
      expect(state(FuseV1Options.EnableNodeOptionsEnvironmentVariable)).toBe('0');
      expect(state(FuseV1Options.EnableNodeCliInspectArguments)).toBe('0');
      expect(state(FuseV1Options.EnableEmbeddedAsarIntegrityValidation)).toBe('1');
      expect(state(FuseV1Options.OnlyLoadAppFromAsar)).toBe('1');
    });
  }, 300_000);
});
