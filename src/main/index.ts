/**
 * The Electron shell: windows, IPC transport, dialogs. Thin glue — everything that could run
 * without Electron lives in src/core.
 */
import { app, BrowserWindow, dialog, ipcMain, session, shell, utilityProcess, type IpcMainInvokeEvent } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAssistant, type Assistant } from '../core/assistant';
import { resolveDataDir } from '../core/store/paths';
import { findProjectRoot } from '../core/process/project-root';
import { IPC_EVENT, IPC_GRANT_FILE, IPC_INVOKE } from '../shared/ipc-channels';
import { grantDroppedFile, pickDocument, spawnUtilityDocumentWorker } from './document-host';
import { spawnUtilityEngine } from './engine-spawn';
import { electronSqliteBinding } from './native';
import { registerAppScheme, serveRenderer } from './protocol';
import { dropDevRendererUrl, isTrustedSender } from './policy';
import { isPermissionAllowed } from './permissions';
import { blockRemoteRequests } from './request-gate';
import { lockDown } from './windows';
import { createDesktopShell, prepareDesktopSwitches, singleInstanceData } from './desktop';
import { followDownloadProgress } from './taskbar-progress';

// Before anything reads it: windows, the request gate and the IPC sender check all trust it.
dropDevRendererUrl(process.env, app.isPackaged);
const here = fileURLToPath(new URL('.', import.meta.url));
app.setName('Burrow');
registerAppScheme();
prepareDesktopSwitches();

// A second launch (`burrow --quick` included) is handed to this one: see desktop.secondInstance.
if (!app.requestSingleInstanceLock(singleInstanceData(process.argv))) {
  app.quit();
} else {
  void start();
}

let mainWindow: BrowserWindow | undefined;

async function start(): Promise<void> {
  await app.whenReady();
  const projectRoot = findProjectRoot(import.meta.url);
  serveRenderer(join(here, '..', 'renderer'));
  // Refused, all of them, but the clipboard for our own pages (Copy; the quick window's "Use clipboard").
  session.defaultSession.setPermissionRequestHandler((_contents, permission, callback, details) => callback(isPermissionAllowed(permission, details.requestingUrl)));
  session.defaultSession.setPermissionCheckHandler((_contents, permission, requestingOrigin) => isPermissionAllowed(permission, requestingOrigin));
  app.on('web-contents-created', (_event, contents) => lockDown(contents));

  const binding = electronSqliteBinding(projectRoot);
  const desktop = createDesktopShell({
    preload: join(here, '..', 'preload', 'index.cjs'),
    argv: process.argv,
    onMainWindow: (window) => (mainWindow = window),
  });
  const assistant = createAssistant({
    desktop: desktop.host,
    dataDir: resolveDataDir({ electronUserData: app.getPath('userData') }),
    spawnEngine: spawnUtilityEngine(join(here, 'engine-worker.js')),
    // Untrusted files are parsed in their own utilityProcess, heap-capped: a hostile file costs a worker, never the app.
    spawnDocumentWorker: spawnUtilityDocumentWorker((modulePath, args, options) => utilityProcess.fork(modulePath, args, options), join(here, 'document-worker.js')),
    pickDocumentFile: () => pickDocument((options) => (mainWindow ? dialog.showOpenDialog(mainWindow, options) : dialog.showOpenDialog(options))),
    ...(binding ? { sqliteNativeBinding: binding } : {}),
    pickModelFile: async (kind = 'model') => {
      const options =
        kind === 'adapter'
          ? { title: 'Add a LoRA adapter', properties: ['openFile' as const], filters: [{ name: 'GGUF LoRA adapters', extensions: ['gguf'] }] }
          : { title: 'Open a GGUF model', properties: ['openFile' as const], filters: [{ name: 'GGUF models', extensions: ['gguf'] }] };
      const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    revealFile: (path) => {
      shell.showItemInFolder(path);
      return Promise.resolve();
    },
  });
  serveIpc(assistant);
  // Windows load only our own pages; anything else is blocked and shows in the network log.
  blockRemoteRequests(session.defaultSession.webRequest, (url) => assistant.egress.recordBlocked(url, 'window request', 'Burrow windows only load their own pages'));
  // The spellchecker stays off and has nowhere to download dictionaries from.
  session.defaultSession.setSpellCheckerEnabled(false);
  session.defaultSession.setSpellCheckerDictionaryDownloadURL('http://127.0.0.1:9/');
  followDownloadProgress(
    (listener) => assistant.subscribe(listener),
    ({ value, mode }) => {
      for (const window of BrowserWindow.getAllWindows()) if (!window.isDestroyed()) window.setProgressBar(value, { mode });
    },
  );
  handleQuit(assistant);

  desktop.start(assistant);
  app.on('second-instance', (_event, argv, additionalData) => desktop.secondInstance(argv, additionalData));
  app.on('activate', () => desktop.showMainWindow(null));
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
  // A file dropped on (or chosen in) one of our windows: only our preload sends these (see preload/index.ts).
  ipcMain.handle(IPC_GRANT_FILE, (event, path: unknown, kind: unknown) =>
    grantDroppedFile(fromOurWindow(event), path, kind, { document: (granted) => assistant.grantDocument(granted), adapter: (granted) => assistant.grantAdapter(granted) }),
  );
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
