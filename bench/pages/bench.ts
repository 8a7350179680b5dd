// Benchmark page: scripts/bench.mjs drives it through window.siftBench in real Chromium. It runs the
// engine in the page (as e2e/pages/engine.ts does) on onnxruntime-web's WASM EP with 2 threads.
import { ALL_FORMATS, FORMAT_NOTES, matmulGraph, toHalf, type Format } from './roofline.ts';
import { decoderFlops, decoderLayerLinearParams, flopFormulas, visionFlops } from './flops.ts';
import { runDecoder, type LoadedModel, type LoadOptions } from '../../src/engine/session.ts';
import { startModel, type StartedModel } from '../../src/engine/startModel.ts';
import { KvCache } from '../../src/engine/kvcache.ts';
import { attention } from '../../src/model/graphs/layers.ts';
import { DType, GraphBuilder } from '../../src/model/onnx/graph.ts';
import { RerankSession, type MediaDecoder } from '../../src/engine/rerank.ts';
import { loadPromptTokenizer, type PromptTokenizer, type RerankRequest } from '../../src/prompt/index.ts';
import { smartResize } from '../../src/media/smartResize.ts';
import type { Manifest } from '../../src/model/manifest.ts';
import * as store from '../../src/store/index.ts';
import { isFallbackAdapter } from '../../workers/backend.ts';
import { prng } from '../../test/reference/testModel.ts';

// The wasm heap: onnxruntime creates one WebAssembly.Memory (shared, threaded build) and grows it;
// capturing it here lets the bench read its size (wasm memory never shrinks, so the size is the peak).
const memories: WebAssembly.Memory[] = [];
const NativeMemory = WebAssembly.Memory;
(WebAssembly as unknown as { Memory: unknown }).Memory = new Proxy(NativeMemory, {
  construct(target, args) {
    const m = Reflect.construct(target, args) as WebAssembly.Memory;
    memories.push(m);
    return m;
  },
});
function wasmHeapBytes(): number {
  return memories.reduce((s, m) => Math.max(s, m.buffer.byteLength), 0);
}

type Ort = typeof import('onnxruntime-web');
let ort: Ort | null = null;
let sessionCreateMs = 0;

async function getOrt(): Promise<Ort> {
  if (ort) return ort;
  // The same bundle as workers/sift.worker.ts.
  const mod = (await import('onnxruntime-web')) as Ort;
  // Times every session creation (the part of a load that is onnxruntime's own work).
  const create = mod.InferenceSession.create.bind(mod.InferenceSession);
  (mod.InferenceSession as { create: unknown }).create = async (...args: unknown[]) => {
    const t0 = performance.now();
    try {
      return await (create as (...a: unknown[]) => Promise<unknown>)(...args);
    } finally {
      sessionCreateMs += performance.now() - t0;
    }
  };
  mod.env.wasm.wasmPaths = new URL('/ort/', location.href).href;
  // --threads N (diagnostics): another thread count than the 2 cores here.
  mod.env.wasm.numThreads = crossOriginIsolated ? Number(new URLSearchParams(location.search).get('threads') ?? 2) : 1;
  ort = mod;
  return mod;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function randn(n: number, seed: number, std = 1): Float32Array {
  const r = prng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(r(), 1e-12);
    const v = r();
    const m = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

async function env() {
  const o = await getOrt();
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info: { vendor: string; architecture: string; device?: string; description?: string }; isFallbackAdapter?: boolean } | null> } }).gpu;
  let adapter = null;
  try {
    const a = gpu ? await gpu.requestAdapter() : null;
    if (a) adapter = { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description ?? '', fallback: isFallbackAdapter(a) };
  } catch {
    adapter = null;
  }
  return {
    crossOriginIsolated,
    numThreads: o.env.wasm.numThreads ?? 1,
    ortVersion: o.env.versions?.web ?? '',
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    adapter,
  };
}

