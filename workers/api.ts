// The model worker's API and the types it exchanges (public: src/lib re-exports them).
// The comlink surface is `SiftWorkerApi`; `Reranker` (src/lib/reranker.ts) wraps it for library users.

/** An image: URL (http(s), data:, blob:), bare base64, a File/Blob, or an ImageBitmap. */
export type ImageInput = string | Blob | ImageBitmap;
/** A video: a file/URL, or a list of frame images. */
export type VideoInput = string | Blob | ImageInput[];

export interface RerankSide {
  text?: string | string[];
  image?: ImageInput | ImageInput[];
  video?: VideoInput | VideoInput[];
}

/**
 * A request: the query, the documents to score against it, and how to sample videos. `maxFrames` is
 * the public name; `max_frames` (the reference's `process` shape, and the CLI's JSON) is accepted too.
 */
export interface RerankRequest {
  instruction?: string;
  query: RerankSide;
  documents: RerankSide[];
  /** Frames per second sampled from videos (reference default 1). */
  fps?: number;
  /** At most this many frames per video (reference default 64). */
  maxFrames?: number;
  /** @deprecated the reference's spelling of `maxFrames`. */
  max_frames?: number;
}

/** Why one document got no score. `code` is stable (MediaError codes, 'too-large', 'internal', …). */
export interface DocumentError {
  /** Position of the document in the request. */
  index: number;
  code: string;
  message: string;
}

export interface ScoreEvent {
  index: number;
  /** Relevance in [0, 1] (the UI shows ×100), or null when this document failed. */
  score: number | null;
  /** When this document failed: why (the message of `code`). */
  error?: string;
  /** When this document failed: the stable code of its error. */
  code?: string;
  warnings?: string[];
  /** Milliseconds spent on this document (media + model). */
  ms: number;
}

export interface RerankResult {
  scores: (number | null)[];
  errors: DocumentError[];
  warnings: { index: number; message: string }[];
}

export interface RerankOptions {
  /**
   * Token budget per document prompt (reference default 10,240). A document's text is cut from its end;
   * when even the query does not fit, the request fails (code 'query-truncated').
   */
  maxLength?: number;
  /** Longest instruction, query text or document text, in characters (default 4,194,304; above: code 'text-too-long'). */
  maxTextChars?: number;
  /** Longest video accepted, in seconds (default 30 in the app). */
  maxVideoSeconds?: number;
  /** Reuse the query's KV cache across documents (default true). */
  reusePrefix?: boolean;
  /** A media URL whose server has not started answering after this many ms fails its document (default 30 000). */
  fetchTimeoutMs?: number;
  /** A media download that receives nothing for this many ms fails its document (default 15 000). */
  stallTimeoutMs?: number;
  /** An image above this many pixels fails its document before it is decoded (default 89,478,485: PIL's bomb threshold). */
  maxImagePixels?: number;
}

export type ModelSource =
  | { kind: 'builtin-tiny' }
  /** A converted model: URL of its manifest.json (e.g. made by `sift convert`, hosted beside the site). */
  | { kind: 'manifest'; url: string }
  /** An official safetensors checkpoint, converted in the worker with HTTP Range requests. */
  | { kind: 'checkpoint'; url: string; id: string; bits?: 4 | 8 | 32 };

export interface ModelInfo {
  id: string;
  version: string;
  label: string;
  bytes: number;
  state: 'downloading' | 'ready';
  randomWeights: boolean;
  /** Once loaded: how its graphs were built (see LoadedModel.graphs; 'in-place' on WASM for ORT-format graphs). */
  graphs?: 'in-place' | 'ort' | 'onnx';
}

export interface LoadProgress {
  phase: 'manifest' | 'download' | 'convert' | 'verify' | 'compile' | 'ready';
  done: number;
  total: number;
  /** MB per second over the phase so far. */
  mbps?: number;
  file?: string;
  fileIndex?: number;
  fileCount?: number;
  etaSeconds?: number;
  message?: string;
}

export type Backend = 'webgpu' | 'wasm';

export interface WorkerStatus {
  backend: Backend | null;
  /** Why this backend: e.g. "WebGPU adapter found (swiftshader)" or "no WebGPU adapter: using WASM". */
  backendReason: string;
  model: ModelInfo | null;
  crossOriginIsolated: boolean;
  threads: number;
}

/** The worker's comlink API. Callbacks are passed through `Comlink.proxy`. */
export interface SiftWorkerApi {
  /** Where the worker finds ort/ and models/ (see RerankerOptions.assetsUrl); before the first load only. */
  configure(options: { assetsUrl?: string }): Promise<void>;
  status(): Promise<WorkerStatus>;
  listModels(): Promise<ModelInfo[]>;
  deleteModel(id: string): Promise<void>;
  storageEstimate(): Promise<{ usage: number; quota: number; persisted: boolean }>;
  /** Downloads / converts (unless cached), verifies and compiles. Nothing happens before this is called. */
  load(source: ModelSource, onProgress?: (p: LoadProgress) => void, prefer?: Backend): Promise<ModelInfo>;
  rerank(request: RerankRequest, onScore?: (e: ScoreEvent) => void, options?: RerankOptions): Promise<RerankResult>;
  /** Cancels the running and queued reranks and loads; they reject with an AbortError. */
  cancel(): Promise<void>;
  /** Memory diagnostics: onnxruntime's wasm heap size and VideoFrames not yet closed. */
  diagnostics(): Promise<{ wasmHeapBytes: number; openVideoFrames: number }>;
  /** Diagnostics (fault tests): destroys the WebGPU device, as a GPU reset would. False when not on WebGPU. */
  debugLoseGpuDevice(): Promise<boolean>;
}
