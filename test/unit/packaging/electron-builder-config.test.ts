/**
 * The packaging configuration (electron-builder.config.mjs): the things that break silently —
 * an installer that ships without its model engine, with test fixtures inside, with Node's
 * debug doors open, or that deletes conversations on uninstall.
 *
 * File selection is checked with electron-builder's own matchers (app-builder-lib internals,
 * the same calls its packager makes, after its own config merge), so a quirk of theirs shows up
 * here rather than in a release. If those internals move, these tests fail loudly.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Configuration } from 'electron-builder';
import { afterAll, describe, expect, it } from 'vitest';
import { init as initModuleLexer, parse as parseModule } from 'es-module-lexer';
import { findProjectRoot } from '../../../src/core/process/project-root';

const root = findProjectRoot();
const require = createRequire(import.meta.url);

interface PackContextLike {
  appOutDir: string;
  electronPlatformName: string;
  arch: number | string;
  packager: { appInfo: { productFilename: string } };
}
interface ConfigModule {
  default: Configuration;
  LLAMA_BINARY_VARIANTS: string[];
  LLAMA_BINARY_FILTER: string;
  REQUIRED_LLAMA_BINARY: Record<string, Record<string, string>>;
  shipsLlamaBinary(folder: string, os: string, arch: string): boolean;
  checkPackedNatives(context: PackContextLike): void;
  keepNodeSqliteBuild(projectDir?: string): boolean;
  restoreNodeSqliteBuild(projectDir?: string): void;
  shippedEngineBuilds(localBuildsDir?: string): string[];
  localBuildsFilter(shipped?: string[]): string;
}
const configModule = (await import(pathToFileURL(join(root, 'electron-builder.config.mjs')).href)) as ConfigModule;
const config = configModule.default;
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
};

// ── electron-builder's own machinery ─────────────────────────────────────────────────────

interface FakeStat {
  isDirectory(): boolean;
  moduleFullFilePath?: string;
}
type Filter = (file: string, stat: FakeStat) => boolean;
interface FileMatcher {
  from: string;
  patterns: string[];
  createFilter(): Filter;
}
type MacroExpander = (pattern: string) => string;
interface FileMatcherModule {
  FileMatcher: new (from: string, to: string, expander: MacroExpander, patterns: string[]) => FileMatcher;
  getMainFileMatchers(appDir: string, destination: string, expander: MacroExpander, platformOptions: unknown, packager: unknown, outDir: string, isElectronCompile: boolean): FileMatcher[];
  getNodeModuleFileMatcher(appDir: string, destination: string, expander: MacroExpander, platformOptions: unknown, packager: unknown): FileMatcher;
  getFileMatchers(config: unknown, name: string, destination: string, options: unknown): FileMatcher[] | null;
}
const builderLib = dirname(require.resolve('app-builder-lib/package.json'));
const { FileMatcher, getMainFileMatchers, getNodeModuleFileMatcher, getFileMatchers } = require(join(builderLib, 'out', 'fileMatcher.js')) as FileMatcherModule;
const { expandMacro } = require(join(builderLib, 'out', 'util', 'macroExpander.js')) as {
  expandMacro(pattern: string, arch: string, appInfo: object, extra: object): string;
};
const { doMergeConfigs, validateConfiguration } = require(join(builderLib, 'out', 'util', 'config', 'config.js')) as {
  doMergeConfigs(configs: object[]): Configuration;
  validateConfiguration(config: Configuration, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };

type Os = 'mac' | 'win' | 'linux';
const TARGETS: Array<[Os, 'x64' | 'arm64']> = [
  ['mac', 'x64'],
  ['mac', 'arm64'],
  ['win', 'x64'],
  ['win', 'arm64'],
  ['linux', 'x64'],
  ['linux', 'arm64'],
];

/** What electron-builder would put in the app for one target: app files, node_modules files, unpacked files. */
function packaging(os: Os, arch: string, packConfig: Configuration = config) {
  // The packager sees the configuration after its merge, which rewrites `files` into file sets.
  const merged = doMergeConfigs([JSON.parse(JSON.stringify(packConfig)) as object]);
  const platformOptions = (merged as Record<string, unknown>)[os] ?? {};
  const appInfo = { productName: 'Burrow', sanitizedProductName: 'Burrow', productFilename: 'Burrow', name: 'burrow', version: '0.0.0' };
  const expander: MacroExpander = (pattern) => expandMacro(pattern, arch, appInfo, { os });
  const info = { isPrepackedAppAsar: false, config: merged, projectDir: root, buildResourcesDir: 'resources', debugLogger: { isEnabled: false } };
  const destination = join(tmpdir(), 'burrow-pack', 'resources', 'app');
  const outDir = join(root, 'dist');

  const mainMatchers = getMainFileMatchers(root, destination, expander, platformOptions, { info }, outDir, false).filter((matcher) => matcher.from === root);
  const mainFilters = mainMatchers.map((matcher) => matcher.createFilter());
  const moduleMatcher = getNodeModuleFileMatcher(root, destination, expander, platformOptions, info);
  const unpack = getFileMatchers(merged, 'asarUnpack', destination, { macroExpander: expander, customBuildOptions: platformOptions, globalOutDir: outDir, defaultSrc: root });
  const unpackFilter = unpack?.[0]?.createFilter();

  const stat = (directory: boolean, moduleFullFilePath?: string): FakeStat => ({ isDirectory: () => directory, ...(moduleFullFilePath ? { moduleFullFilePath } : {}) });
  /** Each parent folder must pass too: electron-builder only walks into folders the filter accepts. */
  const withParents = (path: string, test: (part: string, directory: boolean) => boolean): boolean => {
    const parts = path.split('/');
    return parts.every((_, index) => test(parts.slice(0, index + 1).join('/'), index < parts.length - 1));
  };
  return {
    /** A file of the repository (not node_modules), relative to the project root. */
    appFile: (path: string) => mainFilters.some((filter) => withParents(path, (part, directory) => filter(join(root, part), stat(directory)))),
    /** A file inside a dependency: node_modules/<package>/<path>. */
    moduleFile: (pkg: string, path: string) => {
      const source = join(root, 'node_modules', pkg);
      const filter = new FileMatcher(source, join(destination, 'node_modules', pkg), expander, moduleMatcher.patterns).createFilter();
      return withParents(path, (part, directory) => filter(join(source, part), stat(directory, `node_modules/${pkg}/${part}`)));
    },
    unpacked: (path: string) => unpackFilter !== undefined && unpackFilter(join(root, path), stat(false, path.startsWith('node_modules/') ? path : undefined)),
  };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((path) => statSync(join(dir, path)).isFile());
}

