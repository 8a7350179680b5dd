// Sessions built from ORT-format graphs whose weights onnxruntime uses where they lie: in one block of
// its own wasm heap, which the engine fills and keeps. The ONNX path has the weights in memory twice
// while a session is built (the files, then onnxruntime's copy of each initializer); on machines where
// fresh memory is dear that copy is most of a cached start (docs/decisions/2026-12-04-cpu-floor.md and
// 2026-12-04-ort-format-in-place.md). onnxruntime-web 1.30 frees the model buffer it is handed as soon as create returns, so
// the block must be ours: a wrapper of its emscripten factory, handed over as env.wasm.wasmPaths.mjs,
// keeps the Module it builds (malloc, free, HEAPU8), and that Module's free spares pinned blocks.
import type * as OrtTypes from 'onnxruntime-web';
import { withArticle } from '../media/article.ts';
import { DType, GraphBuilder } from '../model/onnx/graph.ts';

type Ort = typeof OrtTypes;

/** The part of onnxruntime-web's emscripten Module this needs. */
export interface OrtHeap {
  _malloc(bytes: number): number;
  _free(ptr: number): void;
  HEAPU8: Uint8Array;
}

const KEY = '__siftOrtHeap';

/**
 * Source of an ES module that wraps onnxruntime-web's factory at `factoryUrl` (absolute) and keeps the
 * Module it builds where ortHeap() finds it. Serve it (or a data:/blob: URL of it) as wasmPaths.mjs,
 * with wasmPaths.wasm naming the factory's .wasm; onnxruntime's pthread Workers load the factory itself.
 */
export function factoryWrapperSource(factoryUrl: string): string {
  return [
    `import factory from ${JSON.stringify(factoryUrl)};`,
    'export default async function siftOrtFactory(moduleArg) {',
    '  const module = await factory(moduleArg);',
    `  globalThis.${KEY} = module;`,
    '  return module;',
    '}',
    '',
  ].join('\n');
}

/** The wrapper's file name beside onnxruntime-web's runtime files, where the app serves (and precaches) it. */
export const ORT_WRAPPER_FILE = 'sift-ort-factory.mjs';

/** The app's wasmPaths: its served wrapper and the WebGPU (JSEP) build's .wasm, both under `base` (ending in '/'). */
export function servedWasmPaths(base: string): { mjs: string; wasm: string } {
  return { mjs: base + ORT_WRAPPER_FILE, wasm: `${base}ort-wasm-simd-threaded.jsep.wasm` };
}

/**
 * onnxruntime-web's wasmPaths for starting through the wrapper: `base` is where its runtime files are
 * (an absolute URL ending in '/'), `build` which of them ('ort-wasm-simd-threaded' for the plain WASM
 * bundle, 'ort-wasm-simd-threaded.jsep' for the WebGPU one), and `moduleUrl` turns the wrapper's
 * source into an importable URL (a data: URL in Node, a blob: URL in a browser).
 */
export function wrappedWasmPaths(base: string, build: string, moduleUrl: (source: string) => string): { mjs: string; wasm: string } {
  return { mjs: moduleUrl(factoryWrapperSource(`${base}${build}.mjs`)), wasm: `${base}${build}.wasm` };
}

/** The Module kept by the wrapper, once onnxruntime-web has started through it; null otherwise. */
export function ortHeap(): OrtHeap | null {
  return ((globalThis as Record<string, unknown>)[KEY] as OrtHeap | undefined) ?? null;
}

/**
 * Starts onnxruntime-web's wasm runtime if it has not started (it starts on the first session; it has
 * no call of its own for that): a one-node session, built and released. Then the Module kept by the
 * wrapper, or null when onnxruntime-web was not started through it.
 */
export async function startedOrtHeap(ort: Ort): Promise<OrtHeap | null> {
  if (!ortHeap()) {
    const g = new GraphBuilder('start', null);
    g.node('Identity', [g.input('x', DType.FLOAT, [1])], { outputs: ['y'] });
    g.output('y', DType.FLOAT, [1]);
    await (await ort.InferenceSession.create(g.serialize(), { executionProviders: ['wasm'] })).release();
  }
  return ortHeap();
}

