/**
 * The documents part of the contract: builds the document service with its extraction
 * process, and its handlers, spread into assistant.ts's handler map.
 */
import { join } from 'node:path';
import type { Handlers } from '../../shared/router';
import type { EmitEvent } from '../events/event-hub';
import type { ConversationStore } from '../store/conversations';
import type { Storage } from '../store/storage';
import { DocumentAccess } from './document-access';
import { DocumentService, type DocumentEngine } from './document-service';
import { spawnNodeDocumentWorker, type SpawnDocumentWorker } from '../process/document-spawn';
import { DocumentStore } from '../store/document-store';
import { DocumentUploads } from './document-uploads';
import { DocumentExtractor } from './extractor';
import type { ExtractionCaps } from './types';

export type DocumentProcedures =
  | 'documents.add'
  | 'documents.pick'
  | 'documents.uploadBegin'
  | 'documents.uploadChunk'
  | 'documents.uploadFinish'
  | 'documents.uploadCancel'
  | 'documents.summarize'
  | 'documents.cancel'
  | 'documents.get'
  | 'documents.passage'
  | 'documents.list'
  | 'documents.remove';

export interface DocumentsOptions {
  dataDir: string;
  storage: Storage;
  conversations: ConversationStore;
  engine: DocumentEngine;
  emit: EmitEvent;
  ensureModel: (conversationId: string) => Promise<void>;
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
  readonly handlers: Pick<Handlers, DocumentProcedures>;
  dispose(): Promise<void>;
}

export function createDocuments(options: DocumentsOptions): Documents {
  const store = options.storage.use(new DocumentStore(options.storage.db));
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
  const handlers: Pick<Handlers, DocumentProcedures> = {
    'documents.add': ({ path, conversationId }) => service.add(path, conversationId),
    'documents.pick': async ({ conversationId }) => ({ document: await service.pick(conversationId) }),
    'documents.uploadBegin': (input) => uploads.begin(input),
    'documents.uploadChunk': (input) => uploads.chunk(input),
    'documents.uploadFinish': ({ uploadId }) => service.finishUpload(uploadId),
    'documents.uploadCancel': ({ uploadId }) => ({ cancelled: uploads.cancel(uploadId) }),
    'documents.summarize': ({ documentId, style, focus }) => service.summarize(documentId, style, focus ?? null),
    'documents.cancel': ({ summaryId }) => ({ cancelled: service.cancel(summaryId) }),
    'documents.get': ({ documentId }) => service.get(documentId),
    'documents.passage': ({ documentId, reference, chunkId }) => service.passage(documentId, { reference, chunkId }),
    'documents.list': ({ conversationId }) => service.list(conversationId),
    'documents.remove': async ({ documentId }) => {
      await service.remove(documentId);
      return { documentId };
    },
  };
  return {
    service,
    access,
    extractor,
    handlers,
    async dispose() {
      await service.stopAll();
      uploads.dispose();
      await extractor.dispose();
    },
  };
}
