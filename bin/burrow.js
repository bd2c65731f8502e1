#!/usr/bin/env node
// The `burrow` command: runs the built CLI (npm run build), or the TypeScript source during development.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../out/main/cli.js', import.meta.url));
if (existsSync(built)) {
  await import(built);
} else {
  console.error('Burrow is not built yet. Run `npm run build`, or use `npm run cli -- …` during development.');
  process.exit(1);
}
