import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Node-side entry points share one build: the Electron main process, the engine process
// (an Electron utilityProcess in the app, a plain Node child elsewhere), the CLI and the
// browser host. Dependencies stay external (node_modules), native modules included.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          'engine-worker': resolve('src/core/engine/worker.ts'),
          'document-worker': resolve('src/core/documents/worker.ts'),
          cli: resolve('src/cli/index.ts'),
          'web-host': resolve('src/host/web/start.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    build: {
      rollupOptions: {
        input: {
          index: resolve('src/renderer/index.html'),
          // The quick-prompt window (src/main/quick-window.ts); the browser host serves it at /quick.html.
          quick: resolve('src/renderer/quick.html'),
        },
      },
    },
    plugins: [svelte({ configFile: resolve('svelte.config.js') })],
  },
});
