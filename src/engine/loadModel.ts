// Loads a converted model into onnxruntime sessions (vision + decoder) and its token table. The ORT
// module is injected: the WASM worker uses 'onnxruntime-web', the WebGPU worker may use
// 'onnxruntime-web/webgpu', the CLI 'onnxruntime-node' (runtime 'native') or 'onnxruntime-web'; the
// engine itself never imports a backend.
import type * as OrtTypes from 'onnxruntime-web';
import { parseConfig, type ModelConfig } from '../model/config.ts';
import type { Manifest } from '../model/manifest.ts';
import { embeddingFiles, embeddingTableOf, type EmbeddingTable } from '../model/embeddingTable.ts';
import { copiedInto, isSharedView, readInOrder, type FileRequest } from '../store/readInOrder.ts';
import { allocateGraphBlock, createInPlaceSession, startedOrtHeap, type GraphBlock, type OrtHeap } from './inPlaceSession.ts';

export type Ort = typeof OrtTypes;
export type ReadModelFile = (file: string) => Promise<Uint8Array>;
type SessionOptions = OrtTypes.InferenceSession.SessionOptions;
type GraphName = 'vision' | 'decoder';
type GraphFiles = { file: string; shards: string[] };

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
  executionProviders?: SessionOptions['executionProviders'];
  backend?: string;
  /**
   * 'native': the injected module is onnxruntime-node. It has no wasm heap to place graphs in, so every
   * graph is handed over as bytes (ORT format included, which it runs on any of its EPs); its default
   * EP is 'cpu'. Default 'web' (onnxruntime-web).
   */
  runtime?: 'web' | 'native';
  /** Threads of each session's operators (onnxruntime-node; onnxruntime-web takes env.wasm.numThreads). */
  intraOpNumThreads?: number;
  /** Session config entries ("session.<key>" in onnxruntime's terms), e.g. onnxruntime-node's x64quantprecision. */
  sessionConfig?: Record<string, string>;
  /**
   * Starts reading files ahead, in the order given (the store's reader does so in a Worker, so bytes
   * keep arriving while a session is being built here). Without it, loadModel asks `read` for one
   * file after another itself.
   */
  prefetch?: (files: FileRequest[]) => void;
}

/** An ORT-format graph (one flatbuffer, weights inside: no shards), as `sift convert` writes for WASM. */
export function isOrtGraph(g: GraphFiles): boolean {
  return g.file.endsWith('.ort');
}

/** True for Sift's WASM format: ORT-format graphs (int8 linear layers), which run on WASM only. */
export const runsOnWasmOnly = (manifest: Manifest): boolean => isOrtGraph(manifest.graphs.vision) || isOrtGraph(manifest.graphs.decoder);

/** True when every execution provider is onnxruntime-web's CPU (WASM) one. */
function wasmOnly(eps: NonNullable<SessionOptions['executionProviders']>): boolean {
  return eps.every((ep) => {
    const name = typeof ep === 'string' ? ep : ep.name;
    return name === 'wasm' || name === 'cpu';
  });
}

// onnxruntime-web 1.30 builds a WebGPU session from an ORT-format graph, then fails its first run ("[Gather]
// … no GPU data for input", e2e/engine.spec.ts): refused up front rather than failing at scoring time.
const ortOnWebGpuMessage = (label: string) =>
  `Model ${label} is in Sift's WASM format (int8 linear layers, ORT-format graphs), which onnxruntime-web cannot run on WebGPU. Load it on WASM, or use the model's 4-bit conversion on WebGPU.`;

/** A graph's bytes, ready for its session: ONNX + shards, or an ORT-format graph written into a heap block. */
type PreparedGraph = { model: Uint8Array; externalData: { path: string; data: Uint8Array }[] } | { block: GraphBlock; file: string };

/**
 * The two graphs of one load: their heap blocks (ORT format on WASM: onnxruntime uses the weights where
 * they were written, inPlaceSession.ts), the reads that fill them, and the sessions built from them.
 * When the heap is shared memory (threaded, cross-origin isolated) the store's reader writes the blocks
 * itself, so this thread neither copies nor collects the chunks; WebGPU uploads the weights anyway, so
 * there the graphs are read whole and copied.
 */
class GraphLoads {
  private blocks = new Map<string, GraphBlock>();
  /** The blocks the reader writes itself (a view of a heap that is not shared would go stale when it grows). */
  private intoViews = new Map<string, Uint8Array>();
  private pending: Partial<Record<GraphName, Promise<PreparedGraph>>> = {};
  private releases: (() => Promise<void>)[] = [];

  constructor(
    private ort: Ort,
    private manifest: Manifest,
    private options: SessionOptions,
    heap: OrtHeap | null,
    private mark: (step: string) => void,
  ) {
    if (!heap) return;
    try {
      for (const g of this.graphs()) {
        const block = allocateGraphBlock(heap, manifest.shards.find((s) => s.file === g.file)!.bytes);
        this.blocks.set(g.file, block);
        if (isSharedView(block.view())) this.intoViews.set(g.file, block.view());
      }
    } catch (err) {
      for (const b of this.blocks.values()) b.release();
      throw err;
    }
  }

  private graphs(): GraphFiles[] {
    return [this.manifest.graphs.vision, this.manifest.graphs.decoder];
  }

