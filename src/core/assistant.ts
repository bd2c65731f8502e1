/**
 * The core: store + engine + models, behind the contract. Every face (Electron main,
 * browser host, CLI, tests) builds one of these with its own small host capabilities.
 * It builds the services and spreads one handlers module per contract namespace (handlers/).
 */
import { makePrivateDir } from './store/private-files';
import type { CatalogEntry } from '../shared/contract';
import type { Client } from '../shared/client';
import { createRouter, type Handlers, type Router } from '../shared/router';
import { ChatService } from './chat/chat-service';
import { DirectGenerations } from './chat/direct-generations';
import { EngineHost, type EngineHostOptions } from './engine/engine-host';
import { debugEngineLog } from './engine/engine-log';
import { engineSettingsFromEnv } from './engine/settings-env';
import type { EngineSettings, SpawnEngine } from './engine/types';
import { EventHub, type EventListener } from './events/event-hub';
import { ModelAccess } from './models/model-access';
import type { ModelDownloader } from './models/downloader';
import { createModelDownloads, type ModelDownloads } from './models/model-downloads';
import { createLibrary, type Library } from './models/library-service';
import type { EgressGate } from './net/egress';
import { modelsDir, stateDir } from './store/paths';
import { buildFallbackFile, fileBuildFallback } from './engine/build-fallback';
import { scheduleBackups } from './history/backup-schedule';
import { createDocuments, type Documents } from './documents/create-documents';
import { withoutSources } from './documents/document-service';
import { chatHandlers } from './handlers/chat';
import { conversationsHandlers, type ConversationsProcedure } from './handlers/conversations';
import { documentsHandlers } from './handlers/documents';
import { generateHandlers } from './handlers/generate';
import { apiHandlers } from './handlers/api';
import { createRemoteControl, type RemoteControl } from './handlers/remote';
import { historyHandlers } from './handlers/history';
import { libraryHandlers } from './handlers/library';
import { modelsHandlers } from './handlers/models';
import { searchHandlers } from './handlers/search';
import { settingsHandlers } from './handlers/settings';
import { SearchIndex } from './store/search';
import type { SpawnDocumentWorker } from './documents/types';
import type { ExtractionCaps } from './documents/types';
import type { ConversationStore } from './store/conversations';
import { Storage } from './store/storage';
import { createPreferences, type DesktopHost, type Preferences } from './settings/preferences';
import { ApiService } from './api/api-service';
import { connectInProcess } from '../shared/in-process-client';

export interface AssistantHost {
  dataDir: string;
  spawnEngine: SpawnEngine;
  /** Asks the user for a .gguf file (a dialog in the app). Resolves null when they cancel. */
  /** Asks the user for a .gguf file: a model, or (with 'adapter') a LoRA adapter. Null when they cancel. */
  pickModelFile: (kind?: 'model' | 'adapter') => Promise<string | null>;
  /** better-sqlite3 binary built for this runtime's ABI (Electron), when not the default. */
  sqliteNativeBinding?: string;
  /** Overrides BURROW_THREADS / BURROW_GPU / BURROW_CONTEXT_SIZE from the environment. */
  engineSettings?: EngineSettings;
  /** The engine's diagnostics (llama.cpp's warnings; at 'debug', whether a turn was restored or re-evaluated). Default: dropped. */
  onEngineLog?: EngineHostOptions['onLog'];
  /** Load the last used model in the background at start. Default true. */
  autoLoadLastModel?: boolean;
  /** Model files the user handed over on the command line. */
  grantedModels?: string[];
  /** Base URL replacing https://huggingface.co for model downloads (BURROW_MODEL_MIRROR wins). */
  modelMirror?: string;
  /** The egress gate's policy: offline mode, and hosts allowed beyond the model host (tests: loopback). */
  egress?: { offline?: boolean; extraAllowedHosts?: string[] };
  /** Shows a file in the system's file manager (the app); absent where the host cannot (browser host, CLI). */
  revealFile?: (path: string) => Promise<void>;
  /** Replaces the bundled model catalog (tests point it at files a loopback mirror serves). */
  modelCatalog?: CatalogEntry[];
  /** Starts the document extraction process (a utilityProcess in the app). Default: a Node child process. */
  spawnDocumentWorker?: SpawnDocumentWorker;
  /** Asks the user for a document (the Attach button's dialog). Resolves null when they cancel. */
  pickDocumentFile?: () => Promise<string | null>;
  /** Overrides of the document extraction caps (tests). */
  documentCaps?: Partial<ExtractionCaps>;
  /** The desktop app's windows and login items; absent in the browser host and the CLI. */
  desktop?: DesktopHost;
  /** Start the local API server at start when the user left it on. Default true; the CLI passes false (`burrow serve` starts it itself). */
  startApiServer?: boolean;
  /** Model-running API requests at once before the server answers 429 (tests lower it). */
  apiMaxInFlight?: number;
}

