import { utilityProcess } from 'electron';
import { ENGINE_EXEC_ARGV, engineProcessEnv } from '../core/engine/engine-env';
import type { EngineChannel, SpawnEngine } from '../core/engine/types';
import { withBinaryTestRelay, type ForkTestProcess } from './binary-test-relay';

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
  return (): EngineChannel => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'Burrow engine', stdio: 'inherit', env: engineProcessEnv(), execArgv: [...ENGINE_EXEC_ARGV] });
    const channel: EngineChannel = {
      get pid() {
        return child.pid;
      },
      send: (message) => child.postMessage(message),
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) => child.once('exit', (code) => listener({ code, signal: null })),
      kill: () => {
        child.kill();
      },
    };
    // The binary test's messages share the engine's port: answered by main, never seen by EngineHost.
    return withBinaryTestRelay(channel, forkBinaryTest);
  };
}
