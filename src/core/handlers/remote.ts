/**
 * remote.*: Settings → Engine → "Use a server". While it is on, EngineHost hands every answer
 * (chat, document summaries, the quick prompt) to a RemoteEngine that talks to the user's
 * OpenAI-compatible server through the egress gate. Off by default; the key stays in the core.
 */
import type { ProcedureName, RemoteEngineStatus } from '../../shared/contract';
import { BurrowError, type ErrorValue } from '../../shared/errors';
import type { ParsedInput } from '../../shared/procedure-table';
import type { Handlers } from '../../shared/router';
import type { EngineHost } from '../engine/engine-host';
import { DEFAULT_REMOTE_CONTEXT, hostOf, listRemoteModels, RemoteEngine } from '../engine/remote-engine';
import type { EmitEvent } from '../events/event-hub';
import type { EgressGate } from '../net/egress';
import { RemoteSettingsStore, type StoredRemote } from '../settings/remote-settings';
import type { SettingsStore } from '../store/settings';

export type RemoteProcedure = Extract<ProcedureName, `remote.${string}`>;

export interface RemoteOptions {
  settings: SettingsStore;
  gate: EgressGate;
  engine: EngineHost;
  emit: EmitEvent;
}

export interface RemoteControl {
  readonly handlers: Pick<Handlers, RemoteProcedure>;
  status(): RemoteEngineStatus;
  /** Whether answers go to the server now. */
  active(): boolean;
  /** Tells windows the status again (offline mode changed: the banner says it blocks the server). */
  announce(): void;
}

export function createRemoteControl({ settings, gate, engine, emit }: RemoteOptions): RemoteControl {
  const store = new RemoteSettingsStore(settings);
  const status = (): RemoteEngineStatus => {
    const stored = store.get();
    return { enabled: stored.enabled, url: stored.url, hasKey: stored.apiKey !== null, model: stored.model, error: currentError(stored) };
  };
  const currentError = (stored: StoredRemote): ErrorValue | null => {
    const remote = engine.remote;
    if (!stored.enabled || remote === null) return null;
    const blocked = remote.blockedBecause();
    if (blocked !== null && /offline/i.test(blocked)) return { code: 'refused', message: `Offline mode is on: nothing is sent to ${remote.host}, so answers cannot be written until it is off.` };
    return remote.lastError;
  };
  const announce = (): void => emit('remote.state', status());
  const apply = (stored: StoredRemote): void => {
    if (!stored.enabled || stored.url === null || stored.model === null) {
      engine.useRemote(null);
      return;
    }
    const config = { url: stored.url, apiKey: stored.apiKey, model: stored.model, contextSize: stored.contextSize ?? DEFAULT_REMOTE_CONTEXT };
    const remote: RemoteEngine = new RemoteEngine(config, gate, () => {
      if (engine.remote !== remote) return;
      emit('engine.state', engine.status());
      announce();
    });
    engine.useRemote(remote);
  };

  const configure = async (patch: ParsedInput<'remote.configure'>): Promise<RemoteEngineStatus> => {
    const before = store.get();
    const next = nextSettings(before, patch);
    if (next.enabled) {
      if (next.url === null) throw new BurrowError('invalid_input', 'Type the server’s address first, e.g. http://gpu-box:8080/v1.');
      if (next.model === null) throw new BurrowError('invalid_input', 'Choose the model the server should answer with (Test lists them).');
      const changed = !before.enabled || before.url !== next.url || before.apiKey !== next.apiKey || before.model !== next.model;
      if (changed) {
        // Turning it on checks the server answers and has the model: a typo is caught here, not in the first chat.
        const { models, contextSizes } = await listRemoteModels(gate, next.url, next.apiKey);
        if (!models.includes(next.model)) {
          throw new BurrowError('not_found', `The server at ${hostOf(next.url)} has no model named “${next.model}”. It has: ${models.slice(0, 10).join(', ')}.`);
        }
        next.contextSize = contextSizes.get(next.model) ?? null;
      }
    }
    store.set(next);
    if (next.enabled !== before.enabled || next.url !== before.url || next.apiKey !== before.apiKey || next.model !== before.model) apply(next);
    const current = status();
    emit('remote.state', current);
    return current;
  };

  apply(store.get());
  return {
    status,
    active: () => engine.remote !== null,
    announce,
    handlers: {
      'remote.status': status,
      'remote.configure': configure,
      'remote.test': async ({ url, apiKey }) => {
        const stored = store.get();
        // The window never holds the saved key: Test of the saved server uses it unless another is typed.
        const key = apiKey !== undefined && apiKey.length > 0 ? apiKey : sameOrigin(stored.url, url) ? stored.apiKey : null;
        const { models } = await listRemoteModels(gate, url, key);
        return { models };
      },
    },
  };
}

/**
 * The settings after a patch. A key belongs to the server it was typed for: moving to another
 * address without typing a key drops the old one rather than sending it somewhere new.
 */
function nextSettings(before: StoredRemote, patch: ParsedInput<'remote.configure'>): StoredRemote {
  const url = patch.url === undefined ? before.url : normalizeUrl(patch.url);
  let apiKey = before.apiKey;
  if (patch.apiKey !== undefined) apiKey = patch.apiKey === null || patch.apiKey.length === 0 ? null : patch.apiKey;
  else if (!sameOrigin(before.url, url)) apiKey = null;
  const model = patch.model ?? (url === before.url ? before.model : null);
  return { enabled: patch.enabled ?? before.enabled, url, apiKey, model, contextSize: before.contextSize };
}

function normalizeUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new BurrowError('invalid_input', 'That is not a web address. It should look like http://gpu-box:8080/v1.');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new BurrowError('invalid_input', 'Put the key in the Key field, not in the address.');
  }
  parsed.search = '';
  parsed.hash = '';
  return parsed.toString().replace(/\/+$/, '');
}

function sameOrigin(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return false;
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