export interface Assistant {
  readonly router: Router;
  readonly engine: EngineHost;
  readonly conversations: ConversationStore;
  /** The database: status, backups, restore. */
  readonly storage: Storage;
  readonly models: ModelAccess;
  /** The model library: listing, loading with overrides and memory checks, imports, idle unloading. */
  readonly library: Library;
  readonly chat: ChatService;
  readonly downloads: ModelDownloader;
  readonly egress: EgressGate;
  readonly documents: Documents;
  /** Settings, quick-window conversations, window state: also what the desktop shell reads and reports. */
  readonly preferences: Preferences;
  /** The local OpenAI-compatible API server (off by default). */
  readonly api: ApiService;
  /**
   * Records a document the user handed over (dropped on a window, chosen in a dialog, named on the
   * command line), so documents.add may read it. Returns its real path. Hosts only: never from IPC.
   */
  grantDocument(path: string): string;
  /** Records a LoRA adapter file the user handed over, so models.addAdapter may add it. Returns its real path. Hosts only. */
  grantAdapter(path: string): string;
  subscribe(listener: EventListener): () => void;
  /** Stops answers (keeping their text), stops the engine, closes the database. */
  dispose(): Promise<void>;
}

type ConversationsHandlers = Pick<Handlers, ConversationsProcedure>;

interface Services {
  storage: Storage;
  models: ModelAccess;
  hub: EventHub;
  engine: EngineHost;
  library: Library;
  downloads: ModelDownloads;
  documents: Documents;
  chat: ChatService;
  /** Answers that belong to no conversation (generate.*: the local API). */
  direct: DirectGenerations;
  search: SearchIndex;
  api: ApiService;
  /** Settings → "Use a server": while on, answers come from that server instead of the local model. */
  remote: RemoteControl;
}

function createServices(host: AssistantHost, routerOf: () => Router): Services {
  // Quarantines a damaged file and starts fresh (see store.status); refuses a newer one.
  const storage = Storage.open(host.dataDir, host.sqliteNativeBinding ? { nativeBinding: host.sqliteNativeBinding } : {});
  const { conversations, settings } = storage;
  const models = new ModelAccess(settings, modelsDir(host.dataDir));
  const hub = new EventHub();
  const engine = new EngineHost({
    spawn: host.spawnEngine,
    settings: { stateDir: stateDir(host.dataDir), ...engineSettingsFromEnv(), ...host.engineSettings },
    onStatus: (status) => hub.emit('engine.state', status),
    onLog: host.onEngineLog ?? debugEngineLog(),
    buildFallback: fileBuildFallback(buildFallbackFile(host.dataDir)),
  });

  // Answers that were streaming when Burrow last stopped are kept and marked.
  conversations.markInterrupted();
  const library = createLibrary({
    access: models,
    settings,
    engine,
    emit: hub.emit,
    subscribe: (listener) => hub.subscribe(listener),
    catalog: () => downloads.downloader.catalog(),
    revealFile: host.revealFile,
    runningAnswers: () => chat.runningCount + direct.runningCount,
  });
  const downloads = createModelDownloads({
    modelsDir: modelsDir(host.dataDir),
    modelMirror: host.modelMirror,
    egress: host.egress,
    catalog: host.modelCatalog,
    settings,
    emit: hub.emit,
    onDownloaded: (path) => {
      models.grant(path);
      library.changed('download');
    },
  });
  for (const path of host.grantedModels ?? []) models.grant(path);

  const documents = createDocuments({
    dataDir: host.dataDir,
    storage,
    conversations,
    engine,
    emit: hub.emit,
    ensureModel: (conversationId) => (engine.remote !== null ? Promise.resolve(undefined) : library.ensureModelFor(conversationId)),
    spawnWorker: host.spawnDocumentWorker,
    pickFile: host.pickDocumentFile,
    caps: host.documentCaps,
  });

  const chat = new ChatService({
    conversations,
    engine,
    emit: hub.emit,
    prepareTurn: (turn) => documents.service.prepareTurn(turn),
    withoutFooter: withoutSources,
    hasModel: () => engine.remote !== null || engine.status().model !== null || models.defaultModel() !== null,
    ensureModel: (conversationId) => (engine.remote !== null ? Promise.resolve(undefined) : library.ensureModelFor(conversationId)),
    adaptersIfLoaded: (conversationId) => (engine.remote !== null ? Promise.resolve(null) : library.adaptersIfLoaded(conversationId)),
  });
  const direct = new DirectGenerations({
    engine,
    conversations,
    emit: hub.emit,
    // The local API answers from this computer only, whatever Use a server says.
    hasModel: () => engine.localStatus().model !== null || models.defaultModel() !== null,
    ensureModel: () => library.ensureModelFor(null),
    authorizeModel: (path) => models.authorize(path),
  });
  const search = new SearchIndex(storage.handle);
  const remote = createRemoteControl({ settings, gate: downloads.gate, engine, emit: hub.emit });
  let apiClient: Client | undefined;
  const api = new ApiService({
    settings,
    emit: hub.emit,
    // The server is one more face of this core: it talks to it through the contract's client.
    client: () => (apiClient ??= connectInProcess({ router: routerOf(), subscribe: (listener) => hub.subscribe(listener) })),
    maxInFlight: host.apiMaxInFlight,
  });
  return { storage, models, hub, engine, library, downloads, documents, chat, direct, search, api, remote };
}

