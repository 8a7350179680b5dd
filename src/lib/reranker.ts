// The public API: `new Reranker({ model })`, then `rank(request)` → the documents sorted by relevance,
// or `process(request)` → one score per document in the reference's shape. Everything runs in the Sift
// worker (workers/sift.worker.ts); nothing leaves the browser except model downloads.
import type {
  Backend,
  LoadProgress,
  ModelInfo,
  ModelSource,
  RerankOptions,
  RerankRequest,
  RerankResult,
  RerankSide,
  ScoreEvent,
} from './types.ts';
import { coverFramesVia, momentsVia, type CoverFramesOptions, type MomentsOptions, type VideoFile } from './moments.ts';
import type { CoverResult, MomentsResult } from './types.ts';
import { createClient, type SiftClient } from './workerClient.ts';

export interface RerankerOptions {
  /** Which model; default the built-in tiny model (random weights: for trying things out only). */
  model?: ModelSource;
  /** Force a backend; by default WebGPU when a hardware adapter exists, else WASM. */
  backend?: Backend;
  /**
   * The URL under which `ort/` (onnxruntime-web's runtime and Sift's factory wrapper, what the
   * `sift/vite` plugin serves and copies) and, for the built-in tiny model, `models/` are served.
   * Default: the page's base URL (`./` of document.baseURI).
   */
  assetsUrl?: string | URL;
  /** A worker started by the caller from the package's sift.worker.js (default: started here). */
  worker?: Worker;
  onProgress?: (p: LoadProgress) => void;
}

export interface RankOptions extends RerankOptions {
  /** Called as each document is scored (in completion order). */
  onScore?: (e: ScoreEvent) => void;
}
/** @deprecated the earlier name of RankOptions. */
export type ProcessOptions = RankOptions;

export interface RankedDocument {
  /** Position in the documents passed in. */
  index: number;
  document: RerankSide;
  /** Relevance in [0, 1]; null when this document failed. */
  score: number | null;
  /** Why this document failed: a stable code (see the error codes) and a message for people. */
  error?: { code: string; message: string };
  warnings?: string[];
}

/** The request as the worker validates it (the reference's shape): `maxFrames` sent as `max_frames`. */
function toWireRequest(request: RerankRequest): RerankRequest {
  if (!request || typeof request !== 'object' || !('maxFrames' in request)) return request;
  const { maxFrames, ...rest } = request;
  return maxFrames === undefined ? rest : { ...rest, max_frames: maxFrames };
}

/** A manifest URL relative to the page, made absolute: the worker would resolve it against its own script. */
export function absoluteSource(source: ModelSource): ModelSource {
  if (source.kind === 'builtin-tiny' || source.kind === 'builtin-tiny-embed' || typeof document === 'undefined') return source;
  return { ...source, url: new URL(source.url, document.baseURI).href };
}

export class Reranker {
  private client: Promise<SiftClient>;
  private loaded: Promise<ModelInfo> | null = null;

  constructor(private options: RerankerOptions = {}) {
    const assetsUrl = options.assetsUrl ?? (typeof document === 'undefined' ? undefined : new URL('./', document.baseURI));
    this.client = createClient(options.worker).then(async (c) => {
      if (assetsUrl !== undefined) await c.configure({ assetsUrl: String(assetsUrl) });
      return c;
    });
    this.client.catch(() => {}); // reported by the first call
  }

  /** Downloads (or reads from IndexedDB), verifies and compiles the model. The other calls call it when needed. */
  load(): Promise<ModelInfo> {
    const source = absoluteSource(this.options.model ?? { kind: 'builtin-tiny' });
    this.loaded ??= this.client.then((c) => c.load(source, this.options.onProgress, this.options.backend));
    this.loaded.catch(() => (this.loaded = null)); // a failed load can be retried
    return this.loaded;
  }

  /**
   * The documents sorted best first (failed ones last, each with its error's code and message).
   * `rank(query, documents, options)`, the earlier form, still works.
   */
  async rank(request: RerankRequest, options?: RankOptions): Promise<RankedDocument[]>;
  /** @deprecated use rank({ query, documents, instruction, fps, maxFrames }, options). */
  async rank(
    query: RerankSide,
    documents: RerankSide[],
    options?: RankOptions & { instruction?: string; fps?: number; maxFrames?: number; max_frames?: number },
  ): Promise<RankedDocument[]>;
  async rank(
    first: RerankRequest | RerankSide,
    second?: RankOptions | RerankSide[],
    third: RankOptions & Partial<RerankRequest> = {},
  ): Promise<RankedDocument[]> {
    let request: RerankRequest;
    let options: RankOptions;
    if (Array.isArray(second)) {
      const { instruction, fps, maxFrames, max_frames, ...rest } = third;
      request = { instruction, query: first as RerankSide, documents: second, fps, maxFrames: maxFrames ?? max_frames };
      options = rest;
    } else {
      request = first as RerankRequest;
      options = second ?? {};
    }
    const result = await this.processDetailed(request, options);
    const ranked = request.documents.map((document, index): RankedDocument => {
      const r: RankedDocument = { index, document, score: result.scores[index] };
      const error = result.errors.find((e) => e.index === index);
      if (error) r.error = { code: error.code, message: error.message };
      const warnings = result.warnings.filter((w) => w.index === index).map((w) => w.message);
      if (warnings.length) r.warnings = warnings;
      return r;
    });
    return ranked.sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.index - b.index);
  }

  /** Scores every document against the query: floats in [0, 1] in document order, null for a failed one (the reference's `process`). */
  async process(request: RerankRequest, options: RankOptions = {}): Promise<(number | null)[]> {
    return (await this.processDetailed(request, options)).scores;
  }

  /** Like `process`, with each failed document's `{ index, code, message }` and any truncation warnings. */
  async processDetailed(request: RerankRequest, options: RankOptions = {}): Promise<RerankResult> {
    await this.load();
    const { onScore, ...rest } = options;
    return (await this.client).rerank(toWireRequest(request), onScore, rest);
  }

  /**
   * Which windows of a long video match the query: windows of `window` seconds every `stride` seconds,
   * each scored as `rank` scores that clip as a video document; `onWindow` streams them as they score.
   * The video is not limited by maxVideoSeconds (each window is). cancel() stops it.
   */
  async moments(query: string | RerankSide, video: VideoFile, options: MomentsOptions = {}): Promise<MomentsResult> {
    await this.load();
    return momentsVia(await this.client, query, video, options);
  }

  /**
   * Which frame of the video best matches its title: frames sampled at `fps` scored as images; the
   * `top` best come back as image Blobs at the video's display size (`topFrames`, best first;
   * `bestFrame` is the first).
   */
  async coverFrames(title: string, video: VideoFile, options: CoverFramesOptions = {}): Promise<CoverResult> {
    await this.load();
    return coverFramesVia(await this.client, title, video, options);
  }

  /** Cancels the running and queued calls; they reject with an AbortError. */
  async cancel(): Promise<void> {
    await (await this.client).cancel();
  }

  /** onnxruntime's wasm heap size and the VideoFrames not yet closed, for memory checks. */
  async diagnostics(): Promise<{ wasmHeapBytes: number; openVideoFrames: number }> {
    return (await this.client).diagnostics();
  }

  /** Stops the worker and frees the model's memory. */
  async terminate(): Promise<void> {
    (await this.client).terminate();
  }
}