/** True for an ORT-format model (a flatbuffer with file identifier "ORTM"). */
export function isOrtFormat(bytes: Uint8Array): boolean {
  return bytes.length > 8 && bytes[4] === 0x4f && bytes[5] === 0x52 && bytes[6] === 0x54 && bytes[7] === 0x4d;
}

// Blocks whose weights live sessions use; the Module's free leaves them alone until released.
const pinned = new WeakMap<OrtHeap, { blocks: Set<number>; free: (ptr: number) => void }>();

function pin(heap: OrtHeap, ptr: number) {
  let p = pinned.get(heap);
  if (!p) {
    const free = heap._free.bind(heap);
    const blocks = new Set<number>();
    heap._free = (q: number) => void (blocks.has(q) || free(q));
    pinned.set(heap, (p = { blocks, free }));
  }
  p.blocks.add(ptr);
}

function unpin(heap: OrtHeap, ptr: number) {
  const p = pinned.get(heap)!;
  p.blocks.delete(ptr);
  p.free(ptr);
}

export interface InPlaceSession {
  session: OrtTypes.InferenceSession;
  /** Releases the session, then its heap block. */
  release(): Promise<void>;
}

/** A block of onnxruntime's heap for one graph's bytes, spared from its free until released. */
export interface GraphBlock {
  byteLength: number;
  /** The block's bytes (a fresh view each call: a non-shared heap's buffer is replaced when it grows). */
  view(): Uint8Array;
  release(): void;
}

export function allocateGraphBlock(heap: OrtHeap, byteLength: number): GraphBlock {
  const ptr = heap._malloc(byteLength);
  if (!ptr)
    throw new Error(
      `Not enough WebAssembly memory for ${withArticle(`${Math.round(byteLength / 2 ** 20)} MB`)} model graph. Close other tabs or use a smaller model.`,
    );
  pin(heap, ptr);
  let released = false;
  return {
    byteLength,
    view: () => heap.HEAPU8.subarray(ptr, ptr + byteLength),
    release() {
      if (!released) unpin(heap, ptr);
      released = true;
    },
  };
}

/**
 * Builds a session from the ORT-format model filling `block`; onnxruntime uses its initializers there.
 * The session owns the block from then on (it is released with it, or here if building fails).
 */
export async function createInPlaceSession(
  ort: Ort,
  block: GraphBlock,
  options: OrtTypes.InferenceSession.SessionOptions = {},
): Promise<InPlaceSession> {
  try {
    const view = block.view();
    if (!isOrtFormat(view)) throw new Error('not an ORT-format model graph');
    const extra = (options.extra ?? {}) as { session?: Record<string, string> };
    const session = await ort.InferenceSession.create(view, {
      ...options,
      extra: { ...extra, session: { ...extra.session, use_ort_model_bytes_for_initializers: '1' } },
    });
    return {
      session,
      async release() {
        await session.release();
        block.release();
      },
    };
  } catch (err) {
    block.release();
    throw err;
  }
}

/**
 * Builds a session from an ORT-format model of `byteLength` bytes whose parts arrive in order: each is
 * copied straight into one heap block as it comes (so the bytes are in fresh memory once; a file-sized
 * buffer first would make it twice), then onnxruntime uses the initializers there.
 */
export async function createInPlace(
  ort: Ort,
  heap: OrtHeap,
  parts: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  byteLength: number,
  options: OrtTypes.InferenceSession.SessionOptions = {},
): Promise<InPlaceSession> {
  const block = allocateGraphBlock(heap, byteLength);
  try {
    let at = 0;
    for await (const part of parts) {
      if (at + part.byteLength > byteLength) throw new Error(`model graph is longer than the ${byteLength} bytes its manifest gives`);
      block.view().set(part, at);
      at += part.byteLength;
    }
    if (at !== byteLength) throw new Error(`model graph is ${at} bytes, its manifest gives ${byteLength}`);
  } catch (err) {
    block.release();
    throw err;
  }
  return createInPlaceSession(ort, block, options);
}
