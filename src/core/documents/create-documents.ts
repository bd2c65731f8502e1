/**
 * Builds the document service with its store, uploads and extraction process (the
 * procedures are in handlers/documents.ts).
 */
import { join } from 'node:path';
import type { AppliedAdapter } from '../../shared/contract';
import type { EmitEvent } from '../events/event-hub';
import type { ConversationStore } from '../store/conversations';
import type { Storage } from '../store/storage';
import { DocumentAccess } from './document-access';
import { DocumentService, type DocumentEngine } from './document-service';
import { spawnNodeDocumentWorker } from '../process/node-spawn';
import { DocumentStore } from '../store/document-store';
import { DocumentUploads } from './document-uploads';
import { DocumentExtractor } from './extractor';
import type { ExtractionCaps, SpawnDocumentWorker } from './types';

export interface DocumentsOptions {
  dataDir: string;
  storage: Storage;
  conversations: ConversationStore;
  engine: DocumentEngine;
  emit: EmitEvent;
  ensureModel: (conversationId: string) => Promise<readonly AppliedAdapter[] | undefined | void>;
  /** Starts the extraction process. Default: a Node child (the app passes a utilityProcess spawner). */
  spawnWorker?: SpawnDocumentWorker | undefined;
  pickFile?: (() => Promise<string | null>) | undefined;
  /** Overrides of the extraction caps (tests). */
  caps?: Partial<ExtractionCaps> | undefined;
}

export interface Documents {
  readonly service: DocumentService;
  readonly access: DocumentAccess;
  readonly extractor: DocumentExtractor;
  readonly uploads: DocumentUploads;
  dispose(): Promise<void>;
}

export function createDocuments(options: DocumentsOptions): Documents {
  const store = new DocumentStore(options.storage.handle);
  const extractor = new DocumentExtractor({ spawn: options.spawnWorker ?? spawnNodeDocumentWorker(), ...(options.caps ? { caps: options.caps } : {}) });
  const access = new DocumentAccess();
  const uploads = new DocumentUploads(join(options.dataDir, 'uploads'), extractor.caps);
  const service = new DocumentService({
    store,
    conversations: options.conversations,
    extractor,
    access,
    uploads,
    engine: options.engine,
    emit: options.emit,
    ensureModel: options.ensureModel,
    ...(options.pickFile ? { pickFile: options.pickFile } : {}),
  });
  return {
    service,
    access,
    extractor,
    uploads,
    async dispose() {
      await service.stopAll();
      uploads.dispose();
      await extractor.dispose();
    },
  };
}
