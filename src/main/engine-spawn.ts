import { utilityProcess } from 'electron';
import type { EngineChannel, SpawnEngine } from '../core/engine/types';

/** The engine in an Electron utilityProcess: a crash there is not a crash of the app. */
export function spawnUtilityEngine(entry: string): SpawnEngine {
  return (): EngineChannel => {
    const child = utilityProcess.fork(entry, [], { serviceName: 'Burrow engine', stdio: 'inherit' });
    return {
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
  };
}