  /** The graphs' files in the order they are needed, each graph file to be written into its block when it has one. */
  fileRequests(): FileRequest[] {
    return this.graphs().flatMap((g) => [
      this.intoViews.has(g.file) ? { file: g.file, into: this.intoViews.get(g.file)! } : g.file,
      ...g.shards,
    ]);
  }

  /** Starts preparing both graphs as their bytes arrive: the decoder's are read while the vision session is built. */
  start(take: ReadModelFile): void {
    this.pending.vision = this.prepare(this.manifest.graphs.vision, 'vision', take);
    // After the vision's, even when that failed: a block is freed only once its read settled.
    this.pending.decoder = this.pending.vision
      .catch(() => undefined)
      .then(() => this.prepare(this.manifest.graphs.decoder, 'decoder', take));
    this.pending.decoder.catch(() => undefined); // awaited by session()
  }

  private async prepare(g: GraphFiles, name: GraphName, take: ReadModelFile): Promise<PreparedGraph> {
    const model = await take(g.file);
    const block = this.blocks.get(g.file);
    if (block) {
      // Written into the block by the reader, or read here and copied into it now.
      if (model !== this.intoViews.get(g.file)) copiedInto(block.view(), model, g.file);
      this.mark(`${name}Read`);
      return { block, file: g.file };
    }
    const externalData = await Promise.all(g.shards.map(async (path) => ({ path, data: await take(path) })));
    this.mark(`${name}Read`);
    return { model, externalData };
  }

  /** The graph's session; its bytes are let go once it exists (the 2B decoder's are ≈1.4 GB as int8). */
  async session(name: GraphName): Promise<OrtTypes.InferenceSession> {
    const prepared = await this.pending[name]!;
    delete this.pending[name];
    if ('block' in prepared) {
      this.blocks.delete(prepared.file); // the session owns it now
      const s = await createInPlaceSession(this.ort, prepared.block, this.options);
      this.releases.push(s.release);
      return s.session;
    }
    const session = await this.ort.InferenceSession.create(prepared.model, { ...this.options, externalData: prepared.externalData });
    this.releases.push(() => session.release());
    return session;
  }

  /** Releases the sessions built so far, then blocks no session took, once every read into them has settled. */
  async release(): Promise<void> {
    await Promise.allSettled(Object.values(this.pending));
    for (const r of this.releases.splice(0)) await r();
    for (const b of this.blocks.values()) b.release();
    this.blocks.clear();
  }
}

async function readEmbeddingTable(e: Manifest['embedding'], take: ReadModelFile): Promise<EmbeddingTable> {
  const files = new Map<string, Uint8Array>();
  for (const file of embeddingFiles(e)) files.set(file, await take(file));
  return embeddingTableOf(e, (file) => files.get(file)!);
}

const linearOf = (m: Manifest): LoadedModel['linear'] => (m.weights.linear === 'int8' ? 'int8' : m.weights.bits === 32 ? 'fp32' : 'nbits');

export async function loadModel(ort: Ort, manifest: Manifest, read: ReadModelFile, opts: LoadOptions = {}): Promise<LoadedModel> {
  const started = performance.now();
  const timeline: Record<string, number> = {};
  const mark = (step: string) => void (timeline[step] = Math.round(performance.now() - started));
  const cfg = parseConfig(manifest.config);
  const native = opts.runtime === 'native';
  const options: SessionOptions = {
    executionProviders: opts.executionProviders ?? [native ? 'cpu' : 'wasm'],
    graphOptimizationLevel: 'all',
    ...(opts.intraOpNumThreads ? { intraOpNumThreads: opts.intraOpNumThreads } : {}),
    ...(opts.sessionConfig ? { extra: { session: opts.sessionConfig } } : {}),
  };
  const onWasm = !native && wasmOnly(options.executionProviders!);
  if (runsOnWasmOnly(manifest) && !onWasm && !native) throw new Error(ortOnWebGpuMessage(manifest.label));
  const ortGraphs = isOrtGraph(manifest.graphs.vision) && isOrtGraph(manifest.graphs.decoder);
  const heap = ortGraphs && onWasm ? await startedOrtHeap(ort) : null;
  const graphs = new GraphLoads(ort, manifest, options, heap, mark);
  // Every file is asked for up front, in the order it is needed; each is handed over once, so its bytes
  // can be collected after its session exists.
  const files = opts.prefetch ? { read, prefetch: opts.prefetch } : readInOrder(read);
  files.prefetch([...graphs.fileRequests(), ...embeddingFiles(manifest.embedding)]);
  graphs.start(files.read);
  try {
    const vision = await graphs.session('vision');
    mark('visionSession');
    const decoder = await graphs.session('decoder');
    mark('decoderSession');
    const embedding = await readEmbeddingTable(manifest.embedding, files.read);
    mark('embedding');
    const backend = opts.backend ?? (native ? 'native' : 'wasm');
    return {
      ort,
      manifest,
      cfg,
      vision,
      decoder,
      embedding,
      backend,
      linear: linearOf(manifest),
      graphs: heap ? 'in-place' : ortGraphs ? 'ort' : 'onnx',
      loadTimeline: timeline,
      release: () => graphs.release(),
    };
  } catch (err) {
    await graphs.release();
    throw err;
  }
}
