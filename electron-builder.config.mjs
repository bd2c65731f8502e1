/**
 * How Burrow is packaged into installers (electron-builder 26): `npm run dist` builds the
 * installers for the current system, `npm run dist:dir` only the unpacked app (dist/*-unpacked,
 * or dist/mac*\/Burrow.app) for quick checks. README "Installing Burrow" explains the result.
 *
 * Code signing is off unless you provide it through the environment (electron-builder reads
 * these itself; nothing here needs to change):
 *   macOS    CSC_LINK (a .p12, base64 or path), CSC_KEY_PASSWORD; notarization with
 *            APPLE_ID + APPLE_APP_SPECIFIC_PASSWORD + APPLE_TEAM_ID
 *            (or APPLE_API_KEY + APPLE_API_KEY_ID + APPLE_API_ISSUER).
 *   Windows  WIN_CSC_LINK + WIN_CSC_KEY_PASSWORD (or CSC_LINK + CSC_KEY_PASSWORD on a
 *            Windows runner).
 * Without them the builds are unsigned (macOS arm64 gets an ad-hoc signature so it starts).
 *
 * The named exports are the pieces tests check directly (test/unit/packaging).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * Which node-llama-cpp binary packages (node_modules/@node-llama-cpp/<name>) ship: the target's
 * own, `<os>-<arch>` plus its `-metal` and `-vulkan` variants where they exist. All others — the
 * other systems' and the CUDA builds (180–360 MB each, and they need NVIDIA's CUDA runtime) —
 * stay out. So: macOS arm64 mac-arm64-metal (Metal GPU); macOS x64 mac-x64 (CPU); Windows and
 * Linux x64 the CPU build plus Vulkan (one GPU build for NVIDIA, AMD and Intel drivers; it falls
 * back to the CPU build); Windows and Linux arm64 the CPU build.
 */
export const LLAMA_BINARY_VARIANTS = ['', '-metal', '-vulkan'];

/**
 * The `files` pattern that leaves out every other @node-llama-cpp package. electron-builder
 * expands `${os}` (mac, win, linux — node-llama-cpp's own prefixes) and `${arch}` per target;
 * only exclusions reach node_modules, hence the `!(a|b|c)` glob.
 */
export const LLAMA_BINARY_FILTER = `!node_modules/@node-llama-cpp/!(${LLAMA_BINARY_VARIANTS.map((variant) => `\${os}-\${arch}${variant}`).join('|')}){,/**/*}`;

/** Whether `folder` (a name under node_modules/@node-llama-cpp) ships for os/arch. */
export function shipsLlamaBinary(folder, os, arch) {
  return LLAMA_BINARY_VARIANTS.some((variant) => `${os}-${arch}${variant}` === folder);
}

/** The build every packaged app must contain (the GPU builds fall back to it; on Apple Silicon it is the Metal build). */
export const REQUIRED_LLAMA_BINARY = {
  mac: { arm64: 'mac-arm64-metal', x64: 'mac-x64' },
  win: { arm64: 'win-arm64', x64: 'win-x64' },
  linux: { arm64: 'linux-arm64', x64: 'linux-x64' },
};

/**
 * Burrow's own llama.cpp builds that ship (scripts/build-engine.ts, recipe `portable`: CPU
 * variants chosen at run time, safe on any CPU of the target's architecture). A `native` build
 * is for the machine that made it and never ships. The engine loads a shipped build first and
 * falls back to the prebuilt binaries (src/core/engine/engine-build.ts).
 */
export function shippedEngineBuilds(localBuildsDir = join(root, 'node_modules', 'node-llama-cpp', 'llama', 'localBuilds')) {
  if (!existsSync(localBuildsDir)) return [];
  return readdirSync(localBuildsDir).filter((folder) => {
    try {
      const metadata = JSON.parse(readFileSync(join(localBuildsDir, folder, 'Release', '_nlcBuildMetadata.json'), 'utf8'));
      return String(metadata?.buildOptions?.customCmakeOptions?.BURROW_ENGINE ?? '').startsWith('portable-');
    } catch {
      return false;
    }
  });
}

/**
 * The `files` pattern that leaves out every local build but the shipped ones, and those only
 * for their own target: node-llama-cpp names a build `<os>-<arch>[-<gpu>]-<hash of its CMake
 * options>`, with the same os names as electron-builder's ${os}.
 */
export function localBuildsFilter(shipped = shippedEngineBuilds()) {
  const hashes = [...new Set(shipped.map((folder) => folder.split('-').at(-1)))];
  if (hashes.length === 0) return '!node_modules/node-llama-cpp/llama/localBuilds{,/**/*}';
  const names = hashes.flatMap((hash) => [`\${os}-\${arch}-${hash}`, `\${os}-\${arch}-metal-${hash}`]);
  return `!node_modules/node-llama-cpp/llama/localBuilds/!(${names.join('|')}){,/**/*}`;
}

