// The page's onnxruntime: the wasm heap captured (to read its size), the runtime loaded as the worker
// loads it, every session creation timed, and small helpers the bench's runs share. Imported before
// anything loads onnxruntime-web, so the heap's WebAssembly.Memory is seen being created.
import { isFallbackAdapter } from '../../workers/backend.ts';
import { startedOrtHeap, wrappedWasmPaths } from '../../src/engine/inPlaceSession.ts';
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
export function wasmHeapBytes(): number {
  return memories.reduce((s, m) => Math.max(s, m.buffer.byteLength), 0);
}

export type Ort = typeof import('onnxruntime-web');
let ort: Ort | null = null;
/** ms spent in InferenceSession.create since the caller last set it to 0. */
export const sessionCreate = { ms: 0 };

export async function getOrt(): Promise<Ort> {
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
      sessionCreate.ms += performance.now() - t0;
    }
  };
  // As the worker starts it: through the factory wrapper (a blob: module here; the app serves a file).
  // (?wrapper=0, diagnostics: onnxruntime-web as it starts by itself, no in-place sessions.)
  const base = new URL('/ort/', location.href).href;
  mod.env.wasm.wasmPaths =
    new URLSearchParams(location.search).get('wrapper') === '0'
      ? base
      : wrappedWasmPaths(base, 'ort-wasm-simd-threaded.jsep', (source) =>
          URL.createObjectURL(new Blob([source], { type: 'text/javascript' })),
        );
  // --threads N (diagnostics): another thread count than the 2 cores here.
  mod.env.wasm.numThreads = crossOriginIsolated ? Number(new URLSearchParams(location.search).get('threads') ?? 2) : 1;
  ort = mod;
  return mod;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export function randn(n: number, seed: number, std = 1): Float32Array {
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

export async function env() {
  const o = await getOrt();
  const gpu = (
    navigator as unknown as {
      gpu?: {
        requestAdapter(): Promise<{
          info: { vendor: string; architecture: string; device?: string; description?: string };
          isFallbackAdapter?: boolean;
        } | null>;
      };
    }
  ).gpu;
  let adapter = null;
  try {
    const a = gpu ? await gpu.requestAdapter() : null;
    if (a)
      adapter = {
        vendor: a.info.vendor,
        architecture: a.info.architecture,
        description: a.info.description ?? '',
        fallback: isFallbackAdapter(a),
      };
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

/** Starts onnxruntime's wasm runtime (fetch, compile, threads) with a one-node session; returns its time. */
export async function warmRuntime() {
  const t0 = performance.now();
  const heap = await startedOrtHeap(await getOrt());
  return { ms: performance.now() - t0, heapKept: heap !== null };
}
