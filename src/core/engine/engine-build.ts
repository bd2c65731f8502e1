/**
 * Which llama.cpp binary the engine loads. node-llama-cpp keeps local builds in folders named
 * after their CMake options and finds one only when it is given exactly those options; it
 * tests a local build in a child process first when it was built on another machine. So
 * Burrow names its own builds by recipe, tries them in order, and falls back to the prebuilt
 * binaries that ship with node-llama-cpp. Nothing is ever compiled or downloaded at run time.
 *
 * Why build at all: see docs/performance.md, "Engine build". In short, the prebuilt CPU
 * binaries have no OpenMP, and without it ggml starts and joins a new set of threads for every
 * graph it computes, that is for every token.
 */
import { getLlama, NoBinaryFoundError, type Llama, type LlamaOptions } from 'node-llama-cpp';

export type EngineBuild = 'auto' | 'local' | 'prebuilt';

export type EngineRecipe = 'native' | 'portable';

/**
 * CMake options of Burrow's engine builds (scripts/build-engine.ts). Any change to them
 * changes the build's folder name, so a build made from an older recipe is never picked up:
 * `BURROW_ENGINE` names the recipe's version; bump it when anything about the recipe changes.
 * - native: `npm run build:engine` on a developer's or power user's machine: every instruction
 *   set this CPU has.
 * - portable: the release workflow: CPU variants chosen at run time, as the prebuilt ones.
 * The native build links llama.cpp and ggml into the addon itself (`BUILD_SHARED_LIBS` off), as
 * llama-bench is built: generation ran 2–3 % faster that way than from the shared libraries
 * (docs/performance.md, "Static linking"). The portable build cannot: its CPU variants are
 * libraries loaded at run time.
 */
/**
 * The native recipe leaves out Intel AMX on x86-64 Linux and macOS: built with `-march=native`
 * and OpenMP on a Sapphire Rapids host, ggml's AMX matrix multiply died at the first prompt
 * with an invalid opcode (`tilezero`), and so did llama-bench built the same way, while the
 * prebuilt AMX variant (no OpenMP) ran (docs/performance.md, "Engine build"). Explicit -mno
 * flags win over -march=native; they go in the Release flags because cmake-js sets
 * CMAKE_CXX_FLAGS itself. MSVC's native build has no AMX, and ARM none.
 */
const RELEASE_NO_AMX = '-O3 -DNDEBUG -mno-amx-tile -mno-amx-int8 -mno-amx-bf16';
export const NO_AMX_OPTIONS: Readonly<Record<string, string>> =
  process.arch === 'x64' && process.platform !== 'win32' ? Object.freeze({ CMAKE_C_FLAGS_RELEASE: RELEASE_NO_AMX, CMAKE_CXX_FLAGS_RELEASE: RELEASE_NO_AMX }) : Object.freeze({});

export const ENGINE_RECIPES: Readonly<Record<EngineRecipe, Readonly<Record<string, string>>>> = Object.freeze({
  native: Object.freeze({ BURROW_ENGINE: 'native-10', GGML_OPENMP: 'ON', GGML_NATIVE: 'ON', BUILD_SHARED_LIBS: 'OFF', ...NO_AMX_OPTIONS }),
  portable: Object.freeze({ BURROW_ENGINE: 'portable-9', GGML_OPENMP: 'ON', GGML_NATIVE: 'OFF', GGML_BACKEND_DL: 'ON', GGML_CPU_ALL_VARIANTS: 'ON' }),
});

/** Recipes in the order they are tried. */
export const RECIPE_ORDER: readonly EngineRecipe[] = ['native', 'portable'];

/** Options no build has: node-llama-cpp finds no local build for them and loads its prebuilt one. */
export const NO_LOCAL_BUILD: Readonly<Record<string, string>> = Object.freeze({ BURROW_ENGINE: 'prebuilt-only' });

export function parseEngineBuild(text: string | undefined): EngineBuild {
  if (text === undefined || text === '' || text === 'auto') return 'auto';
  if (text === 'local' || text === 'prebuilt') return text;
  throw new Error(`BURROW_ENGINE_BUILD must be auto, local or prebuilt, not "${text}"`);
}

type BaseOptions = Omit<LlamaOptions, 'build' | 'cmakeOptions' | 'usePrebuiltBinaries' | 'existingPrebuiltBinaryMustMatchBuildOptions'>;

export interface LoadedLlama {
  llama: Llama;
  /** 'native' / 'portable' for Burrow's own builds, 'prebuilt' for node-llama-cpp's. */
  build: EngineRecipe | 'prebuilt';
}

/**
 * The Llama backend from the best build there is: Burrow's own recipes first (unless
 * `build` is 'prebuilt'), then the prebuilt binaries (unless `build` is 'local').
 */
export async function loadLlama(build: EngineBuild, base: BaseOptions): Promise<LoadedLlama> {
  if (build !== 'prebuilt') {
    for (const recipe of RECIPE_ORDER) {
      try {
        const llama = await getLlama({ ...base, build: 'never', usePrebuiltBinaries: false, cmakeOptions: { ...ENGINE_RECIPES[recipe] } });
        return { llama, build: recipe };
      } catch (error) {
        // No such build here, or it failed its check at start: try the next one.
        if (!(error instanceof NoBinaryFoundError)) throw error;
      }
    }
    if (build === 'local') throw new NoBinaryFoundError('No engine build of Burrow was found: run `npm run build:engine` first.');
  }
  const llama = await getLlama({ ...base, build: 'never', cmakeOptions: { ...NO_LOCAL_BUILD }, existingPrebuiltBinaryMustMatchBuildOptions: false });
  return { llama, build: 'prebuilt' };
}