export interface RooflineCell {
  format: Format;
  N: number;
  M: number;
  ms: number; // median
  gflops: number;
  runs: number;
  error?: string;
  /** max |Y − Y_fp64| / max |Y_fp64| at M = 16 (the format's own numeric error on these weights) */
  relErr?: number;
  /** the same for rows 1…3 when row 0 carries one activation of 300 (a massive-activation token) */
  relErrOutlier?: number;
}

/** max |Y − Y_exact| / max |Y_exact| over rows [from, from + 3) of Y = A · Wᵀ. */
function relError(K: number, N: number, a: Float32Array, w: Float32Array, y: Float32Array, from: number): number {
  let maxErr = 0;
  let maxRef = 0;
  for (let i = from; i < from + 3; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let kk = 0; kk < K; kk++) s += a[i * K + kk] * w[j * K + kk];
      maxErr = Math.max(maxErr, Math.abs(y[i * N + j] - s));
      maxRef = Math.max(maxRef, Math.abs(s));
    }
  }
  return maxErr / maxRef;
}

/** Times A[M, K] · W for each format, N and M; FLOPs = 2·M·N·K. */
async function roofline(opts: { K: number; Ns: number[]; Ms: number[]; formats?: Format[]; reps: number; minMs?: number; ep?: 'wasm' | 'webgpu' }) {
  const o = await getOrt();
  const cells: RooflineCell[] = [];
  const K = opts.K;
  for (const N of opts.Ns) {
    // Rows differ in scale (up to 8×), as real weights do, so a format that got per-column scales wrong would show.
    const w = randn(N * K, 1000 + N, 1 / Math.sqrt(K));
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + k] *= 1 + (n % 8);
    for (const format of opts.formats ?? ALL_FORMATS) {
      let session: import('onnxruntime-web').InferenceSession | null = null;
      try {
        const graph = matmulGraph(format, w, N, K);
        session = await o.InferenceSession.create(graph.model, { executionProviders: [opts.ep ?? 'wasm'], graphOptimizationLevel: 'all', externalData: graph.externalData });
      } catch (e) {
        for (const M of opts.Ms) cells.push({ format, N, M, ms: NaN, gflops: NaN, runs: 0, error: `session: ${(e as Error).message.slice(0, 200)}` });
        continue;
      }
      for (const M of opts.Ms) {
        const a = randn(M * K, 7 + M);
        const feed = format === 'fp16-matmul' ? new o.Tensor('float16', Uint16Array.from(a, toHalf), [M, K]) : new o.Tensor('float32', a, [M, K]);
        try {
          const times: number[] = [];
          let relErr: number | undefined;
          let relErrOutlier: number | undefined;
          const run = async () => {
            const t0 = performance.now();
            const out = await session!.run({ A: feed });
            const dt = performance.now() - t0;
            return { dt, out };
          };
          const first = await run(); // warm-up (first run allocates)
          if (M === opts.Ms[0] && format !== 'fp16-matmul') {
            relErr = relError(K, N, a, w, (await first.out.Y.getData()) as Float32Array, 0);
            // One token with a massive activation (as LLM hidden states have): the error of the other tokens.
            const b = a.slice();
            b[5] = 300;
            const out = await session!.run({ A: new o.Tensor('float32', b, [M, K]) });
            relErrOutlier = relError(K, N, b, w, (await out.Y.getData()) as Float32Array, 1);
            out.Y.dispose();
          }
          first.out.Y.dispose();
          let spent = 0;
          while (times.length < opts.reps || (opts.minMs && spent < opts.minMs && times.length < opts.reps * 3)) {
            const r = await run();
            r.out.Y.dispose();
            times.push(r.dt);
            spent += r.dt;
          }
          const ms = median(times);
          cells.push({ format, N, M, ms, gflops: (2 * M * N * K) / (ms * 1e6), runs: times.length, relErr, relErrOutlier });
        } catch (e) {
          cells.push({ format, N, M, ms: NaN, gflops: NaN, runs: 0, error: (e as Error).message.slice(0, 200) });
        }
      }
      await session.release();
    }
  }
  return { cells, notes: FORMAT_NOTES, wasmHeapMB: wasmHeapBytes() / 2 ** 20 };
}

