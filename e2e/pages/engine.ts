// Engine test page: loads converted models over HTTP onto the execution provider chosen by
// workers/backend.ts (as the worker does) and runs the vision graph, full-prompt decoder passes and the
// Scorer, for e2e/engine.spec.ts, which compares everything with the CPU reference in Node.
import { loadModel, runVision, type LoadedModel, type Ort } from '../../src/engine/session.ts';
import { servedWasmPaths } from '../../src/engine/inPlaceSession.ts';
import { Scorer, type PromptInput, type ScoreOptions, type VisionItem } from '../../src/engine/scorer.ts';
import type { Grid } from '../../src/engine/rope.ts';
import type { Manifest } from '../../src/model/manifest.ts';
import type { Backend } from '../../src/lib/types.ts';
import { isFallbackAdapter, pickBackend, sessionOptionsFor } from '../../workers/backend.ts';

/** 'default' is the bundle the worker imports (JSEP WebGPU); 'webgpu' is ort's native WebGPU EP bundle. */
export type Bundle = 'default' | 'webgpu';

/** A prompt on the wire: vision items are indices into the list given to setItems. */
export interface WirePrompt {
  ids: number[];
  images: number[];
  videos: number[];
}

// Counts GPU queue submissions: proof that a run really went through WebGPU and not a silent CPU path.
let submits = 0;
const gpuQueue = (globalThis as unknown as { GPUQueue?: { prototype: { submit: (...a: unknown[]) => unknown } } }).GPUQueue;
if (gpuQueue) {
  const submit = gpuQueue.prototype.submit;
  gpuQueue.prototype.submit = function (this: unknown, ...args: unknown[]) {
    submits++;
    return submit.apply(this, args);
  };
}

let ort: Ort | null = null;
let bundle: Bundle | null = null;
const models = new Map<string, LoadedModel>();
let items: VisionItem[] = [];
const gpuKernels = new Set<string>(); // kernel types
const gpuNodes = new Set<string>(); // node names (SimplifiedLayerNormalization runs as a LayerNormalization kernel)

async function ortFor(b: Bundle): Promise<Ort> {
  if (ort) {
    if (bundle !== b) throw new Error(`this page already loaded the ${bundle} ort bundle`);
    return ort;
  }
  const mod = (b === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web')) as Ort;
  // The app's own copy of the runtime (no CDN); two threads need cross-origin isolation. The default
  // bundle starts as the worker starts it: through the factory wrapper, so ORT-format graphs are used in place.
  const base = new URL('/ort/', location.href).href;
  mod.env.wasm.wasmPaths = b === 'default' ? servedWasmPaths(base) : base;
  mod.env.wasm.numThreads = crossOriginIsolated ? 2 : 1;
  ort = mod;
  bundle = b;
  return mod;
}

async function adapterInfo() {
  const gpu = (
    navigator as unknown as {
      gpu?: {
        requestAdapter(): Promise<{
          info: { vendor: string; architecture: string; isFallbackAdapter?: boolean };
          isFallbackAdapter?: boolean;
        } | null>;
      };
    }
  ).gpu;
  const a = gpu ? await gpu.requestAdapter() : null;
  if (!a) return null;
  return { vendor: a.info.vendor, architecture: a.info.architecture, fallback: isFallbackAdapter(a) };
}

/** Loads manifest + files from `base` (a URL folder) on the backend that pickBackend chooses for `prefer`. */
async function load(key: string, base: string, prefer: Backend, b: Bundle = 'default') {
  const o = await ortFor(b);
  const choice = await pickBackend(prefer);
  const url = (f: string) => new URL(f, new URL(base, location.href)).href;
  const manifest = (await (await fetch(url('manifest.json'))).json()) as Manifest;
  const read = async (f: string) => {
    const res = await fetch(url(f));
    if (!res.ok) throw new Error(`${f}: HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const t0 = performance.now();
  const providers = sessionOptionsFor(choice);
  const model = await loadModel(o, manifest, read, { executionProviders: providers, backend: choice.backend });
  models.get(key)?.release();
  models.set(key, model);
  const device = (o.env as unknown as { webgpu?: { device?: { features: { has(f: string): boolean } } } }).webgpu?.device;
  return {
    backend: choice.backend,
    reason: choice.reason,
    graphs: model.graphs,
    providers: JSON.stringify(providers, (k, v) => (k === 'device' ? (v ? 'GPUDevice' : v) : v)),
    gpuDevice: Boolean(device),
    deviceSubgroups: Boolean(device?.features.has('subgroups')),
    threads: o.env.wasm.numThreads ?? 1,
    crossOriginIsolated,
    loadMs: performance.now() - t0,
  };
}

function model(key: string): LoadedModel {
  const m = models.get(key);
  if (!m) throw new Error(`no model loaded as ${key}`);
  return m;
}

const prompt = (p: WirePrompt): PromptInput => ({
  ids: p.ids,
  images: p.images.map((i) => items[i]),
  videos: p.videos.map((i) => items[i]),
});

/** Runs `fn`, reporting GPU submissions and wall time; with `profile`, records the JSEP kernel types that ran on the GPU. */
async function measured<T>(fn: () => Promise<T>, profile = false) {
  const env = ort?.env as unknown as { webgpu: { profiling?: unknown } };
  // ondata stays set after the run: the profiler reports asynchronously, when its timestamps are read back.
  const ondata = (d: { kernelType: string; kernelName: string }) => (gpuKernels.add(d.kernelType), gpuNodes.add(d.kernelName));
  if (profile) env.webgpu.profiling = { mode: 'default', ondata };
  const before = submits;
  const t0 = performance.now();
  try {
    const result = await fn();
    return { result, ms: performance.now() - t0, submits: submits - before };
  } finally {
    if (profile) env.webgpu.profiling = { mode: 'off', ondata };
  }
}

const engineTest = {
  adapterInfo,
  /** What the worker's backend choice says for a preference in this browser. */
  chooseBackend: pickBackend,
  load,
  setItems(list: { patches: Float32Array; grid: Grid }[]) {
    items = list.map((x) => ({ patches: x.patches, grid: x.grid }));
  },
  async vision(key: string, item: number) {
    return measured(() => runVision(model(key), items[item].patches, items[item].grid));
  },
  /** One full-prompt decoder call; hidden states come only from graphs converted with debug outputs. */
  async forward(key: string, p: WirePrompt, profile = false) {
    return measured(async () => {
      const r = await new Scorer(model(key)).forwardFull(prompt(p), { hidden: true });
      return { logit: r.logits[p.ids.length - 1], logits: r.logits, hidden: r.hidden ?? [] };
    }, profile);
  },
  async score(key: string, prefix: WirePrompt | null, docs: WirePrompt[], opts: Pick<ScoreOptions, 'reusePrefix' | 'chunkTokens'>) {
    return measured(() => new Scorer(model(key)).score(prefix && prompt(prefix), docs.map(prompt), opts));
  },
  gpuKernels: () => ({ types: [...gpuKernels].sort(), nodes: [...gpuNodes].sort() }),
};

export type EngineTestApi = typeof engineTest;
(window as unknown as { engineTest: EngineTestApi }).engineTest = engineTest;
