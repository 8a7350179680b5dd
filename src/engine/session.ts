// Loads a converted model into onnxruntime sessions (vision + decoder) and runs single graph calls.
// The ORT module is injected: Node and the WASM worker use 'onnxruntime-web', the WebGPU worker may
// use 'onnxruntime-web/webgpu'; the engine itself never imports a backend.
import type * as OrtTypes from 'onnxruntime-web';
import { parseConfig, type ModelConfig } from '../model/config.ts';
import type { Manifest } from '../model/manifest.ts';
import { embeddingFiles, embeddingTableOf, type EmbeddingTable } from '../model/embeddingTable.ts';
import { decoderIO } from '../model/graphs/decoder.ts';
import type { KvCache } from './kvcache.ts';
import type { Grid } from './rope.ts';
import { visionGridInputs } from './visionInputs.ts';
import { fill, isSharedView, readInOrder, type FileRequest } from '../store/readInOrder.ts';
import { allocateGraphBlock, createInPlaceSession, startedOrtHeap, type GraphBlock } from './inPlaceSession.ts';

export type Ort = typeof OrtTypes;
export type ReadModelFile = (file: string) => Promise<Uint8Array>;

export interface LoadedModel {
  ort: Ort;
  manifest: Manifest;
  cfg: ModelConfig;
  vision: OrtTypes.InferenceSession;
  decoder: OrtTypes.InferenceSession;
  embedding: EmbeddingTable;
  backend: string;
  /** How the graphs' linear layers are stored (and run): chosen at conversion, src/model/graphs/linear.ts. */
  linear: 'int8' | 'nbits' | 'fp32';
  /**
   * How the graphs were built: 'in-place' (ORT format, onnxruntime using the weights where the engine
   * copied them, in its heap: the WASM EP), 'ort' (ORT format, copied by onnxruntime), 'onnx'.
   */
  graphs: 'in-place' | 'ort' | 'onnx';
  /** When each step of loadModel finished, ms after it started (reads and preparation overlap). */
  loadTimeline: Record<string, number>;
  release(): Promise<void>;
}

export interface LoadOptions {
  executionProviders?: OrtTypes.InferenceSession.SessionOptions['executionProviders'];
  backend?: string;
  /**
   * Starts reading files ahead, in the order given (the store's reader does so in a Worker, so bytes
   * keep arriving while a session is being built here). Without it, loadModel asks `read` for one
   * file after another itself.
   */
  prefetch?: (files: FileRequest[]) => void;
}

/** True when every execution provider is onnxruntime-web's CPU (WASM) one. */
function wasmOnly(eps: NonNullable<LoadOptions['executionProviders']>): boolean {
  return eps.every((ep) => {
    const name = typeof ep === 'string' ? ep : ep.name;
    return name === 'wasm' || name === 'cpu';
  });
}

