import { utilityProcess } from 'electron';
import type { SpawnEngine } from '../core/engine/types';
import { ENGINE_EXEC_ARGV, engineProcessEnv } from '../core/process/process-env';
import { withBinaryTestRelay, type ForkTestProcess } from './binary-test-relay';
import { spawnUtility } from './utility-process';

/**
 * node-llama-cpp's binary test, started for the engine (binary-test-relay.ts): the engine
 * cannot start it itself, as `child_process.fork` needs the RunAsNode fuse we turn off.
 */
const forkBinaryTest: ForkTestProcess = (modulePath, env, events) => {
  const test = utilityProcess.fork(modulePath, [], { env, serviceName: 'Burrow binary test', stdio: 'inherit' });
  test.once('spawn', () => events.onSpawn(test.pid));
  test.on('message', (message) => events.onMessage(message));
  test.once('exit', (code) => events.onExit(code));
  return { postMessage: (message) => test.postMessage(message), kill: () => void test.kill() };
};

/** The engine in an Electron utilityProcess: a crash there is not a crash of the app. */
export function spawnUtilityEngine(entry: string): SpawnEngine {
  const spawn = spawnUtility((modulePath, args, options) => utilityProcess.fork(modulePath, args, options), entry, {
    serviceName: 'Burrow engine',
    stdio: 'inherit',
    env: engineProcessEnv(),
    execArgv: [...ENGINE_EXEC_ARGV],
  });
  // The binary test's messages share the engine's port: answered by main, never seen by EngineHost.
  return () => withBinaryTestRelay(spawn(), forkBinaryTest);
}
