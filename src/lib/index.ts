// `import { Reranker } from 'sift'`: the public API (browser; the worker does the model work). This is
// the whole export list: anything not named here is internal.
export { Reranker, type RerankerOptions, type RankOptions, type ProcessOptions, type RankedDocument } from './reranker.ts';
export {
  Library,
  type LibraryOptions,
  type LibraryResult,
  type LibrarySearchOptions,
  type LibrarySearchResults,
  type LibraryStatus,
  type LibraryFolderState,
  type FolderInput,
} from './library.ts';
export { listCachedModels, hasCachedModel, deleteCachedModel, storageEstimate, type CachedModel } from './modelCache.ts';
export {
  SiftError,
  WorkerError,
  MediaError,
  ModelStoreError,
  PromptError,
  RequestError,
  codeOf,
  type MediaErrorCode,
  type PromptErrorCode,
  type StoreErrorKind,
} from './errors.ts';
export type {
  Backend,
  DocumentError,
  EmbedInput,
  EmbedOptions,
  EmbedRequest,
  EmbedResult,
  EmbeddingEvent,
  ImageInput,
  LibraryFolder,
  LibraryHit,
  LibraryIndexSettings,
  LibraryInfo,
  LibraryKind,
  LibraryProgress,
  LibrarySummary,
  LoadProgress,
  ModelInfo,
  ModelSource,
  RerankOptions,
  RerankRequest,
  RerankResult,
  RerankSide,
  ScoreEvent,
  VideoInput,
} from './types.ts';