export async function loadModel(ort: Ort, manifest: Manifest, read: ReadModelFile, opts: LoadOptions = {}): Promise<LoadedModel> {
  const started = performance.now();
  const timeline: Record<string, number> = {};
  const mark = (step: string) => void (timeline[step] = Math.round(performance.now() - started));
  const cfg = parseConfig(manifest.config);
  const options: OrtTypes.InferenceSession.SessionOptions = {
    executionProviders: opts.executionProviders ?? ['wasm'],
    graphOptimizationLevel: 'all',
  };
  const ortGraphs = isOrtGraph(manifest.graphs.vision) && isOrtGraph(manifest.graphs.decoder);
  if (runsOnWasmOnly(manifest) && !wasmOnly(options.executionProviders!)) throw new Error(ortOnWebGpuMessage(manifest.label));
  // ORT-format graphs on the WASM EP are used in place: each is written into a block of onnxruntime's
  // heap and the session uses its weights there (needs onnxruntime-web started through the factory
  // wrapper, inPlaceSession.ts). When that heap is shared memory (threaded, cross-origin isolated) the
  // store's reader writes the blocks itself as it reads, so this thread neither copies nor collects the
  // chunks. WebGPU uploads the weights anyway: there the graphs are read whole and copied.
  const heap = ortGraphs && wasmOnly(options.executionProviders!) ? await startedOrtHeap(ort) : null;
  const graphs: LoadedModel['graphs'] = heap ? 'in-place' : ortGraphs ? 'ort' : 'onnx';
  const bytesOf = (file: string) => manifest.shards.find((s) => s.file === file)!.bytes;
  const blocks = new Map<string, GraphBlock>();
  const intoViews = new Map<string, Uint8Array>(); // the blocks the reader writes itself
  const e = manifest.embedding;
  let order: FileRequest[];
  try {
    if (heap) for (const g of [manifest.graphs.vision, manifest.graphs.decoder]) blocks.set(g.file, allocateGraphBlock(heap, bytesOf(g.file)));
    // (A view of a heap that is not shared would be replaced when it grows: those blocks are filled here.)
    for (const [file, b] of blocks) if (isSharedView(b.view())) intoViews.set(file, b.view());
    const graphFiles = (g: { file: string; shards: string[] }): FileRequest[] => [
      intoViews.has(g.file) ? { file: g.file, into: intoViews.get(g.file)! } : g.file,
      ...g.shards,
    ];
    // Every file is asked for up front, in the order it is needed: the decoder's and the embedding's
    // bytes arrive while the vision session is being built. A file is handed over once, so its bytes
    // can be collected after its session exists.
    order = [...graphFiles(manifest.graphs.vision), ...graphFiles(manifest.graphs.decoder), ...embeddingFiles(e)];
  } catch (err) {
    for (const b of blocks.values()) b.release();
    throw err;
  }
  const files = opts.prefetch ? { read, prefetch: opts.prefetch } : readInOrder(read);
  files.prefetch(order);
  const take = files.read;
  // Each graph's bytes are prepared as soon as they arrive, so the decoder is read while the vision
  // session is built.
  type Prepared = { model: Uint8Array; externalData: { path: string; data: Uint8Array }[] } | { block: GraphBlock; file: string };
  const prepare = async (g: { file: string; shards: string[] }, prefix: string): Promise<Prepared> => {
    const model = await take(g.file);
    const block = blocks.get(g.file);
    if (block) {
      // Written into the block by the reader, or read here and copied into it now.
      if (model !== intoViews.get(g.file)) fill(block.view(), model, g.file);
      mark(`${prefix}Read`);
      return { block, file: g.file };
    }
    const externalData = await Promise.all(g.shards.map(async (path) => ({ path, data: await take(path) })));
    mark(`${prefix}Read`);
    return { model, externalData };
  };
  // A graph's bytes are let go as soon as its session exists (the 2B decoder's are ≈2 GB as int8).
  const slots: { v: Promise<Prepared> | null; d: Promise<Prepared> | null } = { v: prepare(manifest.graphs.vision, 'vision'), d: null };
  // (After the vision's, even when that failed: a block is freed only once its read settled.)
  slots.d = slots.v!.catch(() => undefined).then(() => prepare(manifest.graphs.decoder, 'decoder'));
  slots.d.catch(() => undefined); // awaited below
  const releases: (() => Promise<void>)[] = [];
  const create = async (key: 'v' | 'd') => {
    const p = await slots[key]!;
    slots[key] = null;
    if ('block' in p) {
      blocks.delete(p.file); // the session owns it now
      const s = await createInPlaceSession(ort, p.block, options);
      releases.push(s.release);
      return s.session;
    }
    const session = await ort.InferenceSession.create(p.model, { ...options, externalData: p.externalData });
    releases.push(() => session.release());
    return session;
  };
  // Sessions built so far, then blocks no session took (a load that failed half-way).
  const releaseAll = async () => {
    for (const r of releases.splice(0)) await r();
    for (const b of blocks.values()) b.release();
    blocks.clear();
  };
  let vision: OrtTypes.InferenceSession;
  let decoder: OrtTypes.InferenceSession;
  try {
    vision = await create('v');
    mark('visionSession');
    decoder = await create('d');
    mark('decoderSession');
  } catch (err) {
    // The reader may still be writing a block: it is freed only after its read settled.
    await Promise.allSettled([slots.v, slots.d]);
    await releaseAll();
    throw err;
  }
  let embedding: EmbeddingTable;
  try {
    const embFiles = new Map<string, Uint8Array>();
    for (const file of embeddingFiles(e)) embFiles.set(file, await take(file));
    embedding = embeddingTableOf(e, (file) => embFiles.get(file)!);
  } catch (err) {
    await releaseAll();
    throw err;
  }
  mark('embedding');
  return {
    ort,
    manifest,
    cfg,
    vision,
    decoder,
    embedding,
    backend: opts.backend ?? 'wasm',
    linear: manifest.weights.linear === 'int8' ? 'int8' : manifest.weights.bits === 32 ? 'fp32' : 'nbits',
    graphs,
    loadTimeline: timeline,
    release: releaseAll,
  };
}

/** An ORT-format graph (one flatbuffer, weights inside: no shards), as `sift convert` writes for WASM. */
export function isOrtGraph(g: { file: string; shards: string[] }): boolean {
  return g.file.endsWith('.ort');
}

/** True for Sift's WASM format: ORT-format graphs (int8 linear layers), which run on WASM only. */
export const runsOnWasmOnly = (manifest: Manifest): boolean => isOrtGraph(manifest.graphs.vision) || isOrtGraph(manifest.graphs.decoder);

// onnxruntime-web 1.30 builds a WebGPU session from an ORT-format graph, then fails its first run ("[Gather]
// … no GPU data for input", e2e/engine.spec.ts): refused up front rather than failing at scoring time.
const ortOnWebGpuMessage = (label: string) =>
  `Model ${label} is in Sift's WASM format (int8 linear layers, ORT-format graphs), which onnxruntime-web cannot run on WebGPU. Load it on WASM, or use the model's 4-bit conversion on WebGPU.`;

