#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .native/, leaving node_modules' Node build
// alone, so `npm test` (Node) and `npm start` (Electron) both work, in either order.
// Tries a prebuilt binary first (prebuild-install), then compiles (node-gyp with Electron headers).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

let electronVersion;
try {
  electronVersion = require('electron/package.json').version;
  require('electron'); // throws when the binary was not downloaded
} catch {
  console.error(
    'The Electron binary is not installed (was ELECTRON_SKIP_BINARY_DOWNLOAD set?).\n' +
      'Run `node node_modules/electron/install.js` with network access, then `npm start` again.\n' +
      'Without Electron you can still use the browser host (`npm run dev:web`) and the CLI (`npm run cli -- --help`).',
  );
  process.exit(1);
}

const target = join(root, '.native', `electron-${electronVersion}-${process.platform}-${process.arch}`, 'better_sqlite3.node');
if (existsSync(target)) process.exit(0);

console.log(`Preparing the database module for Electron ${electronVersion} (once)…`);
const source = dirname(require.resolve('better-sqlite3/package.json'));
const work = mkdtempSync(join(tmpdir(), 'burrow-sqlite-'));
const copy = join(work, 'better-sqlite3');
cpSync(source, copy, { recursive: true, filter: (path) => !path.includes(`${join('build', 'Release', 'obj')}`) });
rmSync(join(copy, 'build'), { recursive: true, force: true });

const run = (command, args) => execFileSync(command, args, { cwd: copy, stdio: 'inherit', env: { ...process.env, npm_config_runtime: 'electron', npm_config_target: electronVersion } });
try {
  const prebuild = join(dirname(require.resolve('prebuild-install/package.json', { paths: [source] })), 'bin.js');
  run(process.execPath, [prebuild, '--runtime', 'electron', '--target', electronVersion, '--arch', process.arch, '--platform', process.platform]);
} catch {
  console.log('No prebuilt binary; compiling with node-gyp against Electron headers…');
  const nodeGyp = process.env.npm_config_node_gyp ?? require.resolve('node-gyp/bin/node-gyp.js');
  run(process.execPath, [nodeGyp, 'rebuild', '--release', `--target=${electronVersion}`, '--runtime=electron', '--dist-url=https://electronjs.org/headers']);
}
mkdirSync(dirname(target), { recursive: true });
cpSync(join(copy, 'build', 'Release', 'better_sqlite3.node'), target);
rmSync(work, { recursive: true, force: true });
console.log(`Ready: ${target}`);
