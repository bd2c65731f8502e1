/**
 * The core: store + engine + models, behind the contract. Every face (Electron main,
 * browser host, CLI, tests) builds one of these with its own small host capabilities.
 */
import { mkdirSync } from 'node:fs';
import type { EngineStatus } from '../shared/contract';
import { BurrowError } from '../shared/errors';
import { createRouter, type Handlers, type Router } from '../shared/router';
import { ChatService } from './chat/chat-service';
import { EngineHost } from './engine/engine-host';
import { engineSettingsFromEnv } from './engine/settings-env';
import type { EngineSettings, SpawnEngine } from './engine/types';
import { EventHub, type EventListener } from './events';
import { ModelAccess } from './models/model-access';
import { modelsDir } from './paths';
import { ConversationStore } from './store/conversations';
import { closeDatabase, databasePath, openDatabase } from './store/database';
import { SettingsStore } from './store/settings';

export interface AssistantHost {
  dataDir: string;
  spawnEngine: SpawnEngine;
  /** Asks the user for a .gguf file (a dialog in the app). Resolves null when they cancel. */
  pickModelFile: () => Promise<string | null>;
  /** better-sqlite3 binary built for this runtime's ABI (Electron), when not the default. */
  sqliteNativeBinding?: string;
  /** Overrides BURROW_THREADS / BURROW_GPU / BURROW_CONTEXT_SIZE from the environment. */
  engineSettings?: EngineSettings;
  /** Load the last used model in the background at start. Default true. */
  autoLoadLastModel?: boolean;
  /** Model files the user handed over on the command line. */
  grantedModels?: string[];
}

export interface Assistant {
  readonly router: Router;
  readonly engine: EngineHost;
  readonly conversations: ConversationStore;
  readonly models: ModelAccess;
  readonly chat: ChatService;
  subscribe(listener: EventListener): () => void;
  /** Stops answers (keeping their text), stops the engine, closes the database. */
  dispose(): Promise<void>;
}

export function createAssistant(host: AssistantHost): Assistant {
  mkdirSync(modelsDir(host.dataDir), { recursive: true });
  const db = openDatabase(databasePath(host.dataDir), host.sqliteNativeBinding ? { nativeBinding: host.sqliteNativeBinding } : {});
  const conversations = new ConversationStore(db);
  const settings = new SettingsStore(db);
  const models = new ModelAccess(settings, modelsDir(host.dataDir));
  const hub = new EventHub();
  const engine = new EngineHost({
    spawn: host.spawnEngine,
    settings: { ...engineSettingsFromEnv(), ...host.engineSettings },
    onStatus: (status) => hub.emit('engine.state', status),
  });

  // Answers that were streaming when Burrow last stopped are kept and marked.
  conversations.markInterrupted();
  for (const path of host.grantedModels ?? []) models.grant(path);

  async function loadModel(path: string): Promise<EngineStatus> {
    const status = await engine.load(path);
    models.setLast(path);
    return status;
  }

  const chat = new ChatService({
    conversations,
    engine,
    emit: hub.emit,
    hasModel: () => engine.status().model !== null || models.last() !== null,
    ensureModel: async () => {
      if (engine.status().model !== null) return;
      const last = models.last();
      if (last === null) throw new BurrowError('no_model', 'No model is loaded. Open a .gguf model file to start chatting.');
      await loadModel(models.authorize(last));
    },
  });

  const handlers = {
    'conversations.list': () => conversations.list(),
    'conversations.create': ({ title }) => {
      const conversation = conversations.create(title);
      hub.emit('conversations.changed', { id: conversation.id });
      return conversation;
    },
    'conversations.get': ({ id }) => conversations.get(id),
    'conversations.rename': ({ id, title }) => {
      const conversation = conversations.rename(id, title);
      hub.emit('conversations.changed', { id });
      return conversation;
    },
    'conversations.delete': async ({ id }) => {
      for (const [generationId, running] of chat.runningFor(id)) {
        chat.cancel(generationId);
        await running;
      }
      conversations.delete(id);
      hub.emit('conversations.changed', { id });
      return { id };
    },
    'chat.send': ({ conversationId, text }) => chat.send(conversationId, text),
    'chat.cancel': ({ generationId }) => ({ cancelled: chat.cancel(generationId) }),
    'models.openLocal': async () => {
      const picked = await host.pickModelFile();
      if (picked === null) return { status: null };
      return { status: await loadModel(models.grant(picked)) };
    },
    'models.load': ({ path }) => loadModel(models.authorize(path)),
    'engine.status': () => engine.status(),
  } satisfies Handlers;

  const router = createRouter(handlers, {
    onInternalError: (error) => console.error('[burrow] internal error:', error),
  });

  if (host.autoLoadLastModel ?? true) {
    const last = models.last();
    if (last !== null) {
      // Errors surface through engine.state; the next send reports them too.
      Promise.resolve()
        .then(() => loadModel(models.authorize(last)))
        .catch(() => undefined);
    }
  }

  let disposed: Promise<void> | undefined;
  return {
    router,
    engine,
    conversations,
    models,
    chat,
    subscribe: (listener) => hub.subscribe(listener),
    dispose() {
      disposed ??= (async () => {
        await chat.stopAll();
        await engine.dispose();
        closeDatabase(db);
      })();
      return disposed;
    },
  };
}