// onnxruntime-web rejects a run() that starts while another is in flight ("Session already started":
// Chromium, threaded WASM, a multi-image prompt whose images the Scorer encodes concurrently). The
// vision and decoder sessions share one runtime, so every run on it goes through a single queue.
const runQueues = new WeakMap<object, Promise<unknown>>();
function exclusive<T>(ort: Ort, fn: () => Promise<T>): Promise<T> {
  const next = (runQueues.get(ort) ?? Promise.resolve()).then(fn);
  runQueues.set(ort, next.catch(() => undefined));
  return next;
}

export interface VisionOutput {
  embeds: Float32Array; // [M, H]
  deepstack: Float32Array; // [n_ds, M, H]
  tokens: number; // M
  /** Block outputs, only from graphs converted with debug outputs. */
  blocks?: Float32Array[];
}

export async function runVision(m: LoadedModel, patches: Float32Array, grid: Grid): Promise<VisionOutput> {
  const { ort, cfg } = m;
  const inp = visionGridInputs(cfg, grid);
  const K = patches.length / inp.patches;
  const feeds = {
    patches: new ort.Tensor('float32', patches, [inp.patches, K]),
    pos_idx: new ort.Tensor('int64', inp.posIdx, [4, inp.patches]),
    pos_w: new ort.Tensor('float32', inp.posW, [4, inp.patches]),
    rot_cos: new ort.Tensor('float32', inp.rotCos, [inp.patches, inp.rotCos.length / inp.patches]),
    rot_sin: new ort.Tensor('float32', inp.rotSin, [inp.patches, inp.rotSin.length / inp.patches]),
    frame_shape: new ort.Tensor('int64', inp.frameShape, [2]),
  };
  const out = await exclusive(ort, () => m.vision.run(feeds));
  const embeds = (await out.embeds.getData()) as Float32Array;
  const deepstack = out.deepstack ? ((await out.deepstack.getData()) as Float32Array) : new Float32Array(0);
  let blocks: Float32Array[] | undefined;
  if (out.block_0) {
    blocks = [];
    for (let i = 0; out[`block_${i}`]; i++) blocks.push((await out[`block_${i}`].getData()) as Float32Array);
  }
  for (const t of Object.values(out)) t.dispose();
  return { embeds, deepstack, tokens: embeds.length / cfg.vision.outHiddenSize, blocks };
}

export interface DecoderStep {
  embeds: Float32Array; // [S, H]
  cos: Float32Array; // [S, D]
  sin: Float32Array;
  bias: Float32Array; // [S, P + S]
  deepstack: Float32Array; // [n_ds, S, H]
  past: KvCache;
  wantPresent: boolean;
  wantHidden?: boolean;
}

export interface DecoderResult {
  logits: Float32Array; // [S]
  keys: Float32Array[]; // per layer [kvH, S, D]
  values: Float32Array[];
  hidden?: Float32Array[];
}

export async function runDecoder(m: LoadedModel, step: DecoderStep): Promise<DecoderResult> {
  const { ort, cfg } = m;
  const { hiddenSize: H, headDim: D, numKvHeads: kvH, numLayers } = cfg.text;
  const S = step.embeds.length / H;
  const P = step.past.length;
  const nds = cfg.vision.deepstackVisualIndexes.length;
  const feeds: Record<string, OrtTypes.Tensor> = {
    inputs_embeds: new ort.Tensor('float32', step.embeds, [1, S, H]),
    cos: new ort.Tensor('float32', step.cos, [1, S, D]),
    sin: new ort.Tensor('float32', step.sin, [1, S, D]),
    attn_bias: new ort.Tensor('float32', step.bias, [1, 1, S, P + S]),
  };
  if (nds) feeds.deepstack = new ort.Tensor('float32', step.deepstack, [nds, S, H]);
  for (let i = 0; i < numLayers; i++) {
    feeds[decoderIO.pastKey(i)] = new ort.Tensor('float32', step.past.keys[i], [1, kvH, P, D]);
    feeds[decoderIO.pastValue(i)] = new ort.Tensor('float32', step.past.values[i], [1, kvH, P, D]);
  }
  const out = await exclusive(ort, () => m.decoder.run(feeds));
  const result: DecoderResult = { logits: (await out.logits.getData()) as Float32Array, keys: [], values: [] };
  if (step.wantPresent) {
    for (let i = 0; i < numLayers; i++) {
      result.keys.push((await out[decoderIO.presentKey(i)].getData()) as Float32Array);
      result.values.push((await out[decoderIO.presentValue(i)].getData()) as Float32Array);
    }
  }
  if (step.wantHidden && out[decoderIO.hidden(0)]) {
    result.hidden = [];
    for (let i = 0; i < numLayers; i++) result.hidden.push((await out[decoderIO.hidden(i)].getData()) as Float32Array);
  }
  for (const t of Object.values(out)) t.dispose();
  return result;
}
