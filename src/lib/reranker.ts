// The public API: `new Reranker({ model })`, then `process(request)` → one score per document in the
// reference's shape, or `rank(query, documents)` → documents sorted by relevance. Everything runs in
// the Sift worker (workers/sift.worker.ts); nothing leaves the browser except model downloads.
import type { Backend, LoadProgress, ModelInfo, ModelSource, RerankOptions, RerankRequest, RerankResult, RerankSide, ScoreEvent } from './types.ts';
import { createClient, type SiftClient } from './workerClient.ts';

export interface RerankerOptions {
  /** Which model; default the built-in tiny model (random weights: for trying things out only). */
  model?: ModelSource;
  /** Force a backend; by default WebGPU when a hardware adapter exists, else WASM. */
  backend?: Backend;
  /** A worker started by the caller from workers/sift.worker.ts (default: started here). */
  worker?: Worker;
  onProgress?: (p: LoadProgress) => void;
}

export interface ProcessOptions extends RerankOptions {
  /** Called as each document is scored (in completion order). */
  onScore?: (e: ScoreEvent) => void;
}

export interface RankedDocument {
  /** Position in the documents passed in. */
  index: number;
  document: RerankSide;
  /** Relevance in [0, 1]; null when this document failed. */
  score: number | null;
  error?: string;
  warnings?: string[];
}

export class Reranker {
  private client: Promise<SiftClient>;
  private loaded: Promise<ModelInfo> | null = null;

  constructor(private options: RerankerOptions = {}) {
    this.client = createClient(options.worker);
  }

  /** Downloads (or reads from IndexedDB), verifies and compiles the model. `process` calls it when needed. */
  load(): Promise<ModelInfo> {
    this.loaded ??= this.client.then((c) => c.load(this.options.model ?? { kind: 'builtin-tiny' }, this.options.onProgress, this.options.backend));
    this.loaded.catch(() => (this.loaded = null)); // a failed load can be retried
    return this.loaded;
  }

  /** Scores every document against the query: floats in [0, 1] in document order, null for a failed one. */
  async process(request: RerankRequest, options: ProcessOptions = {}): Promise<(number | null)[]> {
    return (await this.processDetailed(request, options)).scores;
  }

  /** Like `process`, with each failed document's reason and any truncation warnings. */
  async processDetailed(request: RerankRequest, options: ProcessOptions = {}): Promise<RerankResult> {
    await this.load();
    const { onScore, ...rest } = options;
    return (await this.client).rerank(request, onScore, rest);
  }

  /** The documents sorted best first (failed ones last, with their reason). */
  async rank(
    query: RerankSide,
    documents: RerankSide[],
    options: ProcessOptions & { instruction?: string; fps?: number; max_frames?: number } = {},
  ): Promise<RankedDocument[]> {
    const { instruction, fps, max_frames, ...rest } = options;
    const result = await this.processDetailed({ instruction, query, documents, fps, max_frames }, rest);
    const ranked = documents.map((document, index): RankedDocument => {
      const r: RankedDocument = { index, document, score: result.scores[index] };
      const error = result.errors.find((e) => e.index === index);
      if (error) r.error = error.message;
      const warnings = result.warnings.filter((w) => w.index === index).map((w) => w.message);
      if (warnings.length) r.warnings = warnings;
      return r;
    });
    return ranked.sort((a, b) => (b.score ?? -1) - (a.score ?? -1) || a.index - b.index);
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
