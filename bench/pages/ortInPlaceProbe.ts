// Probe page (not part of `npm run bench`; driven by bench/probes/ortInPlaceBrowser.mjs): the decoder as an
// ORT-format model, streamed into a heap block of onnxruntime-web's own Module and used there in place,
// in Chromium with 2 threads. The Module is reached through a wrapper of onnxruntime-web's factory
// (a Blob module handed over as env.wasm.wasmPaths.mjs); the block is kept alive by skipping
// onnxruntime-web's free of it. Needs decoder-basic.ort beside each model (bench/probes/ortFormatInPlace.ts
// writes it).
import * as ort from 'onnxruntime-web';
type Module = { _malloc(n: number): number; _free(p: number): void; HEAPU8: Uint8Array };
const factoryUrl = new URL('/ort/ort-wasm-simd-threaded.jsep.mjs', location.href).href;
const src = `import f from '${factoryUrl}'; export default async (a) => { const m = await f(a); self.__siftOrtModule = m; return m; };`;
ort.env.wasm.wasmPaths = { mjs: URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), wasm: new URL('/ort/ort-wasm-simd-threaded.jsep.wasm', location.href).href } as unknown as string;
ort.env.wasm.numThreads = 2;
const mod = () => (self as unknown as { __siftOrtModule: Module }).__siftOrtModule;

async function warm() {
  // Any tiny session starts the runtime (and the Module).
  await ort.InferenceSession.create(new Uint8Array(await (await fetch('/bench-models/l4v6-int8/decoder-basic.ort')).arrayBuffer())).then((s) => s.release());
}
/** Streams a URL's body straight into a malloc'd heap block. */
async function fetchIntoHeap(url: string) {
  const M = mod();
  const res = await fetch(url);
  const n = Number(res.headers.get('Content-Length'));
  const ptr = M._malloc(n);
  let at = ptr;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    M.HEAPU8.set(value, at);
    at += value.byteLength;
  }
  return { ptr, n };
}
async function inPlace(model: string) {
  let t = performance.now();
  const heap0 = mod().HEAPU8.buffer.byteLength;
  const { ptr, n } = await fetchIntoHeap(`/bench-models/${model}/decoder-basic.ort`);
  const readMs = performance.now() - t;
  const M = mod();
  const free = M._free;
  M._free = (p) => (p === ptr ? undefined : free(p));
  t = performance.now();
  const s = await ort.InferenceSession.create(M.HEAPU8.subarray(ptr, ptr + n), { extra: { session: { use_ort_model_bytes_for_initializers: '1' } } } as ort.InferenceSession.SessionOptions);
  const createMs = performance.now() - t;
  M._free = free;
  const heapMB = (mod().HEAPU8.buffer.byteLength - heap0) / 2 ** 20;
  return { s, readMs, createMs, heapMB, ptr };
}
async function plainFetch(model: string) {
  const t = performance.now();
  const b = await (await fetch(`/bench-models/${model}/decoder-basic.ort`)).arrayBuffer();
  return { readMs: performance.now() - t, bytes: b.byteLength };
}
function feedsFor(s: ort.InferenceSession) {
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
  const feeds: Record<string, ort.Tensor> = {};
  for (const meta of s.inputMetadata) {
    if (!meta.isTensor) continue;
    const shape = meta.shape.map((x) => (typeof x === 'number' ? x : /past|P/.test(String(x)) ? 0 : 8));
    if (meta.name === 'attn_bias') shape.splice(2, 2, 8, 8);
    const k = shape.reduce((a, b) => a * b, 1);
    feeds[meta.name] = new ort.Tensor('float32', Float32Array.from({ length: k }, () => (meta.name === 'attn_bias' ? 0 : rnd())), shape);
  }
  return feeds;
}
async function check(model: string) {
  const a = await inPlace(model);
  const la = (await a.s.run(feedsFor(a.s))).logits.data as Float32Array;
  // The same file, copied by onnxruntime as usual: the reference.
  const b = await ort.InferenceSession.create(new Uint8Array(await (await fetch(`/bench-models/${model}/decoder-basic.ort`)).arrayBuffer()));
  const lb = (await b.run(feedsFor(b))).logits.data as Float32Array;
  const la2 = (await a.s.run(feedsFor(a.s))).logits.data as Float32Array;
  return { diff: Math.max(...la.map((x, i) => Math.abs(x - lb[i]))), diffAfter: Math.max(...la2.map((x, i) => Math.abs(x - lb[i]))), finite: la.every(Number.isFinite) };
}
(window as unknown as Record<string, unknown>).ortInPlaceProbe = {
  warm,
  inPlace: async (m: string) => {
    const r = await inPlace(m);
    return { readMs: r.readMs, createMs: r.createMs, heapMB: r.heapMB };
  },
  plainFetch,
  check,
};