// ── The engine ──────────────────────────────────────────────────────────────────────────────

/** Work done by the graphs since the last reset (counted by wrapping the sessions' run). */
interface Work {
  decoderCalls: number;
  decoderTokens: number;
  decoderVisible: number;
  decoderMs: number;
  visionCalls: number;
  visionPatches: number;
  visionMs: number;
  flops: number;
}
const emptyWork = (): Work => ({ decoderCalls: 0, decoderTokens: 0, decoderVisible: 0, decoderMs: 0, visionCalls: 0, visionPatches: 0, visionMs: 0, flops: 0 });
let work = emptyWork();

interface Loaded {
  model: LoadedModel;
  tokenizer: PromptTokenizer;
}
const loaded = new Map<string, Loaded>();
const decoder = new TextDecoder();

function instrument(m: LoadedModel): void {
  const dec = m.decoder;
  const run = dec.run.bind(dec);
  (dec as { run: unknown }).run = async (feeds: Record<string, import('onnxruntime-web').Tensor>, ...rest: unknown[]) => {
    const s = feeds.attn_bias.dims[2];
    const bias = feeds.attn_bias.data as Float32Array;
    let visible = 0;
    for (let i = 0; i < bias.length; i++) if (bias[i] === 0) visible++;
    const t0 = performance.now();
    const out = await (run as (...a: unknown[]) => Promise<unknown>)(feeds, ...rest);
    work.decoderMs += performance.now() - t0;
    work.decoderCalls++;
    work.decoderTokens += s;
    work.decoderVisible += visible;
    work.flops += decoderFlops(m.cfg, s, visible);
    return out;
  };
  const vis = m.vision;
  const vrun = vis.run.bind(vis);
  (vis as { run: unknown }).run = async (feeds: Record<string, import('onnxruntime-web').Tensor>, ...rest: unknown[]) => {
    const n = feeds.patches.dims[0];
    const frame = Number((feeds.frame_shape.data as BigInt64Array)[1]);
    const t0 = performance.now();
    const out = await (vrun as (...a: unknown[]) => Promise<unknown>)(feeds, ...rest);
    work.visionMs += performance.now() - t0;
    work.visionCalls++;
    work.visionPatches += n;
    work.flops += visionFlops(m.cfg, n, frame);
    return out;
  };
}

async function tokenizerOf(manifest: Manifest, read: (f: string) => Promise<Uint8Array>): Promise<PromptTokenizer> {
  const json = async (f: string) => JSON.parse(decoder.decode(await read(f)));
  return loadPromptTokenizer(await json(manifest.files.tokenizer), await json(manifest.files.tokenizerConfig));
}

async function release(key: string) {
  const l = loaded.get(key);
  loaded.delete(key);
  if (l) await l.model.release();
}

