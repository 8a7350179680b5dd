// The Sift worker: all model work happens here, behind a comlink API (SiftWorkerApi), so the page's
// main thread never blocks. Weights come from the IndexedDB store; sessions run on WebGPU when an
// adapter exists (fp32 activations, so no shader-f16 is needed) and on WASM otherwise.
import { wasmHeapBytes } from './wasmMemory.ts'; // first: it watches the wasm memory ort creates
import * as Comlink from 'comlink';
import * as ort from 'onnxruntime-web';
import type {
  Backend,
  EmbedOptions,
  EmbeddingEvent,
  EmbedRequest,
  LoadProgress,
  ModelInfo,
  ModelSource,
  RerankOptions,
  RerankRequest,
  ScoreEvent,
  SiftWorkerApi,
  WorkerStatus,
} from './api.ts';
import { runsOnWasmOnly, type LoadedModel } from '../src/engine/session.ts';
import { startModel } from '../src/engine/startModel.ts';
import { servedWasmPaths } from '../src/engine/inPlaceSession.ts';
import { RerankSession } from '../src/engine/rerank.ts';
import { EmbedSession, type EmbedRequest as EngineEmbedRequest } from '../src/engine/embed.ts';
import { releaseVisionCache } from '../src/engine/visionCache.ts';
import { modelKindOf } from '../src/store/manifest.ts';
import { validateRequest, type PromptTokenizer } from '../src/prompt/index.ts';
import { browserMediaDecoder } from '../src/media/browserDecoder.ts';
import { openVideoFrameCount } from '../src/media/browserVideo.ts';
import {
  deleteModel,
  downloadModel,
  listModels,
  openModelReader,
  readyModelFromUrl,
  ModelStoreError,
  type ReadyModel,
  type DownloadProgress,
} from '../src/store/index.ts';
import { convertIntoStore } from './convertIntoStore.ts';
import { pickBackend, sessionOptionsFor, isDeviceLost, storedLinearFor, type BackendChoice } from './backend.ts';
import { registerErrorTransport } from './errorTransport.ts';
import { libraryApi, type Embedder } from './library.ts';
import { momentsApi } from './moments.ts';

/**
 * Where ort/ (onnxruntime-web's runtime + the factory wrapper) and models/ (the built-in tiny model)
 * are served: by default the folder above this script (the app's root, the script being in assets/
 * or workers/); a library user's page may say otherwise (configure()).
 */
let assetsBase = new URL('../', self.location.href).href;
/** Started through the factory wrapper (served beside the runtime), so the engine can use ORT-format
 *  graphs' weights in place in onnxruntime's heap (src/engine/inPlaceSession.ts). */
const useAssets = (base: string) => {
  assetsBase = base;
  ort.env.wasm.wasmPaths = servedWasmPaths(new URL('ort/', base).href);
};
useAssets(assetsBase);
ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 2) : 1;

interface Active {
  info: ModelInfo;
  ready: ReadyModel;
  model: LoadedModel;
  tokenizer: PromptTokenizer;
}

let active: Active | null = null;
let backend: Backend | null = null;
let backendReason = 'no model loaded yet';
/** Controllers of the queued and running operations: cancel() aborts them all. */
const controllers = new Set<AbortController>();
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs model operations one at a time, in call order: concurrent rerank() calls (e.g. several
 * `process()` calls on one Reranker) all complete instead of cancelling or racing each other.
 */
function serial<T>(op: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ctl = new AbortController();
  controllers.add(ctl);
  const run = queue.then(() => {
    if (ctl.signal.aborted) throw new DOMException('cancelled before it started', 'AbortError');
    return op(ctl.signal);
  });
  queue = run.catch(() => {});
  return run.finally(() => controllers.delete(ctl));
}

class DeviceLostError extends Error {}
/** Why the WebGPU device was lost, once it has been; resolves then. */
let gpuLost: string | null = null;
let deviceLost: Promise<string> = new Promise(() => {});