// From IndexedDB (8 MB Blob chunks, as the store keeps files): the .ort put once, then read in fresh pages.
const DB = 'sift-ort-probe';
function idb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open(DB, 1);
    r.onupgradeneeded = () => r.result.createObjectStore('chunks');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
async function storeOrt(model: string) {
  const bytes = new Uint8Array(await (await fetch(`/bench-models/${model}/decoder-basic.ort`)).arrayBuffer());
  const db = await idb();
  const CHUNK = 8 * 2 ** 20;
  for (let i = 0, k = 0; i < bytes.length; i += CHUNK, k++) {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('chunks', 'readwrite');
      tx.objectStore('chunks').put(new Blob([bytes.subarray(i, i + CHUNK)]), [model, k]);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
  return { bytes: bytes.length };
}
async function chunksOf(model: string): Promise<Blob[]> {
  const db = await idb();
  return new Promise((resolve, reject) => {
    const r = db.transaction('chunks').objectStore('chunks').getAll(IDBKeyRange.bound([model, 0], [model, Infinity]));
    r.onsuccess = () => resolve(r.result as Blob[]);
    r.onerror = () => reject(r.error);
  });
}
/** 'raw': every chunk's bytes into one buffer of the file's size (the bench's raw read); 'chunks': each
 * chunk's ArrayBuffer copied into a heap block; 'stream': each chunk streamed into the heap block;
 * 'whole': the raw read's buffer, then copied into the heap block (what the store's reader hands over
 * today). Then, for the heap ways, the in-place session. */
async function fromIdb(model: string, way: 'raw' | 'chunks' | 'stream' | 'whole') {
  let t = performance.now();
  const chunks = await chunksOf(model);
  const n = chunks.reduce((s, c) => s + c.size, 0);
  const M = mod();
  const ptr = way === 'raw' ? 0 : M._malloc(n);
  const raw = way === 'raw' || way === 'whole' ? new Uint8Array(n) : null;
  let at = 0;
  for (const c of chunks) {
    if (way === 'stream') {
      const reader = c.stream().getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        M.HEAPU8.set(value, ptr + at);
        at += value.byteLength;
      }
    } else {
      const b = new Uint8Array(await c.arrayBuffer());
      if (raw) raw.set(b, at);
      else M.HEAPU8.set(b, ptr + at);
      at += b.byteLength;
    }
  }
  if (way === 'whole') M.HEAPU8.set(raw!, ptr);
  const readMs = performance.now() - t;
  if (way === 'raw') return { readMs, bytes: n };
  const free = M._free;
  M._free = (p) => (p === ptr ? undefined : free(p));
  t = performance.now();
  const s = await ort.InferenceSession.create(M.HEAPU8.subarray(ptr, ptr + n), { extra: { session: { use_ort_model_bytes_for_initializers: '1' } } } as ort.InferenceSession.SessionOptions);
  const createMs = performance.now() - t;
  M._free = free;
  const l = (await s.run(feedsFor(s))).logits.data as Float32Array;
  return { readMs, createMs, bytes: n, finite: l.every(Number.isFinite) };
}
Object.assign((window as unknown as { ortInPlaceProbe: object }).ortInPlaceProbe, { storeOrt, fromIdb });
