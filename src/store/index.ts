// The model store: converted models downloaded into IndexedDB, verified, resumable, readable offline.
// It depends on nothing above it (no engine, UI or worker code), only on the manifest types.
export { downloadModel, DEFAULT_CHUNK_BYTES, type DownloadOptions, type DownloadReport } from './downloadModel.ts';
export {
  readModelFile,
  loadReadyModel,
  readyModelFromUrl,
  listModels,
  deleteModel,
  type ReadyModel,
  type ModelSummary,
} from './readModel.ts';
export { createModelWriter, type ModelWriter } from './writeModel.ts';
export { ModelStoreError, megabytes, type StoreErrorKind } from './errors.ts';
export type { DownloadProgress, DownloadPhase } from './progress.ts';
export type { ModelState } from './db.ts';
export { openModelReader, type ModelFileReader } from './readAhead.ts';