function createHandlers(host: AssistantHost, services: Services, preferences: Preferences, conversations: ConversationsHandlers): Handlers {
  const { storage, hub, engine, library, chat } = services;
  const now = Date.now;
  const conversationIds = (): string[] => storage.conversations.list().map((conversation) => conversation.id);
  return {
    ...chatHandlers({
      chat,
      preferences,
      createConversation: () => conversations['conversations.create']({}),
      deleteConversation: async (id) => conversations['conversations.delete']({ id }),
      conversationIds,
    }),
    ...conversations,
    ...searchHandlers(services.search),
    ...historyHandlers({ storage, chat, emit: hub.emit, now }),
    ...settingsHandlers({ preferences, conversationIds, emit: hub.emit }),
    ...modelsHandlers(services.downloads, engine),
    ...libraryHandlers({ library, engine, pickModelFile: host.pickModelFile, revealFile: host.revealFile }),
    ...documentsHandlers(services.documents),
    ...generateHandlers(services.direct),
    ...apiHandlers(services.api),
    ...services.remote.handlers,
  } satisfies Handlers;
}

/**
 * Offline mode (settings, tray): the gate refuses everything, and running downloads pause.
 * A host that starts Burrow offline (tests, `--offline`) cannot be switched back on by the setting.
 */
function followOfflineMode(host: AssistantHost, { hub, downloads, remote }: Services, preferences: Preferences): void {
  const { gate, downloader } = downloads;
  const hostOffline = host.egress?.offline ?? false;
  const applyOfflineMode = (offlineMode: boolean): void => {
    gate.offline = hostOffline || offlineMode;
    if (gate.offline) downloader.pauseAll().catch((error: unknown) => console.error('[burrow] could not pause downloads:', error));
    remote.announce();
  };
  applyOfflineMode(preferences.settings().offlineMode);
  hub.subscribe((name, payload) => {
    if (name === 'settings.changed') applyOfflineMode(payload.offlineMode);
  });
}

export function createAssistant(host: AssistantHost): Assistant {
  makePrivateDir(host.dataDir);
  makePrivateDir(modelsDir(host.dataDir));
  // The API server reaches this core through its router, which exists once the handlers do.
  const built: { router?: Router } = {};
  const services = createServices(host, () => {
    if (built.router === undefined) throw new Error('The router is not ready yet.');
    return built.router;
  });
  const { storage, models, hub, engine, library, chat, documents } = services;
  const { downloader, gate } = services.downloads;
  const stopBackups = scheduleBackups(storage, hub.emit);

  const conversations = conversationsHandlers({ storage, chat, engine, library, emit: hub.emit, now: Date.now, receiving: (id) => documents.service.isReceiving(id) });
  const preferences = createPreferences({
    store: storage.settings,
    dataDir: host.dataDir,
    engine,
    deleteConversation: async (id) => conversations['conversations.delete']({ id }),
    conversationIds: () => storage.conversations.list().map((conversation) => conversation.id),
    emit: hub.emit,
    baseEngineSettings: { ...engineSettingsFromEnv(), ...host.engineSettings },
    desktop: host.desktop,
    revealFile: host.revealFile,
  });
  const handlers = createHandlers(host, services, preferences, conversations);
  preferences.purgeUnsavedQuickConversations().catch(() => undefined);
  followOfflineMode(host, services, preferences);

  const router = createRouter(handlers, {
    onInternalError: (error) => console.error('[burrow] internal error:', error),
  });

  built.router = router;
  if (host.startApiServer ?? true) services.api.startFromSettings().catch((error: unknown) => console.error('[burrow] the local API could not start:', error));

  if (host.autoLoadLastModel ?? true) {
    const last = models.defaultModel();
    if (last !== null) {
      // Errors surface through engine.state; the next send reports them too.
      Promise.resolve()
        .then(() => library.load(models.authorize(last)))
        .catch(() => undefined);
    }
  }

  let disposed: Promise<void> | undefined;
  return {
    router,
    engine,
    conversations: storage.conversations,
    storage,
    models,
    library,
    chat,
    downloads: downloader,
    egress: gate,
    documents,
    preferences,
    api: services.api,
    grantDocument: (path) => documents.access.grant(path),
    grantAdapter: (path) => library.adapters.grant(path),
    subscribe: (listener) => hub.subscribe(listener),
    dispose() {
      disposed ??= (async () => {
        stopBackups();
        // First: no new API request may start an answer while the rest shuts down.
        await services.api.dispose();
        await chat.stopAll();
        await services.direct.stopAll();
        await documents.dispose();
        await downloader.dispose();
        await library.dispose();
        await engine.dispose();
        storage.close();
      })();
      return disposed;
    },
  };
}
