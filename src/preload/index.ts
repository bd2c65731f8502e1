/**
 * The only bridge between a sandboxed page and Burrow: `window.burrow = { invoke, on, grantFile }`.
 * No raw ipcRenderer, no Node, no logic — main validates everything.
 */
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { BurrowBridge, EventName } from '../shared/contract';
import { IPC_EVENT, IPC_GRANT_FILE, IPC_INVOKE } from '../shared/ipc-channels';

const bridge: BurrowBridge & { grantFile: (file: File, kind?: 'document' | 'adapter') => Promise<string | null> } = {
  /**
   * A File the user dropped or chose has a path on disk; main grants it so documents.add may read
   * it (kind 'adapter': so models.addAdapter may add it), and answers its real path (null when it
   * cannot be granted). A File the page made itself has no path, so a page cannot grant anything
   * the user did not hand over. Main checks `kind`.
   */
  grantFile: async (file, kind = 'document') => {
    const path = webUtils.getPathForFile(file);
    if (!path) return null;
    const granted: unknown = await ipcRenderer.invoke(IPC_GRANT_FILE, path, kind);
    return typeof granted === 'string' ? granted : null;
  },
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