function pngSize(path: string): { width: number; height: number } {
  const bytes = readFileSync(path);
  expect(bytes.subarray(0, 8).toString('hex'), `${path} is a PNG`).toBe('89504e470d0a1a0a');
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

// ── the tests ────────────────────────────────────────────────────────────────────────────

describe('electron-builder configuration', () => {
  it('is valid for electron-builder 26 (its own schema)', async () => {
    await expect(validateConfiguration(doMergeConfigs([JSON.parse(JSON.stringify(config)) as object]), new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('names the product, a stable app id, the installers per platform, and takes the version from package.json', () => {
    expect(config.productName).toBe('Burrow');
    expect(config.appId).toBe('app.burrow.desktop');
    expect(config).not.toHaveProperty('extraMetadata.version');
    expect(config).not.toHaveProperty('buildVersion');
    expect(config.mac?.category).toMatch(/^public\.app-category\./);
    expect(config.linux?.category).toBeTruthy();
    const targets = (list: unknown) => (list as Array<{ target: string; arch: string[] }>).map(({ target, arch }) => `${target}:${[...arch].sort().join(',')}`).sort();
    expect(targets(config.mac?.target)).toEqual(['dmg:arm64,x64', 'zip:arm64,x64']);
    expect(targets(config.win?.target)).toEqual(['nsis:arm64,x64']);
    expect(targets(config.linux?.target)).toEqual(['AppImage:arm64,x64', 'deb:arm64,x64']);
    expect(config.linux?.maintainer).toMatch(/<.+@.+>/);
  });

  it('`npm run dist` and `npm run dist:dir` build with this configuration', () => {
    expect(manifest.scripts.dist).toMatch(/^npm run build && electron-builder --config electron-builder\.config\.mjs$/);
    expect(manifest.scripts['dist:dir']).toMatch(/^npm run build && electron-builder --config electron-builder\.config\.mjs --dir$/);
  });

  it('flips the fuses (SECURITY.md item 6) and turns cookie encryption on', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(config.asar ?? true).toBe(true);
    expect(config.disableAsarIntegrity ?? false).toBe(false);
  });

  it('publishes nowhere and updates from nowhere', () => {
    expect(config.publish).toBeNull();
    for (const os of ['mac', 'win', 'linux'] as const) expect(config[os]).not.toHaveProperty('publish');
  });

  it('rebuilds better-sqlite3 for Electron and keeps the Node build for the tests', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.buildDependenciesFromSource).toBe(false);
    expect(typeof config.beforeBuild).toBe('function');
    expect(typeof config.afterPack).toBe('function');
  });

  it('uninstalling never deletes conversations or models', () => {
    expect(config.nsis).toMatchObject({ oneClick: false, allowToChangeInstallationDirectory: true, deleteAppDataOnUninstall: false });
    // No custom installer script, no package maintainer script that could touch the data folder.
    for (const key of ['include', 'script']) expect(config.nsis).not.toHaveProperty(key);
    for (const section of [config.linux, config.deb, config.appImage] as Array<Record<string, unknown> | undefined>) {
      for (const key of ['afterInstall', 'afterRemove']) expect(section ?? {}).not.toHaveProperty(key);
    }
    const text = JSON.stringify(config);
    for (const dataPath of ['.config/Burrow', 'Application Support', 'APPDATA', 'userData', 'rm -rf', 'RMDir']) expect(text).not.toContain(dataPath);
  });

  it('puts the built app in, and nothing else of the repository', () => {
    for (const [os, arch] of TARGETS) {
      const pack = packaging(os, arch);
      for (const file of ['package.json', 'out/main/index.js', 'out/main/engine-worker.js', 'out/main/chunks/shared-abc123.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/renderer/assets/index-abc123.js']) {
        expect(pack.appFile(file), `${os}/${arch} packs ${file}`).toBe(true);
      }
      for (const file of [
        'test/unit/packaging/electron-builder-config.test.ts',
        'test/support/tiny-model.ts',
        'test/fixtures/sample.pdf',
        'fixtures/sample.docx',
        'bench/models/tinyllama-1.1b-chat-v1.0.Q4_K_M.gguf',
        'models/any.gguf',
        'out/main/model.gguf',
        'out/main/index.js.map',
        'out/main/cli.js',
        'out/main/web-host.js',
        '.native/electron-39.0.0-linux-x64/better_sqlite3.node',
        '.cache/burrow-test/tiny.gguf',
        'node_modules/.cache/burrow-test/tiny.gguf',
        'src/main/index.ts',
        'scripts/ensure-electron-native.mjs',
        'resources/icon.svg',
        'dist/linux-unpacked/burrow',
        'docs/screenshot.png',
        'README.md',
        'package-lock.json',
        'electron-builder.config.mjs',
      ]) {
        expect(pack.appFile(file), `${os}/${arch} leaves out ${file}`).toBe(false);
      }
      expect(pack.moduleFile('node-llama-cpp', 'dist/index.js')).toBe(true);
      expect(pack.moduleFile('node-llama-cpp', 'llama/gitRelease.bundle'), 'llama.cpp sources').toBe(false);
      expect(pack.moduleFile('node-llama-cpp', 'llama/localBuilds/linux-x64/Release/llama-addon.node'), 'a local build for the build machine').toBe(false);
      expect(pack.moduleFile('better-sqlite3', 'build/Release/better_sqlite3.node')).toBe(true);
      expect(pack.moduleFile('better-sqlite3', 'lib/index.js')).toBe(true);
      expect(pack.moduleFile('better-sqlite3', 'deps/sqlite3/sqlite3.c')).toBe(false);
      expect(pack.moduleFile('better-sqlite3', 'build/Release/obj.target/better_sqlite3/src/better_sqlite3.o')).toBe(false);
      expect(pack.moduleFile('some-package', 'weights/model.gguf')).toBe(false);
    }
  });

  it("ships Burrow's portable engine build, unpacked, and no build made for one machine's CPU", () => {
    const builds = mkdtempSync(join(tmpdir(), 'burrow-localbuilds-'));
    try {
      const fakeBuild = (folder: string, engine: string): void => {
        mkdirSync(join(builds, folder, 'Release'), { recursive: true });
        writeFileSync(join(builds, folder, 'Release', '_nlcBuildMetadata.json'), JSON.stringify({ buildOptions: { customCmakeOptions: { BURROW_ENGINE: engine } } }));
      };
      fakeBuild('linux-x64-portablehash', 'portable-8');
      fakeBuild('linux-arm64-portablehash', 'portable-8');
      fakeBuild('linux-x64-nativehash', 'native-8');
      mkdirSync(join(builds, 'linux-x64', 'Release'), { recursive: true });
      const shipped = configModule.shippedEngineBuilds(builds);
      expect(shipped.sort()).toEqual(['linux-arm64-portablehash', 'linux-x64-portablehash']);
      const files = (config.files as string[]).map((pattern) => (pattern.includes('llama/localBuilds') ? configModule.localBuildsFilter(shipped) : pattern));
      const pack = packaging('linux', 'x64', { ...config, files });
      expect(pack.moduleFile('node-llama-cpp', 'llama/localBuilds/linux-x64-portablehash/Release/llama-addon.node')).toBe(true);
      expect(pack.unpacked('node_modules/node-llama-cpp/llama/localBuilds/linux-x64-portablehash/Release/libggml-cpu-haswell.so')).toBe(true);
      expect(pack.moduleFile('node-llama-cpp', 'llama/localBuilds/linux-arm64-portablehash/Release/llama-addon.node'), 'another target’s build').toBe(false);
      expect(pack.moduleFile('node-llama-cpp', 'llama/localBuilds/linux-x64-nativehash/Release/llama-addon.node')).toBe(false);
      expect(pack.moduleFile('node-llama-cpp', 'llama/localBuilds/linux-x64/Release/llama-addon.node')).toBe(false);
      expect(pack.moduleFile('node-llama-cpp', 'llama/llama.cpp/CMakeLists.txt'), 'the llama.cpp source clone').toBe(false);
      expect(configModule.shippedEngineBuilds(join(builds, 'missing'))).toEqual([]);
    } finally {
      rmSync(builds, { recursive: true, force: true });
    }
  });

  it('keeps native code out of the ASAR: node-llama-cpp binaries and better-sqlite3', () => {
    const samples = [
      'node_modules/better-sqlite3/build/Release/better_sqlite3.node',
      'node_modules/@node-llama-cpp/mac-arm64-metal/bins/mac-arm64-metal/llama-addon.node',
      'node_modules/@node-llama-cpp/mac-arm64-metal/bins/mac-arm64-metal/libggml-metal.dylib',
      'node_modules/@node-llama-cpp/mac-x64/bins/mac-x64/libllama.dylib',
      'node_modules/@node-llama-cpp/win-x64/bins/win-x64/llama.dll',
      'node_modules/@node-llama-cpp/win-x64-vulkan/bins/win-x64-vulkan/ggml-vulkan.dll',
      'node_modules/@node-llama-cpp/win-arm64/bins/win-arm64/llama-addon.node',
      'node_modules/@node-llama-cpp/linux-arm64/bins/linux-arm64/libggml-cpu.so',
      'node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/_nlcBuildMetadata.json',
      'node_modules/node-llama-cpp/bins/_linux-x64.moved.txt',
    ];
    // And every file of the llama.cpp packages installed on this machine.
    const installed = join(root, 'node_modules', '@node-llama-cpp');
    const real = existsSync(installed) ? readdirSync(installed).flatMap((pkg) => filesUnder(join(installed, pkg, 'bins')).map((file) => `node_modules/@node-llama-cpp/${pkg}/bins/${file.replaceAll('\\', '/')}`)) : [];
    expect(real.length, 'this machine has llama.cpp binaries installed').toBeGreaterThan(0);
    for (const [os, arch] of TARGETS) {
      const pack = packaging(os, arch);
      for (const file of [...samples, ...real]) expect(pack.unpacked(file), `${os}/${arch} unpacks ${file}`).toBe(true);
      expect(pack.unpacked('out/main/index.js')).toBe(false);
      expect(pack.unpacked('node_modules/zod/index.js')).toBe(false);
    }
  });

  it('packs only the target platform’s llama.cpp binaries, without CUDA', () => {
    const optional = Object.keys((JSON.parse(readFileSync(join(root, 'node_modules', 'node-llama-cpp', 'package.json'), 'utf8')) as { optionalDependencies: Record<string, string> }).optionalDependencies);
    const folders = [...new Set([...optional.map((name) => name.replace('@node-llama-cpp/', '')), 'mac-arm64', 'linux-x64-vulkan2', 'linux-x64-cuda-ext', 'win-x64-cuda', 'linux-x64-something'])];
    const expected: Record<string, string[]> = {
      'mac/x64': ['mac-x64'],
      'mac/arm64': ['mac-arm64', 'mac-arm64-metal'],
      'win/x64': ['win-x64', 'win-x64-vulkan'],
      'win/arm64': ['win-arm64'],
      'linux/x64': ['linux-x64', 'linux-x64-vulkan'],
      'linux/arm64': ['linux-arm64'],
    };
    for (const [os, arch] of TARGETS) {
      const pack = packaging(os, arch);
      const packed = folders.filter((folder) => pack.moduleFile(`@node-llama-cpp/${folder}`, `bins/${folder}/llama-addon.node`)).sort();
      expect(packed, `${os}/${arch} (electron-builder's matcher)`).toEqual(expected[`${os}/${arch}`]);
      expect(folders.filter((folder) => configModule.shipsLlamaBinary(folder, os, arch)).sort(), `${os}/${arch} (shipsLlamaBinary)`).toEqual(expected[`${os}/${arch}`]);
      expect(packed, 'the required build is among them').toContain(configModule.REQUIRED_LLAMA_BINARY[os]?.[arch]);
      expect(packed.some((folder) => folder.includes('cuda'))).toBe(false);
    }
    expect(config.files).toContain(configModule.LLAMA_BINARY_FILTER);
  });

  describe('the afterPack check of the packed natives', () => {
    const work = mkdtempSync(join(tmpdir(), 'burrow-afterpack-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));
    let count = 0;
    function fakeApp(platform: string, folders: string[], { sqlite = true } = {}): string {
      const appOutDir = join(work, `app-${count++}`);
      const resources = platform === 'darwin' ? join(appOutDir, 'Burrow.app', 'Contents', 'Resources') : join(appOutDir, 'resources');
      const modules = join(resources, 'app.asar.unpacked', 'node_modules');
      for (const folder of folders) mkdirSync(join(modules, '@node-llama-cpp', folder, 'bins', folder), { recursive: true });
      if (sqlite) {
        mkdirSync(join(modules, 'better-sqlite3', 'build', 'Release'), { recursive: true });
        writeFileSync(join(modules, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'), '');
      }
      return appOutDir;
    }
    const context = (platform: string, arch: number | string, appOutDir: string): PackContextLike => ({ appOutDir, electronPlatformName: platform, arch, packager: { appInfo: { productFilename: 'Burrow' } } });
    const ARCH = { x64: 1, arm64: 3 }; // electron-builder's Arch enum

    it('accepts an app with exactly its target’s binaries', () => {
      expect(() => configModule.checkPackedNatives(context('linux', ARCH.x64, fakeApp('linux', ['linux-x64', 'linux-x64-vulkan'])))).not.toThrow();
      expect(() => configModule.checkPackedNatives(context('linux', ARCH.arm64, fakeApp('linux', ['linux-arm64'])))).not.toThrow();
      expect(() => configModule.checkPackedNatives(context('darwin', ARCH.arm64, fakeApp('darwin', ['mac-arm64-metal'])))).not.toThrow();
      expect(() => configModule.checkPackedNatives(context('win32', 'x64', fakeApp('win32', ['win-x64', 'win-x64-vulkan'])))).not.toThrow();
    });

    it('fails the build when the target’s llama.cpp build is missing (macOS x64 built on an arm64 Mac)', () => {
      expect(() => configModule.checkPackedNatives(context('darwin', ARCH.x64, fakeApp('darwin', [])))).toThrow(/no @node-llama-cpp\/mac-x64.*npm install --no-save --force @node-llama-cpp\/mac-x64@3\.21\.1/);
      expect(() => configModule.checkPackedNatives(context('linux', ARCH.x64, fakeApp('linux', ['linux-x64-vulkan'])))).toThrow(/linux-x64/);
    });

    it('fails the build when other systems’ binaries or CUDA got in', () => {
      expect(() => configModule.checkPackedNatives(context('linux', ARCH.x64, fakeApp('linux', ['linux-x64', 'linux-x64-cuda'])))).toThrow(/linux-x64-cuda/);
      expect(() => configModule.checkPackedNatives(context('win32', ARCH.x64, fakeApp('win32', ['win-x64', 'win-arm64'])))).toThrow(/win-arm64/);
    });

    it('fails the build when the database module is not unpacked', () => {
      expect(() => configModule.checkPackedNatives(context('linux', ARCH.x64, fakeApp('linux', ['linux-x64'], { sqlite: false })))).toThrow(/better_sqlite3\.node/);
    });
  });

  describe('keeping node_modules’ Node build of better-sqlite3 across `npm run dist`', () => {
    // A stand-in project folder: the real module's package.json and its Node build.
    const project = mkdtempSync(join(tmpdir(), 'burrow-sqlite-keep-'));
    afterAll(() => rmSync(project, { recursive: true, force: true }));
    const moduleDir = join(project, 'node_modules', 'better-sqlite3');
    const release = join(moduleDir, 'build', 'Release');
    const built = join(release, 'better_sqlite3.node');
    const real = join(root, 'node_modules', 'better-sqlite3');
    mkdirSync(release, { recursive: true });
    writeFileSync(join(moduleDir, 'package.json'), readFileSync(join(real, 'package.json')));
    const nodeBuild = readFileSync(join(real, 'build', 'Release', 'better_sqlite3.node'));
    writeFileSync(built, nodeBuild);
    const backups = () => (existsSync(join(project, '.native')) ? readdirSync(join(project, '.native')) : []);

    it('sets the Node build aside before the rebuild and puts it back after packing', () => {
      expect(configModule.keepNodeSqliteBuild(project)).toBe(true);
      expect(backups()).toEqual([expect.stringMatching(new RegExp(`^node-${process.versions.modules}-${process.platform}-${process.arch}-better-sqlite3-\\d`))]);
      // electron-builder's rebuild replaces the module and leaves its marker.
      writeFileSync(built, 'an Electron build');
      writeFileSync(join(release, '.forge-meta'), 'x64--140');
      expect(configModule.keepNodeSqliteBuild(project), 'a second dist keeps the first backup').toBe(true);
      configModule.restoreNodeSqliteBuild(project);
      expect(readFileSync(built).equals(nodeBuild)).toBe(true);
      expect(existsSync(join(release, '.forge-meta')), 'the next dist rebuilds again').toBe(false);
    });

    it('never sets aside a build this Node cannot load', () => {
      rmSync(join(project, '.native'), { recursive: true, force: true });
      writeFileSync(built, 'left by an interrupted dist');
      configModule.keepNodeSqliteBuild(project);
      expect(backups()).toEqual([]);
      configModule.restoreNodeSqliteBuild(project); // nothing to put back: a no-op
      expect(readFileSync(built, 'utf8')).toBe('left by an interrupted dist');
    });
  });

  describe('icons', () => {
    const icon = (path: string | null | undefined) => resolve(root, path ?? '');

    it('every icon the configuration names exists, at the sizes each platform needs', () => {
      const icns = readFileSync(icon(config.mac?.icon));
      expect(icns.subarray(0, 4).toString('ascii')).toBe('icns');
      expect(icns.readUInt32BE(4)).toBe(icns.length);
      const icnsSizes = new Map<string, number>();
      for (let offset = 8; offset < icns.length; ) {
        const type = icns.subarray(offset, offset + 4).toString('ascii');
        const length = icns.readUInt32BE(offset + 4);
        const png = icns.subarray(offset + 8, offset + length);
        icnsSizes.set(type, png.readUInt32BE(16));
        offset += length;
      }
      expect(Object.fromEntries(icnsSizes)).toEqual({ icp4: 16, icp5: 32, ic11: 32, ic12: 64, ic07: 128, ic13: 256, ic08: 256, ic14: 512, ic09: 512, ic10: 1024 });

      const ico = readFileSync(icon(config.win?.icon));
      expect(ico.readUInt16LE(2)).toBe(1);
      const icoSizes: number[] = [];
      for (let index = 0; index < ico.readUInt16LE(4); index++) {
        const entry = 6 + 16 * index;
        const size = ico.readUInt8(entry) || 256;
        const png = ico.subarray(ico.readUInt32LE(entry + 12), ico.readUInt32LE(entry + 12) + ico.readUInt32LE(entry + 8));
        expect(png.readUInt32BE(16), `ICO entry ${size}`).toBe(size);
        icoSizes.push(size);
      }
      expect(icoSizes).toEqual([16, 24, 32, 48, 64, 128, 256]);

      const linuxDir = icon(config.linux?.icon);
      for (const size of [16, 24, 32, 48, 64, 128, 256, 512]) expect(pngSize(join(linuxDir, `${size}x${size}.png`))).toEqual({ width: size, height: size });
      expect(pngSize(join(root, 'resources', 'icon.png'))).toEqual({ width: 1024, height: 1024 });
      expect(readFileSync(join(root, 'resources', 'icon.svg'), 'utf8')).toMatch(/<svg[^>]*width="1024"[^>]*height="1024"/);
    });

    it('tray icons exist in light, dark and macOS template variants, and ship as resources', () => {
      const tray = join(root, 'resources', 'tray');
      expect(pngSize(join(tray, 'trayTemplate.png'))).toEqual({ width: 16, height: 16 });
      expect(pngSize(join(tray, 'trayTemplate@2x.png'))).toEqual({ width: 32, height: 32 });
      for (const variant of ['light', 'dark']) {
        expect(pngSize(join(tray, `tray-${variant}.png`))).toEqual({ width: 32, height: 32 });
        expect(pngSize(join(tray, `tray-${variant}@2x.png`))).toEqual({ width: 64, height: 64 });
      }
      const extra = (config.extraResources ?? []) as Array<{ from: string; to: string }>;
      for (const { from } of extra) expect(existsSync(join(root, from)), from).toBe(true);
      expect(extra.map(({ to }) => to).sort()).toEqual(['icon.png', 'tray']);
    });
  });
});

describe('the build the installers are made from (`npm run build`)', () => {
  const out = join(root, 'out');
  const built = existsSync(join(out, 'main', 'index.js'));
  if (!built) console.log(`Build-output checks skipped: ${out} has no build yet. Run \`npm run build\` (npm test does, before the unit tests).`);

  it.skipIf(!built)('contains the main process, the engine process, the preload and the renderer', () => {
    for (const file of ['main/index.js', 'main/engine-worker.js', 'preload/index.cjs', 'renderer/index.html']) expect(existsSync(join(out, file)), `out/${file}`).toBe(true);
  });

  it.skipIf(!built)('every module the app entry points load is packed; every package they import is a dependency', async () => {
    await initModuleLexer;
    const pack = packaging('linux', 'x64');
    const allowed = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`), 'electron', ...Object.keys(manifest.dependencies)]);
    const seen = new Set<string>();
    // Every entry point of the main build (the app, the engine process, any later worker), minus
    // the CLI and the browser host, which the app does not ship.
    const entries = readdirSync(join(out, 'main')).filter((name) => name.endsWith('.js') && !['cli.js', 'web-host.js'].includes(name));
    expect(entries).toEqual(expect.arrayContaining(['index.js', 'engine-worker.js']));
    const queue = [...entries.map((name) => `out/main/${name}`), 'out/preload/index.cjs'];
    while (queue.length > 0) {
      const file = queue.pop() as string;
      if (seen.has(file)) continue;
      seen.add(file);
      expect(pack.appFile(file), `${file} is packed`).toBe(true);
      const code = readFileSync(join(root, file), 'utf8');
      // A real module lexer, not a regular expression: strings in the code may read like imports.
      const specifiers = file.endsWith('.cjs')
        ? [...code.matchAll(/\brequire\s*\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1])
        : parseModule(code)[0].map((entry) => entry.n);
      for (const specifier of specifiers) {
        if (specifier === undefined) continue;
        if (specifier.startsWith('.')) {
          const target = relative(root, resolve(root, dirname(file), specifier)).replaceAll('\\', '/');
          expect(existsSync(join(root, target)), `${file} imports ${specifier}`).toBe(true);
          queue.push(target);
        } else {
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
          expect(allowed.has(name) || allowed.has(specifier), `${file} imports ${specifier}, which the packaged app does not have`).toBe(true);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(3);
  });
});
