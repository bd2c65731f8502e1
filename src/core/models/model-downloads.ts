/**
 * The part of models that touches the network: the egress gate and the downloader, wired to
 * the event hub (the procedures are in handlers/models.ts).
 */
import { z } from 'zod';
import type { CatalogEntry } from '../../shared/contract';
import type { EmitEvent } from '../events/event-hub';
import { EgressGate } from '../net/egress';
import type { SettingsStore } from '../store/settings';
import { configuredMirror, mirrorHost } from './catalog';
import { ModelDownloader } from './downloader';

/** Settings key for the model mirror (a base URL). */
export const MIRROR_SETTING = 'models.mirror';

export interface ModelDownloads {
  gate: EgressGate;
  downloader: ModelDownloader;
}

export interface ModelDownloadsOptions {
  modelsDir: string;
  /** The host's mirror, else the `models.mirror` setting; BURROW_MODEL_MIRROR wins over both. */
  modelMirror?: string | undefined;
  settings?: SettingsStore;
  egress?: { offline?: boolean; extraAllowedHosts?: string[] } | undefined;
  emit: EmitEvent;
  /** Called with each finished model file, so it can be loaded. */
  onDownloaded: (path: string) => void;
  env?: NodeJS.ProcessEnv;
  /** Replaces the bundled catalog (tests: models served from a loopback mirror). */
  catalog?: CatalogEntry[] | undefined;
}

/** The egress gate and the downloader, wired to the event hub. Unfinished downloads come back paused. */
export function createModelDownloads(options: ModelDownloadsOptions): ModelDownloads {
  const configured = options.modelMirror ?? options.settings?.get(MIRROR_SETTING, z.string().max(2048).nullable(), null);
  const mirror = configuredMirror(configured, options.env ?? process.env);
  const mirrorHostname = mirrorHost(mirror);
  const gate = new EgressGate({
    offline: options.egress?.offline ?? false,
    extraAllowedHosts: [...(options.egress?.extraAllowedHosts ?? []), ...(mirrorHostname === null ? [] : [mirrorHostname])],
  });
  const downloader = new ModelDownloader({
    gate,
    modelsDir: options.modelsDir,
    ...(mirror === undefined ? {} : { mirror }),
    ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
  });
  gate.onAttempt((attempt) => options.emit('network.attempt', attempt));
  downloader.onStatus((status) => {
    if (status.state === 'done' && status.path !== null) {
      try {
        options.onDownloaded(status.path);
      } catch (error) {
        console.error('[burrow] could not register a downloaded model:', error);
      }
    }
    options.emit('download.progress', status);
  });
  downloader.resumeAll().catch((error: unknown) => console.error('[burrow] could not restore unfinished downloads:', error));
  return { gate, downloader };
}