/** Watches the device onnxruntime's WebGPU backend uses, so a loss is noticed even while idle. */
async function watchDevice(): Promise<void> {
  const device = (await ort.env.webgpu.device) as { lost: Promise<{ message?: string; reason?: string }> } | undefined;
  if (!device) return;
  gpuLost = null;
  deviceLost = device.lost.then((info) => (gpuLost = info.message || info.reason || 'no reason given'));
}

/** Releases a model's sessions and, with them, the vision outputs kept for it (visionCache.ts). */
function releaseModel(model: LoadedModel): Promise<void> {
  releaseVisionCache(model);
  return model.release();
}

async function fallBackToWasm(why: string): Promise<void> {
  const ready = active!.ready;
  await releaseModel(active!.model).catch(() => {});
  active = null;
  // The model obtained for WebGPU (4-bit MatMulNBits) runs on WASM as it is: same scores, slower.
  active = await activeModelOn(ready, { backend: 'wasm', reason: `WebGPU device lost (${why}); fell back to WASM` });
}

function infoOf(ready: ReadyModel): ModelInfo {
  const m = ready.manifest;
  return {
    id: m.id,
    version: m.version,
    label: m.label,
    bytes: m.totalBytes,
    state: 'ready',
    randomWeights: m.randomWeights,
    kind: modelKindOf(m),
  };
}

/** The stored model started on `choice`'s backend: its sessions (onnxruntime compiles the graphs here) and tokenizer. */
async function activeModelOn(ready: ReadyModel, choice: BackendChoice, onProgress?: (p: LoadProgress) => void): Promise<Active> {
  // Reading runs in a Worker of the store's and overlaps the tokenizer and each session's creation.
  const reader = openModelReader(ready.manifest.id, ready.manifest.version);
  let model: LoadedModel;
  let tokenizer: PromptTokenizer;
  try {
    backend = choice.backend;
    backendReason = choice.reason;
    onProgress?.({ phase: 'compile', done: 0, total: 1, message: `compiling for ${choice.backend}` });
    ({ model, tokenizer } = await startModel(ort, ready.manifest, reader, {
      executionProviders: sessionOptionsFor(choice),
      backend: choice.backend,
    }));
  } finally {
    reader.close();
  }
  if (backend === 'webgpu') await watchDevice();
  onProgress?.({ phase: 'ready', done: 1, total: 1 });
  return { info: { ...infoOf(ready), graphs: model.graphs }, ready, model, tokenizer };
}

/**
 * The model in the format its backend runs fastest (docs/decisions/2026-12-03-int8-on-wasm.md): on WASM, int8 linear layers
 * (the built-in tiny's tiny-int8 build, or an official checkpoint converted so); on WebGPU, 4-bit
 * MatMulNBits. A manifest URL is loaded in whatever format it was converted to.
 */
async function readyModelFor(
  source: ModelSource,
  on: Backend,
  onProgress: ((p: LoadProgress) => void) | undefined,
  signal: AbortSignal,
): Promise<ReadyModel> {
  if (source.kind === 'checkpoint') return convertIntoStore(source, storedLinearFor(on, source.bits), onProgress, signal);
  const builtin = source.kind === 'builtin-tiny' ? 'tiny' : source.kind === 'builtin-tiny-embed' ? 'tiny-embed' : null;
  const url =
    builtin !== null
      ? new URL(`models/${builtin}${storedLinearFor(on) === 'int8' ? '-int8' : ''}/manifest.json`, assetsBase).href
      : (source as { url: string }).url;
  // Offline (or the model server is down): a ready copy in IndexedDB is good enough. Online, the
  // manifest is fetched first so that a newer version replaces the cached one.
  const cached = await readyModelFromUrl(url);
  if (cached && !navigator.onLine) return cached;
  try {
    return (await downloadModel(url, { signal, retries: cached ? 1 : undefined, onProgress: (p) => onProgress?.(loadProgressOf(p)) }))
      .model;
  } catch (err) {
    if (cached && err instanceof ModelStoreError && err.kind === 'network') return cached;
    throw err;
  }
}

