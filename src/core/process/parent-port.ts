/**
 * The engine process's line to its host, whichever way it was started: as an Electron
 * utilityProcess (`process.parentPort`, which exists only there) or as a Node child forked
 * with an IPC channel (`process.send`). No `electron` import: core must run without it.
 */

export interface ParentPort {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): void;
  /** Called when the host is gone, so the engine does not outlive it. */
  onDisconnect(listener: () => void): void;
}

/** The shape of Electron's `process.parentPort` that we use. */
interface ElectronParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function connectToParent(): ParentPort {
  const electronPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (electronPort !== undefined) {
    return {
      send: (message) => electronPort.postMessage(message),
      onMessage: (listener) => electronPort.on('message', (event) => listener(event.data)),
      // Electron ends utility processes together with the app.
      onDisconnect: () => undefined,
    };
  }
  const send = process.send?.bind(process);
  if (send === undefined) {
    throw new Error('The Burrow engine must be started by Burrow itself (it found no IPC channel to talk over).');
  }
  return {
    send: (message) => {
      // After the host has gone, sends fail; the disconnect handler ends the process.
      if (process.connected) send(message, undefined, undefined, () => undefined);
    },
    onMessage: (listener) => process.on('message', listener),
    onDisconnect: (listener) => process.once('disconnect', listener),
  };
}
