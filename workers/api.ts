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
  /** Only this window of the side's video file (seconds, end exclusive), decoded as that clip alone. */
  clip?: { start: number; end: number };
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
  /** The built-in tiny reranker (random weights: for trying things out and tests). */
  | { kind: 'builtin-tiny' }
  /** The built-in tiny embedding model (random weights), for the library. */
  | { kind: 'builtin-tiny-embed' }
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
  /** What the model does: scores (reranker) or vectors (embedding). Missing in models stored before embeddings. */
  kind?: 'reranker' | 'embedding';
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

/** One input to embed: any mix of text, images and a video (or a window of one). */
export interface EmbedInput extends RerankSide {
  /** This input's instruction (else the request's). */
  instruction?: string;
}

export interface EmbedRequest {
  /** The instruction of every input without its own (default "Represent the user's input."). */
  instruction?: string;
  inputs: EmbedInput[];
  /** Keep the first `dims` values, renormalised (Matryoshka; 64 … the model's width). */
  dims?: number;
  fps?: number;
  maxFrames?: number;
}

export interface EmbeddingEvent {
  index: number;
  /** A unit vector, or null when this input failed. */
  embedding: Float32Array | null;
  error?: string;
  code?: string;
  warnings?: string[];
  ms: number;
}

export interface EmbedResult {
  embeddings: (Float32Array | null)[];
  errors: DocumentError[];
  warnings: { index: number; message: string }[];
}

export type EmbedOptions = Omit<RerankOptions, 'reusePrefix'>;

/** A library's folder as the worker receives it: a directory handle, or files picked with their paths. */
export type LibraryFolder =
  { kind: 'handle'; handle: FileSystemDirectoryHandle } | { kind: 'files'; files: { path: string; file: File }[] };

export type LibraryKind = 'image' | 'video' | 'text' | 'image+caption';

/** How an index is built; changing any of these (or the embedding model) asks for a re-index. */
export interface LibraryIndexSettings {
  /** The library's name: each has its own IndexedDB database (default 'default'). */
  name?: string;
  /** The documents' instruction (default "Represent the user's input."). */
  instruction?: string;
  /** Vector dimensions kept (default the model's width). */
  dims?: number;
  /** Stored vector format: 'i8' (default; N × dims bytes) or 'f16' (twice that, closer to the float vectors). */
  format?: 'i8' | 'f16';
  /** Videos longer than 1.5 segments are indexed by overlapping segments of this many seconds (default 10). */
  segmentSeconds?: number;
  /** Inputs per embedding call (default 8). */
  batchInputs?: number;
}

export interface LibraryProgress {
  /** 'listing' while the folder is read, then 'indexing'. */
  phase: 'listing' | 'indexing';
  /** New or changed items embedded (or failed) so far, of `total`. */
  done: number;
  total: number;
  itemsPerSecond: number;
  etaSeconds: number | null;
  current?: string;
}

export interface LibrarySummary {
  /** Entries in the index (files, and segments of long videos). */
  items: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  failed: { path: string; message: string }[];
}

/** One stored entry found by a search (before reranking). */
export interface LibraryHit {
  path: string;
  kind: LibraryKind;
  /** The image's caption file, for 'image+caption'. */
  caption?: string;
  segment: number;
  segments: number;
  start?: number;
  end?: number;
  duration?: number;
  /** Cosine similarity of the stored vector to the query's. */
  similarity: number;
  /** A small JPEG. */
  thumbnail?: Uint8Array;
}

export interface LibraryInfo {
  name: string;
  /** Files indexed, and entries (a long video has one per segment). */
  files: number;
  entries: number;
  /** What the index was built with (null: empty library). */
  model: { id: string; version: string } | null;
  settings: { instruction: string; dims: number; format: 'i8' | 'f16'; segmentSeconds: number } | null;
  /** True when the loaded embedding model is not the one the index was built with; null when none is loaded. */
  needsReindex: boolean | null;
  /** Files that failed in the last indexing run, with why. */
  failed: { path: string; message: string }[];
  lastIndexed: { at: number; summary: LibrarySummary } | null;
  /** True while this worker is indexing. */
  indexing: boolean;
}

/** The library part of the worker's API (the embedding model's worker serves it). */
export interface LibraryApi {
  /** Indexes the folder incrementally into the library (cancel() stops it; calling again resumes). */
  indexLibrary(folder: LibraryFolder, onProgress?: (p: LibraryProgress) => void, settings?: LibraryIndexSettings): Promise<LibrarySummary>;
  /** The `k` entries nearest to the query (exact cosine), best first. */
  searchLibrary(query: EmbedInput, k: number, options?: { name?: string; instruction?: string }): Promise<LibraryHit[]>;
  libraryStatus(name?: string): Promise<LibraryInfo>;
  /** Deletes the library's index (its folder record too). */
  clearLibrary(name?: string): Promise<void>;
}