/** Loads a converted model over HTTP (files fetched whole, as the e2e engine page does). */
async function loadHttp(key: string, base: string, opts: Pick<LoadOptions, 'matmul'> & { ep?: 'wasm' | 'webgpu' } = {}) {
  const o = await getOrt();
  await release(key);
  const url = (f: string) => new URL(f, new URL(base, location.href)).href;
  const t0 = performance.now();
  const manifest = (await (await fetch(url('manifest.json'))).json()) as Manifest;
  let readMs = 0;
  const read = async (f: string) => {
    const r0 = performance.now();
    const res = await fetch(url(f));
    if (!res.ok) throw new Error(`${f}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    readMs += performance.now() - r0;
    return bytes;
  };
  const ep = opts.ep ?? 'wasm';
  // 'auto' = what the app should pass: int8 on the WASM EP, the stored 4-bit weights on WebGPU.
  const { model, tokenizer } = await startModel(o, manifest, { read }, { executionProviders: [ep], backend: ep, matmul: opts.matmul ?? 'auto' });
  instrument(model);
  loaded.set(key, { model, tokenizer });
  return { ms: performance.now() - t0, readMs, wasmHeapMB: wasmHeapBytes() / 2 ** 20, config: model.cfg, flopFormulas: flopFormulas(model.cfg), weights: manifest.weights, totalBytes: manifest.totalBytes, matmul: model.matmul };
}

/** Synthetic images for the bench: a handle "bench:<width>x<height>:<seed>" gives random patches of that size's grid. */
const benchMedia: MediaDecoder = {
  async image(item) {
    const m = /^bench:(\d+)x(\d+):(\d+)$/.exec(String(item.image));
    if (!m) throw new Error(`not a bench image: ${String(item.image)}`);
    const [h, w] = smartResize(Number(m[2]), Number(m[1]), { minPixels: item.min_pixels, maxPixels: item.max_pixels });
    const grid: [number, number, number] = [1, h / 16, w / 16];
    const n = grid[1] * grid[2];
    const r = prng(Number(m[3]));
    const patches = new Float32Array(n * 1536);
    for (let i = 0; i < patches.length; i++) patches[i] = r() * 2 - 1;
    return { patches, grid };
  },
  async video() {
    throw new Error('the bench uses no videos');
  },
};

/**
 * Scores a request. mode 'reuse' is Sift's way (one request, query prefix run once, documents
 * packed); 'per-document' runs one full prompt per document as its own request, re-encoding the
 * query's image each time (what the reference does, pair by pair).
 */
async function rerank(key: string, request: RerankRequest, mode: 'reuse' | 'per-document' = 'reuse') {
  const l = loaded.get(key);
  if (!l) throw new Error(`no model ${key}`);
  const session = new RerankSession(l.model, l.tokenizer, benchMedia);
  work = emptyWork();
  const t0 = performance.now();
  let scores: (number | null)[] = [];
  const errors: string[] = [];
  if (mode === 'reuse') {
    const out = await session.run(request);
    scores = out.scores;
    errors.push(...out.errors.map((e) => e.message));
  } else {
    for (const doc of request.documents ?? []) {
      const out = await session.run({ ...request, documents: [doc] }, { reusePrefix: false });
      scores.push(out.scores[0]);
      errors.push(...out.errors.map((e) => e.message));
    }
  }
  const ms = performance.now() - t0;
  return { ms, scores, errors, work: { ...work }, wasmHeapMB: wasmHeapBytes() / 2 ** 20 };
}

// ── Where a decoder call's time goes ────────────────────────────────────────────────────────

const shapeSessions = new Map<string, import('onnxruntime-web').InferenceSession>();
async function shapeSession(format: Format, N: number, K: number) {
  const key = `${format}:${N}:${K}`;
  let s = shapeSessions.get(key);
  if (!s) {
    const o = await getOrt();
    const w = randn(N * K, 3 + N + K, 1 / Math.sqrt(K));
    const g = matmulGraph(format, w, N, K);
    s = await o.InferenceSession.create(g.model, { executionProviders: ['wasm'], externalData: g.externalData });
    shapeSessions.set(key, s);
  }
  return s;
}

/** The attention core of one decoder layer (the decoder graph's ops: grouped MatMul, bias, Softmax, MatMul). */
let attnSession: import('onnxruntime-web').InferenceSession | null = null;
async function attentionSession(Hq: number, Hkv: number, D: number) {
  if (attnSession) return attnSession;
  const g = new GraphBuilder('attn', null);
  const q = g.input('q', DType.FLOAT, [1, Hkv, 'R', D]);
  const k = g.input('k', DType.FLOAT, [1, Hkv, 'T', D]);
  const v = g.input('v', DType.FLOAT, [1, Hkv, 'T', D]);
  const bias = g.input('bias', DType.FLOAT, [1, 1, 'S', 'T']);
  g.node('Identity', [attention(g, q, k, v, bias, { to: [0, Hq, -1, 0], back: [0, Hkv, -1, 0] })], { outputs: ['y'] });
  g.output('y', DType.FLOAT, [1, Hkv, 'R', D]);
  attnSession = await (await getOrt()).InferenceSession.create(g.serialize(), { executionProviders: ['wasm'] });
  return attnSession;
}

/**
 * Times one decoder call of S new tokens (empty cache) against, in the same moments, the model's
 * linear layers alone at the same shapes (lone matmuls, summed over the layer's 7 projections and
 * all layers) and the attention core alone. Interleaved rep by rep so machine load hits all alike.
 */
async function profileDecoder(key: string, S: number, reps: number) {
  const l = loaded.get(key);
  if (!l) throw new Error(`no model ${key}`);
  const o = await getOrt();
  const m = l.model;
  const { hiddenSize: H, headDim: D, numHeads: Hq, numKvHeads: Hkv, numLayers: L, intermediateSize: F } = m.cfg.text;
  const format: Format = m.matmul === 'int8' ? 'int8-pertoken-mmitf' : m.manifest.weights.bits === 4 ? 'q4-matmulnbits' : m.manifest.weights.bits === 8 ? 'q8-matmulnbits' : 'fp32-matmul';
  const nds = m.cfg.vision.deepstackVisualIndexes.length;
  const T = S + 1;
  const bias = new Float32Array(S * T).fill(-1e9);
  for (let r = 0; r < S; r++) bias.fill(0, r * T + 1, r * T + 2 + r);
  const step = {
    embeds: randn(S * H, 11, 0.5),
    cos: new Float32Array(S * D).fill(1),
    sin: new Float32Array(S * D),
    bias,
    deepstack: new Float32Array(nds * S * H),
    past: KvCache.empty(m.cfg),
    wantPresent: false,
  };
  const shapes: [number, number, number][] = [
    [Hq * D, H, 1], [Hkv * D, H, 2], [H, Hq * D, 1], [F, H, 2], [H, F, 1], // q · k,v · o · gate,up · down
  ];
  const x = (K: number) => new o.Tensor('float32', randn(S * K, K), [S, K]);
  const inputs = new Map(shapes.map(([, K]) => [K, x(K)]));
  const attn = await attentionSession(Hq, Hkv, D);
  const attnFeeds = {
    q: new o.Tensor('float32', randn(Hq * S * D, 5), [1, Hkv, (Hq / Hkv) * S, D]),
    k: new o.Tensor('float32', randn(Hkv * T * D, 6), [1, Hkv, T, D]),
    v: new o.Tensor('float32', randn(Hkv * T * D, 7), [1, Hkv, T, D]),
    bias: new o.Tensor('float32', bias, [1, 1, S, T]),
  };
  for (const [N, K] of shapes) await shapeSession(format, N, K);
  const dec: number[] = [];
  const lin: number[] = [];
  const att: number[] = [];
  for (let r = 0; r <= reps; r++) {
    let t0 = performance.now();
    await runDecoder(m, step);
    const dt = performance.now() - t0;
    let ls = 0;
    for (const [N, K, times] of shapes) {
      const sess = await shapeSession(format, N, K);
      t0 = performance.now();
      const out = await sess.run({ A: inputs.get(K)! });
      ls += (performance.now() - t0) * times;
      out.Y.dispose();
    }
    t0 = performance.now();
    (await attn.run(attnFeeds)).y.dispose();
    const at = performance.now() - t0;
    if (r > 0) (dec.push(dt), lin.push(ls * L), att.push(at * L)); // rep 0 warms up
  }
  const flops = decoderFlops(m.cfg, S, (S * (S + 1)) / 2);
  const decoderMs = median(dec);
  const linearMs = median(lin);
  const attentionMs = median(att);
  return {
    S,
    format,
    decoderMs,
    linearMs,
    attentionMs,
    otherMs: decoderMs - linearMs - attentionMs,
    decoderGflops: flops / (decoderMs * 1e6),
    linearGflops: (2 * S * L * decoderLayerLinearParams(m.cfg)) / (linearMs * 1e6),
  };
}

// ── The store (cached start) ────────────────────────────────────────────────────────────────

async function storeDownload(manifestUrl: string) {
  const t0 = performance.now();
  const r = await store.downloadModel(new URL(manifestUrl, location.href).href);
  return { ms: performance.now() - t0, fetchedBytes: r.fetchedBytes, id: r.model.id, version: r.model.version, bytes: r.model.bytes };
}

async function storeDelete(id: string) {
  await store.deleteModel(id);
}

/**
 * Reads every stored chunk of a model version with the bare IndexedDB API: one transaction, a cursor,
 * and each Blob chunk's bytes read out (one after another, the fastest way here).
 */
async function rawRead(id: string, version: string) {
  const t0 = performance.now();
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open('sift-models');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const prefix = `chunk/${encodeURIComponent(id)}/${encodeURIComponent(version)}/`;
  let bytes = 0;
  let chunks = 0;
  const blobs: Blob[] = [];
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('files', 'readonly');
    const req = tx.objectStore('files').openCursor(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
    req.onsuccess = () => {
      const c = req.result;
      if (!c) return;
      const v = c.value as Blob | Uint8Array;
      if (v instanceof Blob) blobs.push(v);
      else bytes += v.byteLength;
      chunks++;
      c.continue();
    };
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  for (const b of blobs) bytes += (await b.arrayBuffer()).byteLength;
  return { ms: performance.now() - t0, bytes, chunks };
}

/** Reads every file of a stored model through the store's read-ahead reader (what a load reads), nothing else running. */
async function readerRead(id: string, version: string) {
  const t0 = performance.now();
  const ready = await store.loadReadyModel(id);
  if (!ready || ready.version !== version) throw new Error(`model ${id} ${version} is not stored`);
  const files = [...new Set(ready.manifest.shards.map((s) => s.file))];
  const reader = store.openModelReader(id, version);
  let bytes = 0;
  try {
    reader.prefetch(files);
    for (const f of files) bytes += (await reader.read(f)).byteLength;
  } finally {
    reader.close();
  }
  return { ms: performance.now() - t0, bytes, files: files.length };
}

/**
 * What the worker does on "Load model" when every shard is in IndexedDB (workers/sift.worker.ts
 * compile()): downloadModel (a manifest fetch: the version is ready), then startModel — the
 * tokenizer and the sessions — reading through the store's read-ahead Worker. The first call in a
 * page also pays onnxruntime's wasm start-up (the runner starts the runtime first, timed apart).
 */
async function cachedStart(key: string, manifestUrl: string, opts: Pick<LoadOptions, 'matmul'> = {}) {
  await release(key);
  const t0 = performance.now();
  const o = await getOrt();
  const tOrt = performance.now();
  const ready = (await store.downloadModel(new URL(manifestUrl, location.href).href)).model;
  const tObtain = performance.now();
  sessionCreateMs = 0;
  const reader = store.openModelReader(ready.id, ready.version);
  let started: StartedModel;
  try {
    started = await startModel(o, ready.manifest, reader, { executionProviders: ['wasm'], backend: 'wasm', matmul: opts.matmul ?? 'auto' });
  } finally {
    reader.close();
  }
  const t1 = performance.now();
  const { model, tokenizer } = started;
  // Reads finished, in ms after startModel began (as the timeline's marks).
  const base = performance.timeOrigin + tObtain;
  const reads = Object.fromEntries(reader.timings.map((r) => [`read:${r.file}`, Math.round(r.doneAt - base)]));
  instrument(model);
  loaded.set(key, { model, tokenizer });
  return {
    ms: t1 - t0,
    ortInitMs: tOrt - t0,
    obtainMs: tObtain - tOrt,
    sessionCreateMs,
    tokenizerMs: started.tokenizerMs,
    wasmHeapMB: wasmHeapBytes() / 2 ** 20,
    matmul: model.matmul,
    timeline: { ...model.loadTimeline, tokenizer: started.tokenizerMs, ...reads },
    id: ready.id,
    version: ready.version,
  };
}

/** One graph of a converted model over HTTP: its .onnx bytes and its external-data shards. */
async function fetchGraph(base: string, graph: 'vision' | 'decoder') {
  const url = (f: string) => new URL(f, new URL(base, location.href)).href;
  const bytes = async (f: string) => new Uint8Array(await (await fetch(url(f))).arrayBuffer());
  const g = ((await (await fetch(url('manifest.json'))).json()) as Manifest).graphs[graph];
  const model: Uint8Array = await bytes(g.file);
  const externalData: { path: string; data: Uint8Array }[] = await Promise.all(g.shards.map(async (path) => ({ path, data: await bytes(path) })));
  return { model, externalData };
}

/** Session creation alone for one graph of a model over HTTP, at an optimization level (diagnostics). */
async function createProbe(base: string, graph: 'vision' | 'decoder', level: 'disabled' | 'basic' | 'extended' | 'all', matmul: 'stored' | 'int8' = 'stored', verbose = false, extra: Record<string, unknown> = {}) {
  const o = await getOrt();
  let { model, externalData } = await fetchGraph(base, graph);
  let rewriteMs = 0;
  if (matmul === 'int8') {
    const t = performance.now();
    const { rewriteMatMulNBitsToInt8 } = await import('../../src/model/int8Matmul.ts');
    const rw = rewriteMatMulNBitsToInt8(model, new Map(externalData.map((e) => [e.path, e.data])), { prefix: graph });
    model = rw.model;
    externalData = [...externalData, ...rw.externalData];
    rewriteMs = performance.now() - t;
  }
  const t0 = performance.now();
  const session = await o.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: level, externalData, ...extra, ...(verbose ? { logSeverityLevel: 0 as const, logVerbosityLevel: 0 } : {}) });
  const ms = performance.now() - t0;
  await session.release();
  return { graph, level, matmul, ms, rewriteMs, bytes: externalData.reduce((n, e) => n + e.data.byteLength, 0), wasmHeapMB: wasmHeapBytes() / 2 ** 20 };
}

/**
 * Diagnostics: a graph's session built (bytes fetched beforehand) while the store's reader Worker reads
 * a stored model; returns both times and each alone is measured by the caller.
 */
async function createWhileReading(base: string, graph: 'vision' | 'decoder', id: string, version: string, delayMs = 400, extra: Record<string, unknown> = {}) {
  const o = await getOrt();
  const { model, externalData } = await fetchGraph(base, graph);
  const read = id ? readerRead(id, version) : Promise.resolve({ ms: 0 });
  await new Promise((r) => setTimeout(r, delayMs));
  const t0 = performance.now();
  const session = await o.InferenceSession.create(model, { executionProviders: ['wasm'], externalData, ...extra });
  const createMs = performance.now() - t0;
  await session.release();
  return { createMs, readMs: (await read).ms };
}

/** Starts onnxruntime's wasm runtime (fetch, compile, threads) with a one-node session; returns its time. */
async function warmRuntime() {
  const t0 = performance.now();
  const o = await getOrt();
  const g = new GraphBuilder('warm', null);
  g.node('Identity', [g.input('x', DType.FLOAT, [1])], { outputs: ['y'] });
  g.output('y', DType.FLOAT, [1]);
  const s = await o.InferenceSession.create(g.serialize(), { executionProviders: ['wasm'] });
  await s.release();
  return { ms: performance.now() - t0 };
}

/** Diagnostics: does a row's int8 result depend on the other rows of the call? Returns max |Δ| per variant. */
async function int8RowCheck(K = 2048, N = 2048, M = 200, split = 70) {
  const o = await getOrt();
  const w = randn(N * K, 1, 1 / Math.sqrt(K));
  const out: Record<string, number> = {};
  for (const format of ['int8-pertoken-mmitf', 'int8-pertoken-matmulinteger', 'q4-matmulnbits'] as Format[]) {
    const g = matmulGraph(format, w, N, K);
    const s = await o.InferenceSession.create(g.model, { executionProviders: ['wasm'], externalData: g.externalData });
    const a = randn(M * K, 2);
    const run = async (x: Float32Array, m: number) => (await s.run({ A: new o.Tensor('float32', x, [m, K]) })).Y.data as Float32Array;
    const all = await run(a, M);
    const first = await run(a.slice(0, split * K), split);
    const rest = await run(a.slice(split * K), M - split);
    let d = 0;
    for (let i = 0; i < split * N; i++) d = Math.max(d, Math.abs(all[i] - first[i]));
    for (let i = 0; i < (M - split) * N; i++) d = Math.max(d, Math.abs(all[split * N + i] - rest[i]));
    out[format] = d;
    await s.release();
  }
  return out;
}

/**
 * The parts of a cached start one after another (nothing overlapped), for diagnosis: reading every
 * file through the store, the int8 rewrite, each session, the tokenizer.
 */
async function loadParts(manifestUrl: string, matmul: 'stored' | 'int8') {
  const o = await getOrt();
  const ready = (await store.downloadModel(new URL(manifestUrl, location.href).href)).model;
  const m = ready.manifest;
  const t: Record<string, number> = {};
  let t0 = performance.now();
  const files = new Map<string, Uint8Array>();
  for (const s of m.shards) files.set(s.file, await store.readModelFile(ready.id, ready.version, s.file));
  t.readAll = performance.now() - t0;
  const { rewriteMatMulNBitsToInt8 } = await import('../../src/model/int8Matmul.ts');
  for (const g of ['vision', 'decoder'] as const) {
    let model = files.get(m.graphs[g].file)!;
    let externalData = m.graphs[g].shards.map((path) => ({ path, data: files.get(path)! }));
    if (matmul === 'int8') {
      t0 = performance.now();
      const rw = rewriteMatMulNBitsToInt8(model, new Map(externalData.map((x) => [x.path, x.data])), { prefix: g });
      model = rw.model;
      externalData = [...externalData, ...rw.externalData];
      t[`${g}Rewrite`] = performance.now() - t0;
    }
    t0 = performance.now();
    const s = await o.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all', externalData });
    t[`${g}Create`] = performance.now() - t0;
    await s.release();
  }
  t0 = performance.now();
  await tokenizerOf(m, async (f) => files.get(f) ?? store.readModelFile(ready.id, ready.version, f));
  t.tokenizer = performance.now() - t0;
  return t;
}

async function kernelCheck() {
  const { requantKernel } = await import('../../src/model/requantWasm.ts');
  const { createRequantizer } = await import('../../src/engine/requantPool.ts');
  const { quantizeMatrix } = await import('../../src/model/quantize.ts');
  const { requantizeInt8 } = await import('../../src/model/int8Matmul.ts');
  const N = 6144;
  const K = 2048;
  const q = quantizeMatrix(randn(N * K, 3), N, K, 4, 32);
  const job = { packed: q.packed, blockScales: q.scales, zeroPoints: q.zeroPoints, N, K, bits: 4, blockSize: 32 };
  const r = createRequantizer();
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    await r.run(job);
    times.push(performance.now() - t0);
  }
  r.close();
  const inline: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    requantizeInt8(q.packed, q.scales, q.zeroPoints, N, K, 4, 32);
    inline.push(performance.now() - t0);
  }
  return { kernel: !!requantKernel(), worker: times, inline };
}

const api = {
  env,
  kernelCheck,
  loadParts,
  int8RowCheck,
  warmRuntime,
  createProbe,
  createWhileReading,
  roofline,
  loadHttp,
  release,
  rerank,
  profileDecoder,
  storeDownload,
  storeDelete,
  rawRead,
  readerRead,
  cachedStart,
  wasmHeapMB: () => wasmHeapBytes() / 2 ** 20,
  jsHeapMB: () => ((performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0) / 2 ** 20,
};
export type BenchApi = typeof api;
(window as unknown as { siftBench: BenchApi }).siftBench = api;
document.body.dataset.ready = 'true';
