/** The documents procedures: add, pick and upload a document, summarise it, read its passages, remove it. */
import type { ProcedureName } from '../../shared/contract';
import type { Handlers } from '../../shared/router';
import type { Documents } from '../documents/create-documents';

export type DocumentsProcedure = Extract<ProcedureName, `documents.${string}`>;

export function documentsHandlers({ service, uploads }: Documents): Pick<Handlers, DocumentsProcedure> {
  return {
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
}