function loadProgressOf(p: DownloadProgress): LoadProgress {
  const phase = p.phase === 'verifying' ? 'verify' : p.phase === 'downloading' ? 'download' : p.phase === 'manifest' ? 'manifest' : 'ready';
  return {
    phase,
    done: p.bytesDone,
    total: p.bytesTotal,
    mbps: p.mbPerSecond,
    file: p.file,
    fileIndex: p.fileIndex,
    fileCount: p.fileCount,
    etaSeconds: p.etaSeconds,
  };
}

/** The loaded model, when it is of `kind`; a clear error ('wrong-model-kind', 'no-model') otherwise. */
function activeOfKind(kind: 'reranker' | 'embedding', call: string): Active {
  if (!active) throw Object.assign(new Error('No model is loaded: choose a model and press "Load model" first.'), { code: 'no-model' });
  const has = modelKindOf(active.ready.manifest);
  if (has !== kind)
    throw Object.assign(
      new Error(
        has === 'reranker'
          ? `${active.info.label} is a reranker (Qwen3-VL-Reranker): ${call}() needs an embedding model (Qwen3-VL-Embedding), e.g. { kind: 'builtin-tiny-embed' }`
          : `${active.info.label} is an embedding model (Qwen3-VL-Embedding): ${call}() needs a reranker (Qwen3-VL-Reranker), e.g. { kind: 'builtin-tiny' }`,
      ),
      { code: 'wrong-model-kind' },
    );
  return active;
}

/** One embed request on the loaded embedding model, in the worker's queue. */
function runEmbed(
  request: EngineEmbedRequest,
  options: EmbedOptions & { signal?: AbortSignal; onEmbedding?: (e: EmbeddingEvent) => void },
) {
  return serial(async (queued) => {
    const a = activeOfKind('embedding', 'embed');
    const signal = options.signal ? AbortSignal.any([queued, options.signal]) : queued;
    if (backend === 'webgpu' && gpuLost !== null) await fallBackToWasm(gpuLost);
    const media = browserMediaDecoder({
      maxVideoSeconds: options.maxVideoSeconds,
      fetchTimeoutMs: options.fetchTimeoutMs,
      stallTimeoutMs: options.stallTimeoutMs,
      maxImagePixels: options.maxImagePixels,
      signal,
    });
    return new EmbedSession(a.model, a.tokenizer, media).run(request, {
      maxLength: options.maxLength,
      maxTextChars: options.maxTextChars,
      signal,
      onEmbedding: options.onEmbedding,
    });
  });
}

const embedder: Embedder = {
  model() {
    if (!active || modelKindOf(active.ready.manifest) !== 'embedding') return null;
    return { id: active.info.id, version: active.info.version, width: active.model.cfg.text.hiddenSize };
  },
  embed: (request, signal) => runEmbed(request, { signal }),
  track(ctl) {
    controllers.add(ctl);
    return () => controllers.delete(ctl);
  },
};

