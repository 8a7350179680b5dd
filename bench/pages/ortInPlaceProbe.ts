// Probe page (not part of `npm run bench`; driven by bench/probes/ortInPlaceBrowser.mjs): the decoder as an
// ORT-format model, copied into a heap block of onnxruntime-web's own Module as it is read and used there
// in place (src/engine/inPlaceSession.ts), in Chromium with 2 threads. onnxruntime-web starts through the
// factory wrapper (a Blob module handed over as env.wasm.wasmPaths.mjs). Reads the bench models' own
// decoder.ort (`sift convert --linear int8` writes ORT format since the in-place loads).
import * as ort from 'onnxruntime-web';
import { createInPlace, ortHeap, wrappedWasmPaths } from '../../src/engine/inPlaceSession.ts';
import { randomDecoderFeeds, timedParts } from './probeHelpers.ts';

ort.env.wasm.wasmPaths = wrappedWasmPaths(new URL('/ort/', location.href).href, 'ort-wasm-simd-threaded.jsep', (source) =>
  URL.createObjectURL(new Blob([source], { type: 'text/javascript' })),
) as unknown as string;
ort.env.wasm.numThreads = 2;
const ortFile = (model: string) => `/bench-models/${model}/model/decoder.ort`;
const fetchBytes = async (url: string) => new Uint8Array(await (await fetch(url)).arrayBuffer());

async function warm() {
  // Any small session starts the runtime (and with it the Module).
  await (await ort.InferenceSession.create(await fetchBytes(ortFile('l4v6-int8')))).release();
}

async function* streamed(stream: ReadableStream<Uint8Array>) {
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    yield value;
  }
}

/** The graph read by `parts` straight into a heap block, then its in-place session; times of both. */
async function inPlaceFrom(parts: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, bytes: number) {
  const heap = ortHeap()!;
  const heap0 = heap.HEAPU8.buffer.byteLength;
  const timed = timedParts(parts);
  const t = performance.now();
  const made = await createInPlace(ort, heap, timed.parts(), bytes);
  return {
    made,
    readMs: timed.readMs,
    createMs: performance.now() - t - timed.readMs,
    heapMB: (heap.HEAPU8.buffer.byteLength - heap0) / 2 ** 20,
  };
}

/** Over HTTP: the response body streamed into the block. */
async function inPlace(model: string) {
  const t = performance.now();
  const res = await fetch(ortFile(model));
  const r = await inPlaceFrom(streamed(res.body!), Number(res.headers.get('Content-Length')));
  return { readMs: performance.now() - t - r.createMs, createMs: r.createMs, heapMB: r.heapMB };
}

async function plainFetch(model: string) {
  const t = performance.now();
  const b = await fetchBytes(ortFile(model));
  return { readMs: performance.now() - t, bytes: b.byteLength };
}

async function check(model: string) {
  const res = await fetch(ortFile(model));
  const { made } = await inPlaceFrom(streamed(res.body!), Number(res.headers.get('Content-Length')));
  const logits = async (s: ort.InferenceSession) => (await s.run(randomDecoderFeeds(ort, s))).logits.data as Float32Array;
  const la = await logits(made.session);
  // The same file, copied by onnxruntime as usual: the reference.
  const lb = await logits(await ort.InferenceSession.create(await fetchBytes(ortFile(model))));
  const la2 = await logits(made.session);
  const diff = (x: Float32Array) => Math.max(...x.map((v, i) => Math.abs(v - lb[i])));
  return { diff: diff(la), diffAfter: diff(la2), finite: la.every(Number.isFinite) };
}

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
  const bytes = await fetchBytes(ortFile(model));
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
    const r = db
      .transaction('chunks')
      .objectStore('chunks')
      .getAll(IDBKeyRange.bound([model, 0], [model, Infinity]));
    r.onsuccess = () => resolve(r.result as Blob[]);
    r.onerror = () => reject(r.error);
  });
}
/** Every chunk's bytes into one buffer of the file's size (the bench's raw read). */
async function readWhole(chunks: Blob[], n: number) {
  const whole = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    const b = new Uint8Array(await c.arrayBuffer());
    whole.set(b, at);
    at += b.byteLength;
  }
  return whole;
}
async function* chunkParts(chunks: Blob[]) {
  for (const c of chunks) yield new Uint8Array(await c.arrayBuffer());
}
/** Each chunk read in `kb` KB slices: buffers small enough for the allocator to reuse once collected. */
async function* slicedParts(chunks: Blob[], kb: number) {
  for (const c of chunks)
    for (let at = 0; at < c.size; at += kb * 1024) yield new Uint8Array(await c.slice(at, at + kb * 1024).arrayBuffer());
}
async function* streamParts(chunks: Blob[]) {
  for (const c of chunks) yield* streamed(c.stream());
}
/** 'raw': the bench's raw read; 'chunks': each chunk's ArrayBuffer copied into a heap block; 'stream':
 * each chunk streamed into the heap block; 'whole': the raw read's buffer, then copied into the heap
 * block (what the store's reader hands over today). Then, for the heap ways, the in-place session. */
async function fromIdb(
  model: string,
  way: 'raw' | 'chunks' | 'stream' | 'whole' | 'readChunks' | `readSliced${number}` | `sliced${number}`,
) {
  const t = performance.now();
  const chunks = await chunksOf(model);
  const n = chunks.reduce((s, c) => s + c.size, 0);
  if (way === 'raw') {
    await readWhole(chunks, n);
    return { readMs: performance.now() - t, bytes: n };
  }
  // Reading alone, each part dropped (the bench's raw read reads each chunk so).
  if (way === 'readChunks' || way.startsWith('readSliced')) {
    let got = 0;
    for await (const p of way === 'readChunks' ? chunkParts(chunks) : slicedParts(chunks, Number(way.slice(10)))) got += p.byteLength;
    return { readMs: performance.now() - t, bytes: got };
  }
  const parts =
    way === 'chunks'
      ? chunkParts(chunks)
      : way === 'stream'
        ? streamParts(chunks)
        : way.startsWith('sliced')
          ? slicedParts(chunks, Number(way.slice(6)))
          : [await readWhole(chunks, n)];
  const r = await inPlaceFrom(parts, n);
  const readMs = performance.now() - t - r.createMs;
  const l = (await r.made.session.run(randomDecoderFeeds(ort, r.made.session))).logits.data as Float32Array;
  return { readMs, createMs: r.createMs, bytes: n, finite: l.every(Number.isFinite) };
}

(window as unknown as Record<string, unknown>).ortInPlaceProbe = { warm, inPlace, plainFetch, check, storeOrt, fromIdb };
