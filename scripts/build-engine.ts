/**
 * `npm run build:engine [-- --recipe native|portable] [--gpu false|metal|cuda|vulkan]`
 *
 * Builds Burrow's own llama.cpp engine from the source node-llama-cpp ships in its npm
 * package (llama/gitRelease.bundle): offline, opt-in, about 10 minutes on 2 cores. The engine
 * loads it first and falls back to the prebuilt binary when it is missing or fails its check
 * at start (src/core/engine/engine-build.ts). The recipe's CMake options name the build's
 * folder, so the engine finds exactly this build. Afterwards the build is loaded once in a
 * child process to prove it works.
 *
 * `native` (the default) uses every instruction set of this CPU: for this machine only.
 * `portable` is what the release workflow ships: CPU variants chosen at run time.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { ENGINE_RECIPES, type EngineRecipe } from '../src/core/engine/engine-build';
import { ADDON_PATCHES_DIR, applyEnginePatches } from './engine-patches';
import { findProjectRoot } from '../src/core/process/project-root';

const { values } = parseArgs({
  options: {
    recipe: { type: 'string', default: 'native' },
    gpu: { type: 'string', default: process.platform === 'darwin' ? 'metal' : 'false' },
  },
});
const recipe = values.recipe as EngineRecipe;
const options = ENGINE_RECIPES[recipe];
if (options === undefined) {
  console.error(`--recipe must be one of ${Object.keys(ENGINE_RECIPES).join(', ')}`);
  process.exit(2);
}

const root = findProjectRoot(import.meta.url);
// The package's exports hide package.json: find its folder from the main entry (dist/index.js).
const packageDir = dirname(dirname(createRequire(join(root, 'package.json')).resolve('node-llama-cpp')));
const cli = join(packageDir, 'dist', 'cli', 'cli.js');
const env: NodeJS.ProcessEnv = { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' };
for (const [key, value] of Object.entries(options)) env[`NODE_LLAMA_CPP_CMAKE_OPTION_${key}`] = value;

function run(args: string[]): void {
  console.log(`> node-llama-cpp ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit', env, cwd: root });
  if (result.status !== 0) {
    console.error(`node-llama-cpp ${args[0] ?? ''} ${args[1] ?? ''} failed (exit ${result.status ?? result.signal ?? '?'})`);
    process.exit(1);
  }
}

const started = performance.now();
// The source: cloned from the git bundle inside the npm package, never downloaded.
const sourceDir = join(packageDir, 'llama', 'llama.cpp');
const download = (): void => run(['source', 'download', '--gpu', values.gpu, '--skipBuild', '--noUsageExample']);
if (!existsSync(join(sourceDir, 'CMakeLists.txt'))) download();
let patched: ReturnType<typeof applyEnginePatches>;
try {
  patched = applyEnginePatches(sourceDir);
} catch (error) {
  // A source patched by an earlier version of a patch: a fresh clone from the bundle takes them all.
  console.log(`${error instanceof Error ? error.message : String(error)}; cloning the source again from the bundle`);
  download();
  patched = applyEnginePatches(sourceDir);
}
// The addon's patches: its source ships in the npm package, so there is no clean copy to fall back
// to; a reinstall (npm ci) restores it.
try {
  patched = [...patched, ...applyEnginePatches(join(packageDir, 'llama'), ADDON_PATCHES_DIR).map(({ patch, state }) => ({ patch: `addon/${patch}`, state }))];
} catch (error) {
  console.error(`${error instanceof Error ? error.message : String(error)} (a reinstall of node-llama-cpp, npm ci, restores its addon's source)`);
  process.exit(1);
}
for (const { patch, state } of patched) console.log(`engine patch ${patch}: ${state === 'applied' ? 'applied' : 'already in the source'}`);
run(['source', 'build', '--gpu', values.gpu, '--noUsageExample']);
console.log(`built in ${((performance.now() - started) / 60_000).toFixed(1)} min; checking that the engine loads it …`);

// The engine's own loader, in a fresh process, with fallback to the prebuilt binary forbidden.
const check = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    `const { loadLlama } = await import(${JSON.stringify(join(root, 'src', 'core', 'engine', 'engine-build.ts'))});
     const { llama, build } = await loadLlama('local', { gpu: ${values.gpu === 'false' ? 'false' : JSON.stringify(values.gpu)} });
     console.log('engine build: ' + build + ', ' + llama.buildType + ', backend ' + (llama.gpu === false ? 'cpu' : llama.gpu));
     await llama.dispose();`,
  ],
  { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_LLAMA_CPP_SKIP_DOWNLOAD: 'true' } },
);
process.exit(check.status ?? 1);