const ARCH_NAMES = ['ia32', 'x64', 'armv7l', 'arm64', 'universal']; // electron-builder's Arch enum
const OS_KEYS = { darwin: 'mac', mas: 'mac', win32: 'win', linux: 'linux' };

function resourcesDir(context) {
  return context.electronPlatformName === 'darwin' || context.electronPlatformName === 'mas'
    ? join(context.appOutDir, `${context.packager.appInfo.productFilename}.app`, 'Contents', 'Resources')
    : join(context.appOutDir, 'resources');
}

/**
 * afterPack check: the packed app holds exactly this target's llama.cpp binaries and the
 * database module's native build, outside the ASAR. Fails the build instead of shipping an
 * app whose model engine cannot start — e.g. building macOS x64 on an arm64 Mac, where npm
 * never installed @node-llama-cpp/mac-x64.
 */
export function checkPackedNatives(context) {
  const os = OS_KEYS[context.electronPlatformName];
  const arch = typeof context.arch === 'number' ? ARCH_NAMES[context.arch] : context.arch;
  const unpacked = join(resourcesDir(context), 'app.asar.unpacked', 'node_modules');
  const required = REQUIRED_LLAMA_BINARY[os]?.[arch];
  if (required === undefined) throw new Error(`Burrow is not built for ${context.electronPlatformName}/${arch}.`);
  const llamaDir = join(unpacked, '@node-llama-cpp');
  const present = existsSync(llamaDir) ? readdirSync(llamaDir) : [];
  if (!present.includes(required)) {
    throw new Error(
      `The packed app has no @node-llama-cpp/${required}: npm installs the llama.cpp binaries for this machine's CPU only. ` +
        `Build ${os}/${arch} on a matching machine, or install it first: npm install --no-save --force @node-llama-cpp/${required}@${manifest.dependencies['node-llama-cpp']}`,
    );
  }
  const foreign = present.filter((folder) => !shipsLlamaBinary(folder, os, arch));
  if (foreign.length > 0) throw new Error(`The packed app contains other systems' llama.cpp binaries: ${foreign.join(', ')}.`);
  const sqlite = join(unpacked, 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
  if (!existsSync(sqlite)) throw new Error(`The packed app has no ${sqlite}.`);
}

// electron-builder rebuilds better-sqlite3 for Electron inside node_modules, which would leave
// `npm test` (plain Node) with a module it cannot load. We keep this machine's Node build aside
// before the rebuild and put it back once the app is packed (the Electron build is in the app
// by then), so `npm run dist` and `npm test` work in either order, like `npm start` and `npm test`.
const sqliteRelease = (projectDir) => join(projectDir, 'node_modules', 'better-sqlite3', 'build', 'Release');
function nodeSqliteBackup(projectDir) {
  const { version } = JSON.parse(readFileSync(join(projectDir, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8'));
  return join(projectDir, '.native', `node-${process.versions.modules}-${process.platform}-${process.arch}-better-sqlite3-${version}`, 'better_sqlite3.node');
}

/** beforeBuild: sets this machine's Node build of better-sqlite3 aside (once), then lets the rebuild run. */
export function keepNodeSqliteBuild(projectDir = root) {
  const built = join(sqliteRelease(projectDir), 'better_sqlite3.node');
  const backup = nodeSqliteBackup(projectDir);
  if (existsSync(backup) || !existsSync(built)) return true;
  // Only a build this Node can load is worth keeping (not one left by an interrupted dist).
  const loads = spawnSync(process.execPath, ['-e', 'require(process.argv[1])', built], { stdio: 'ignore' }).status === 0;
  if (loads) {
    mkdirSync(dirname(backup), { recursive: true });
    copyFileSync(built, backup);
  }
  return true; // and let electron-builder rebuild it for Electron
}

/** afterPack: puts the Node build back into node_modules (the packed app has the Electron build by now). */
export function restoreNodeSqliteBuild(projectDir = root) {
  const backup = nodeSqliteBackup(projectDir);
  if (!existsSync(backup)) return;
  const built = join(sqliteRelease(projectDir), 'better_sqlite3.node');
  rmSync(built, { force: true }); // a new file, never a rewrite of one that may be mapped
  copyFileSync(backup, built);
  // @electron/rebuild's "already built for Electron" marker would make the next dist skip the rebuild.
  rmSync(join(sqliteRelease(projectDir), '.forge-meta'), { force: true });
}

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'app.burrow.desktop',
  productName: 'Burrow',
  copyright: 'Copyright © Burrow contributors',
  // The version is package.json's "version" (electron-builder reads it; nothing overrides it here).
  directories: { output: 'dist', buildResources: 'resources' },
  artifactName: '${productName}-${version}-${os}-${arch}.${ext}',

  // What goes into the app: the built code and package.json, nothing else of the repository.
  // Production dependencies come along (electron-builder adds them); the exclusions below trim them.
  files: [
    'package.json',
    'out/main/**/*',
    'out/preload/**/*',
    'out/renderer/**/*',
    // The CLI and the browser host are separate faces of the core, not part of the desktop app.
    '!out/main/{cli,web-host}.js',
    '!**/*.{map,gguf}',
    '!{test,bench,fixtures,docs,scripts,src,data,resources,dist,test-results,.native,.cache,.ci,.github}{,/**/*}',
    // llama.cpp's sources (for building from source, which the app never does) and any local
    // build but Burrow's portable engine build (see shippedEngineBuilds).
    '!node_modules/node-llama-cpp/llama/gitRelease.bundle',
    '!node_modules/node-llama-cpp/llama/llama.cpp{,/**/*}',
    localBuildsFilter(),
    // better-sqlite3's sources and build leftovers; the module needs build/Release/better_sqlite3.node.
    '!node_modules/better-sqlite3/{deps,src,docs,benchmark}{,/**/*}',
    '!node_modules/better-sqlite3/build/Release/{obj,obj.target,.deps}{,/**/*}',
    '!node_modules/better-sqlite3/build/Release/{test_extension.node,*.a,*.lib}',
    '!node_modules/better-sqlite3/build/{deps,*.mk,Makefile,config.gypi}{,/**/*}',
    // Only this target's llama.cpp binaries (see LLAMA_BINARY_VARIANTS), per ${os}/${arch}. Never
    // use platform-level `files` (mac.files, …): electron-builder's merge then makes this list a
    // second file set and packs the whole repository (the unit tests catch that).
    LLAMA_BINARY_FILTER,
  ],
  // Native code cannot be loaded from inside the ASAR archive.
  asarUnpack: [
    'node_modules/@node-llama-cpp/**/*',
    'node_modules/node-llama-cpp/bins/**/*',
    'node_modules/node-llama-cpp/llama/localBuilds/**/*',
    'node_modules/better-sqlite3/build/Release/*.node',
    '**/*.node',
  ],
  // Read at run time by the app (tray icons, the window icon on Linux): process.resourcesPath/…
  extraResources: [
    { from: 'resources/tray', to: 'tray', filter: ['*.png'] },
    { from: 'resources/icon.png', to: 'icon.png' },
  ],

  // better-sqlite3 is rebuilt for Electron's ABI and each target arch (a prebuilt binary when
  // one exists, else compiled). node-llama-cpp needs nothing: its binaries are N-API.
  npmRebuild: true,
  buildDependenciesFromSource: false,
  beforeBuild: () => keepNodeSqliteBuild(),
  afterPack: (context) => {
    restoreNodeSqliteBuild();
    checkPackedNatives(context);
  },

  // SECURITY.md item 6. Flipped in the Electron binary itself, right before signing.
  electronFuses: {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    // Pages come from app://, never file://: file:// needs none of its old extra powers.
    grantFileProtocolExtraPrivileges: false,
    // Unsigned Apple Silicon builds need a fresh ad-hoc signature after the flip to start.
    resetAdHocDarwinSignature: true,
  },

  // No auto-update, no update feed, no network: Burrow never phones home.
  publish: null,

  mac: {
    category: 'public.app-category.productivity',
    icon: 'resources/icon.icns',
    darkModeSupport: true,
    hardenedRuntime: true,
    target: [
      { target: 'dmg', arch: ['x64', 'arm64'] },
      { target: 'zip', arch: ['x64', 'arm64'] },
    ],
  },
  dmg: { title: '${productName} ${version}' },

  win: {
    icon: 'resources/icon.ico',
    target: [{ target: 'nsis', arch: ['x64', 'arm64'] }],
  },
  nsis: {
    oneClick: false,
    perMachine: false,
    allowToChangeInstallationDirectory: true,
    // Uninstalling removes the program only; conversations and models stay (README).
    deleteAppDataOnUninstall: false,
    // One installer per architecture instead of one carrying both.
    buildUniversalInstaller: false,
    createDesktopShortcut: true,
    createStartMenuShortcut: true,
    shortcutName: 'Burrow',
    uninstallDisplayName: 'Burrow',
    artifactName: '${productName}-Setup-${version}-${arch}.${ext}',
  },

  linux: {
    executableName: 'burrow',
    icon: 'resources/icons',
    category: 'Utility',
    synopsis: 'A private, offline AI assistant',
    description: manifest.description,
    // Placeholder address (.invalid is reserved): replace with the project's real contact.
    maintainer: 'Burrow contributors <maintainers@burrow.invalid>',
    vendor: 'Burrow contributors',
    desktop: { entry: { Name: 'Burrow', StartupWMClass: 'Burrow', Keywords: 'AI;assistant;chat;llama;offline;' } },
    target: [
      { target: 'AppImage', arch: ['x64', 'arm64'] },
      { target: 'deb', arch: ['x64', 'arm64'] },
    ],
  },
  deb: {
    packageCategory: 'utils',
    priority: 'optional',
    // The Vulkan build uses the GPU when the system has a Vulkan loader; without it, the CPU build runs.
    recommends: ['libvulkan1'],
  },
};

export default config;
