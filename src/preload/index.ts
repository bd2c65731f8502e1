/**
 * The only bridge between a sandboxed page and Burrow: `window.burrow = { invoke, on }`.
 * No raw ipcRenderer, no Node, no logic — main validates everything.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { BurrowBridge, EventName } from '../shared/contract';
import { IPC_EVENT, IPC_INVOKE } from '../shared/ipc-channels';

const bridge: BurrowBridge = {
  invoke: (name, input) => ipcRenderer.invoke(IPC_INVOKE, name, input),
  on: (name, listener) => {
    const handler = (_event: IpcRendererEvent, eventName: EventName, payload: unknown): void => {
      if (eventName === name) (listener as (payload: unknown) => void)(payload);
    };
    ipcRenderer.on(IPC_EVENT, handler);
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, handler);
    };
  },
};

contextBridge.exposeInMainWorld('burrow', Object.freeze(bridge));
