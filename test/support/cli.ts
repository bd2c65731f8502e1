/**
 * Runs the real `burrow` command line (src/cli/index.ts through tsx) in its own process, with
 * the data folder a test gives it, and collects what it printed.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findProjectRoot } from '../../src/core/process/project-root';

const root = findProjectRoot();

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** BURROW_DATA_DIR for the run. */
  dataDir: string;
  /** Added to (and overriding) this process's environment; BURROW_DATA_DIR always wins. */
  env?: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; without it stdin is closed at once. */
  input?: string;
}

export function runCli(args: readonly string[], options: CliOptions): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'index.ts'), ...args], {
      cwd: root,
      env: { ...process.env, ...options.env, BURROW_DATA_DIR: options.dataDir },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    child.stdin?.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