/** Moments (issue G): which windows of a long video match a query. */
export interface MomentsRequest {
  instruction?: string;
  query: RerankSide;
  /** The video file (URL or File / Blob). Its length is not limited by maxVideoSeconds (each window is). */
  video: string | Blob;
  /** Window length in seconds (default 10). */
  window?: number;
  /** Seconds between window starts (default window / 2; at most window). */
  stride?: number;
  /** Frames per second sampled from each window (reference default 1). */
  fps?: number;
  /** At most this many frames per window (reference default 64). */
  maxFrames?: number;
  /** @deprecated the reference's spelling of `maxFrames`. */
  max_frames?: number;
}

/** One window of a video, scored as `rank` scores that clip as a video document. */
export interface MomentWindow {
  /** Seconds, presentation time; `end` exclusive. */
  start: number;
  end: number;
  score: number | null;
  /** Why the window could not be scored (e.g. a damaged stretch), with its stable code. */
  error?: string;
  code?: string;
}

export interface MomentEvent extends MomentWindow {
  /** The window's position in `windows`. */
  index: number;
  /** How many windows the video has (for progress). */
  total: number;
  /** The video's duration (seconds), as in the result. */
  duration: number;
  ms: number;
}

export interface MomentsResult {
  /** Where the video's last frame ends (seconds). */
  duration: number;
  windows: MomentWindow[];
  /** Indices of the scored windows, best first (ties: earlier first). */
  top: number[];
}

/** Cover frames (issue G): which frame of a video best matches its title. */
export interface CoverOptions {
  /** Frames sampled per second (default 1). */
  fps?: number;
  /** How many best frames `top` lists (default 5). */
  top?: number;
  instruction?: string;
  /** The best frame's image format (default JPEG). */
  imageType?: 'image/jpeg' | 'image/png';
  /** JPEG quality in [0, 1] (default 0.92). */
  imageQuality?: number;
  maxLength?: number;
  fetchTimeoutMs?: number;
  stallTimeoutMs?: number;
}

export interface CoverFrame {
  /** The frame's presentation time (seconds). */
  time: number;
  score: number | null;
  error?: string;
  code?: string;
}

export interface CoverFrameEvent extends CoverFrame {
  index: number;
  /** How many frames are sampled (for progress). */
  total: number;
  ms: number;
}

export interface CoverResult {
  /** Every sampled frame, in time order. */
  frames: CoverFrame[];
  /** Indices of the `top` best frames, best first. */
  top: number[];
  /** The best frame's time (null when no frame could be scored). */
  best: number | null;
  /** The best frame as an image at the video's display size (null as `best`). */
  bestFrame: Blob | null;
  /** The `top` frames as images at the video's display size, best first (`topFrames[0]` is `bestFrame`). */
  topFrames: Blob[];
  /** The video's display size (pixel aspect ratio and rotation applied): the size of `bestFrame`. */
  width: number;
  height: number;
}

/** The moments and covers part of the worker's API (the reranker's worker serves it). */
export interface MomentsApi {
  /** Scores windows of the video against the query, streaming each as it scores; cancel() stops it. */
  moments(request: MomentsRequest, onWindow?: (e: MomentEvent) => void, options?: RerankOptions): Promise<MomentsResult>;
  /** Scores frames sampled at `fps` as images against the title; the best one comes back as an image. */
  coverFrames(title: string, video: string | Blob, options?: CoverOptions, onFrame?: (e: CoverFrameEvent) => void): Promise<CoverResult>;
}

/** The worker's comlink API. Callbacks are passed through `Comlink.proxy`. */
export interface SiftWorkerApi extends LibraryApi, MomentsApi {
  /** Where the worker finds ort/ and models/ (see RerankerOptions.assetsUrl); before the first load only. */
  configure(options: { assetsUrl?: string }): Promise<void>;
  status(): Promise<WorkerStatus>;
  listModels(): Promise<ModelInfo[]>;
  deleteModel(id: string): Promise<void>;
  storageEstimate(): Promise<{ usage: number; quota: number; persisted: boolean }>;
  /** Downloads / converts (unless cached), verifies and compiles. Nothing happens before this is called. */
  load(source: ModelSource, onProgress?: (p: LoadProgress) => void, prefer?: Backend): Promise<ModelInfo>;
  /** Scores documents against a query; refused (code 'wrong-model-kind') when the loaded model is an embedding model. */
  rerank(request: RerankRequest, onScore?: (e: ScoreEvent) => void, options?: RerankOptions): Promise<RerankResult>;
  /** Unit vectors of the inputs; refused (code 'wrong-model-kind') when the loaded model is a reranker. */
  embed(request: EmbedRequest, onEmbedding?: (e: EmbeddingEvent) => void, options?: EmbedOptions): Promise<EmbedResult>;
  /** Cancels the running and queued reranks, embeds, loads and library indexing; they reject with an AbortError. */
  cancel(): Promise<void>;
  /** Memory diagnostics: onnxruntime's wasm heap size and VideoFrames not yet closed. */
  diagnostics(): Promise<{ wasmHeapBytes: number; openVideoFrames: number }>;
  /** Diagnostics (fault tests): destroys the WebGPU device, as a GPU reset would. False when not on WebGPU. */
  debugLoseGpuDevice(): Promise<boolean>;
}