const api: SiftWorkerApi = {
  ...libraryApi(embedder),
  ...momentsApi({
    withReranker: (call, op) =>
      serial(async (signal) => {
        activeOfKind('reranker', call);
        if (backend === 'webgpu' && gpuLost !== null) await fallBackToWasm(gpuLost);
        return op(active!, signal);
      }),
  }),

  async configure({ assetsUrl }) {
    // onnxruntime reads wasmPaths when its runtime starts (the first model load): later it is too late.
    if (active || backend) throw new Error('configure() must come before the first model load');
    if (assetsUrl) useAssets(new URL(assetsUrl.endsWith('/') ? assetsUrl : `${assetsUrl}/`, self.location.href).href);
  },

  async status(): Promise<WorkerStatus> {
    return {
      backend,
      backendReason,
      model: active?.info ?? null,
      crossOriginIsolated: self.crossOriginIsolated,
      threads: ort.env.wasm.numThreads ?? 1,
    };
  },

  async listModels() {
    return (await listModels()).map((m) => ({
      id: m.id,
      version: m.version,
      label: m.label,
      bytes: m.bytes,
      state: m.state,
      randomWeights: m.randomWeights,
    }));
  },

  async deleteModel(id) {
    if (active?.info.id === id) {
      await releaseModel(active.model);
      active = null;
    }
    await deleteModel(id);
  },

  async storageEstimate() {
    const e = await navigator.storage.estimate();
    const persisted = (await navigator.storage.persisted?.()) ?? false;
    return { usage: e.usage ?? 0, quota: e.quota ?? 0, persisted };
  },

  load(source, onProgress, prefer) {
    return serial(async (signal) => {
      let choice = await pickBackend(prefer);
      const ready = await readyModelFor(source, choice.backend, onProgress, signal);
      // A model URL in the WASM format (ORT-format graphs) cannot run on WebGPU: it runs on WASM, and says so.
      if (choice.backend === 'webgpu' && runsOnWasmOnly(ready.manifest)) {
        choice = {
          backend: 'wasm',
          reason: `${ready.manifest.label} is in Sift's WASM format (int8, ORT-format graphs), which onnxruntime-web cannot run on WebGPU: running on WASM`,
        };
      }
      if (active) await releaseModel(active.model);
      active = null;
      active = await activeModelOn(ready, choice, onProgress);
      return active.info;
    });
  },

  async rerank(request: RerankRequest, onScore?: (e: ScoreEvent) => void, options: RerankOptions = {}) {
    const valid = validateRequest(request);
    return serial(async (signal) => {
      activeOfKind('reranker', 'rerank');
      const run = (a: Active) =>
        new RerankSession(
          a.model,
          a.tokenizer,
          browserMediaDecoder({
            maxVideoSeconds: options.maxVideoSeconds,
            fetchTimeoutMs: options.fetchTimeoutMs,
            stallTimeoutMs: options.stallTimeoutMs,
            maxImagePixels: options.maxImagePixels,
            signal,
          }),
        ).run(valid, {
          maxLength: options.maxLength,
          maxTextChars: options.maxTextChars,
          reusePrefix: options.reusePrefix,
          signal,
          onScore,
        });
      // A GPU device lost while idle (GPU reset, driver update, sleep): switch to WASM before running.
      if (backend === 'webgpu' && gpuLost !== null) await fallBackToWasm(gpuLost);
      try {
        return await (backend === 'webgpu'
          ? Promise.race([run(active!), deviceLost.then((why) => Promise.reject(new DeviceLostError(why)))])
          : run(active!));
      } catch (err) {
        // Lost during the run: onnxruntime's pending GPU work never settles, so the race above ends
        // it; recompile on WASM and run the request again.
        if (backend === 'webgpu' && (err instanceof DeviceLostError || isDeviceLost(err))) {
          await fallBackToWasm((err as Error).message);
          return run(active!);
        }
        throw err;
      }
    });
  },

  async embed(request: EmbedRequest, onEmbedding?: (e: EmbeddingEvent) => void, options: EmbedOptions = {}) {
    if (!request || typeof request !== 'object' || !Array.isArray(request.inputs))
      throw Object.assign(new Error('an embed request is { inputs: [{ text?, image?, video? }, …], instruction?, dims? }'), {
        code: 'bad-request',
      });
    const { maxFrames, ...rest } = request;
    const out = await runEmbed({ ...rest, ...(maxFrames !== undefined ? { max_frames: maxFrames } : {}) }, { ...options, onEmbedding });
    return { embeddings: out.embeddings, errors: out.errors, warnings: out.warnings };
  },

  async cancel() {
    for (const c of controllers) c.abort();
  },

  async diagnostics() {
    return { wasmHeapBytes: wasmHeapBytes(), openVideoFrames: openVideoFrameCount() };
  },

  async debugLoseGpuDevice() {
    if (backend !== 'webgpu') return false;
    const device = (await ort.env.webgpu.device) as { destroy(): void } | undefined;
    if (!device) return false;
    device.destroy();
    return true;
  },
};

registerErrorTransport();
Comlink.expose(api);
