import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'net', 'http', 'https', 'crypto', 'url', 'worker_threads', 'stream', 'events', 'util'];
const nodeOnlyPackages = ['better-sqlite3', 'node-llama-cpp', 'ws'];
const restrict = (patterns, message, ...more) => ({
  'no-restricted-imports': ['error', { patterns: [{ group: patterns, message }, ...more] }],
});
/**
 * A relative import that climbs (../, however many) into one of these top-level folders of src.
 * No folder inside src/core or src/shared has one of these names, so their own folders never match.
 */
const climbsInto = (folders, message) => ({ regex: `^(\\.\\./)+(${folders.join('|')})(/|$)`, message });

export default ts.config(
  { ignores: ['scratch/', 'out/', 'dist/', 'node_modules/', 'test-results/', 'playwright-report/', '.native/', 'bench/results.json'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname, extraFileExtensions: ['.svelte'] },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, svelteConfig } },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...ts.configs.disableTypeChecked,
  },
  // Boundaries between layers (ARCHITECTURE.md): where code may run is visible and enforced.
  {
    files: ['src/shared/**'],
    rules: restrict(
      [...nodeBuiltins, ...nodeOnlyPackages, 'electron', 'svelte', 'svelte/*'],
      'src/shared is pure TypeScript: no Node, Electron or DOM modules.',
      { regex: '^(?!\\.|zod(/|$))', message: 'src/shared imports nothing but zod and other shared files.' },
      climbsInto(['core', 'main', 'host', 'cli', 'renderer', 'preload'], 'src/shared imports nothing but zod and other shared files: every layer depends on it, so it depends on none.'),
    ),
  },
  {
    files: ['src/shared/**'],
    languageOptions: { globals: {} },
  },
  {
    files: ['src/cli/**', 'src/host/**'],
    rules: restrict(['electron', 'electron/*'], 'This code runs in plain Node: never import electron here (put Electron glue in src/main).'),
  },
  {
    files: ['src/core/**'],
    rules: restrict(
      ['electron', 'electron/*'],
      'This code runs in plain Node: never import electron here (put Electron glue in src/main).',
      climbsInto(['main', 'host', 'cli', 'renderer', 'preload'], 'The core is imported by its faces (main, host, cli) and never imports them or the renderer: pass what it needs in.'),
    ),
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict([...nodeBuiltins, ...nodeOnlyPackages, 'electron', '**/core/**', '**/main/**'], 'The renderer is sandboxed web code: no Node, Electron or core imports.'),
  },
  // SECURITY.md: one confirmed way out to the system browser, one IPC entry point (the contract router).
  {
    files: ['src/**'],
    ignores: ['src/main/windows.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[property.name='openExternal']", message: 'Open links only through confirmAndOpen in src/main/windows.ts (asks the user first, https only).' },
        { selector: "MemberExpression[object.name='ipcMain'][property.name=/^(handle|handleOnce|on|once)$/]", message: 'IPC goes through the contract router only (serveIpc in src/main/index.ts).' },
      ],
    },
  },
  {
    files: ['src/main/index.ts'],
    rules: {
      'no-restricted-syntax': ['error', { selector: "MemberExpression[property.name='openExternal']", message: 'Open links only through confirmAndOpen in src/main/windows.ts.' }],
    },
  },
  {
    files: ['src/preload/**'],
    rules: restrict([...nodeBuiltins, ...nodeOnlyPackages, '**/core/**'], 'Preload only bridges IPC: no Node modules or core code.'),
  },
  // A function over 80 lines holds more than one thing: find the seam (tests are exempt).
  {
    files: ['src/**', 'bench/**', 'scripts/**'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
);
