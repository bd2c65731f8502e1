/**
 * The models procedures that touch the network — the catalog, downloads and the egress log —
 * and the engine's status. The renderer can name a catalog entry and a download id, never a URL.
 */
import type { Handlers } from '../../shared/router';
import type { EngineHost } from '../engine/engine-host';
import type { ModelDownloads } from '../models/model-downloads';

export type ModelsProcedure =
  | 'engine.status'
  | 'models.catalog'
  | 'models.download'
  | 'models.downloads'
  | 'models.pauseDownload'
  | 'models.resumeDownload'
  | 'models.cancelDownload'
  | 'network.log';

export function modelsHandlers({ gate, downloader }: ModelDownloads, engine: EngineHost): Pick<Handlers, ModelsProcedure> {
  return {
    'engine.status': () => engine.status(),
    'models.catalog': () => downloader.catalog(),
    'models.download': ({ catalogId }) => ({ downloadId: downloader.start(catalogId).downloadId }),
    'models.downloads': () => downloader.list(),
    'models.pauseDownload': ({ downloadId }) => downloader.pause(downloadId),
    'models.resumeDownload': ({ downloadId }) => downloader.resume(downloadId),
    'models.cancelDownload': ({ downloadId }) => downloader.cancel(downloadId),
    'network.log': () => gate.log(),
  };
}
