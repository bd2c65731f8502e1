/**
 * The Electron shell: windows, IPC transport, dialogs. Thin glue — everything that could run
 * without Electron lives in src/core.
 */
import { app, BrowserWindow, dialog, ipcMain, session, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAssistant, type Assistant } from '../core/assistant';
import { resolveDataDir } from '../core/paths';
import { findProjectRoot } from '../core/project-root';
import { IPC_EVENT, IPC_INVOKE } from '../shared/ipc-channels';
import { spawnUtilityEngine } from './engine-spawn';
import { electronSqliteBinding } from './native';
import { registerAppScheme, serveRenderer } from './protocol';
import { isTrustedSender } from './policy';
import { createMainWindow, lockDown } from './windows';

const here = fileURLToPath(new URL('.', import.meta.url));
app.setName('Burrow');
registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  void start();
}

let mainWindow: BrowserWindow | undefined;

async function start(): Promise<void> {
  await app.whenReady();
  const projectRoot = findProjectRoot(import.meta.url);
  serveRenderer(join(here, '..', 'renderer'));
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  app.on('web-contents-created', (_event, contents) => lockDown(contents));

  const binding = electronSqliteBinding(projectRoot);
  const assistant = createAssistant({
    dataDir: resolveDataDir({ electronUserData: app.getPath('userData') }),
    spawnEngine: spawnUtilityEngine(join(here, 'engine-worker.js')),
    ...(binding ? { sqliteNativeBinding: binding } : {}),
    pickModelFile: async () => {
      const options = { title: 'Open a GGUF model', properties: ['openFile' as const], filters: [{ name: 'GGUF models', extensions: ['gguf'] }] };
      const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
  });
  serveIpc(assistant);
  handleQuit(assistant);

  mainWindow = createMainWindow(join(here, '..', 'preload', 'index.cjs'));
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) mainWindow = createMainWindow(join(here, '..', 'preload', 'index.cjs'));
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}

/** Only our own windows' main frames may call the core. */
function fromOurWindow(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return isTrustedSender({ ownWindow: BrowserWindow.fromWebContents(event.sender) !== null, frameIsMainFrame: frame !== null && frame === event.sender.mainFrame, frameUrl: frame?.url });
}

function serveIpc(assistant: Assistant): void {
  ipcMain.handle(IPC_INVOKE, (event, name: unknown, input: unknown) => {
    if (!fromOurWindow(event)) return { ok: false, error: { code: 'refused', message: 'Refused: not a Burrow window.' } };
    return assistant.router.call(name, input);
  });
  assistant.subscribe((name, payload) => {
    for (const window of BrowserWindow.getAllWindows()) {
      if (!window.isDestroyed()) window.webContents.send(IPC_EVENT, name, payload);
    }
  });
}

/** Keeps a streaming reply and closes the database cleanly before the process ends. */
function handleQuit(assistant: Assistant): void {
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing) return;
    closing = true;
    event.preventDefault();
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, 5000));
    void Promise.race([assistant.dispose(), deadline]).finally(() => app.exit(0));
  });
}
