#!/usr/bin/env node
// Runs the end-to-end suite with zero egress proven two ways (SECURITY.md item 22):
// 1. inside a loopback-only network namespace when we may create one (root + unshare, as in CI);
// 2. with an egress guard in every Node process and a request listener in Chromium that record
//    any attempt to reach beyond loopback; the suite fails if either recorded anything.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const guard = join(root, 'test', 'support', 'egress-guard.mjs');
const work = mkdtempSync(join(tmpdir(), 'burrow-egress-'));
const egressLog = join(work, 'egress.jsonl');
writeFileSync(egressLog, '');

const env = {
  ...process.env,
  BURROW_EGRESS_LOG: egressLog,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${JSON.stringify(guard).slice(1, -1)}`.trim(),
};
const playwright = [process.execPath, join(root, 'node_modules', '@playwright', 'test', 'cli.js'), 'test', ...process.argv.slice(2)];

const canIsolate = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/unshare') && spawnSync('unshare', ['-n', 'true']).status === 0;
let result;
if (canIsolate && process.env.BURROW_E2E_NETNS !== '0') {
  console.log('Running the end-to-end suite in a loopback-only network namespace (unshare -n).');
  const quoted = playwright.map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(' ');
  result = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec ${quoted}`], { stdio: 'inherit', env, cwd: root });
} else {
  console.log(`Running the end-to-end suite without a network namespace (${canIsolate ? 'BURROW_E2E_NETNS=0' : 'needs root and unshare on Linux'}); the egress guard still records every attempt.`);
  result = spawnSync(playwright[0], playwright.slice(1), { stdio: 'inherit', env, cwd: root });
}

const attempts = readFileSync(egressLog, 'utf8').trim().split('\n').filter(Boolean);
rmSync(work, { recursive: true, force: true });
if (attempts.length > 0) {
  console.error(`Zero-egress check FAILED: ${attempts.length} outbound connection attempt(s) from Node processes:\n${attempts.join('\n')}`);
  process.exit(1);
}
console.log('Zero-egress check: 0 outbound connection attempts from Node processes.');
process.exit(result.status ?? 1);
