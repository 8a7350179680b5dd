// Benchmark page: bench/runner.mjs drives it through window.siftBench in real Chromium. It runs the
// engine in the page (as e2e/pages/engine.ts does) on onnxruntime-web's WASM EP with 2 threads.
// runtime.ts is imported first: it must see onnxruntime's WebAssembly.Memory being created.
import { env, wasmHeapBytes, warmRuntime } from './runtime.ts';
import { int8RowCheck, roofline } from './matmulRuns.ts';
import { loadHttp, release, rerank } from './engineRuns.ts';
import { profileDecoder } from './profileDecoder.ts';
import { peerScore, peerWorkloads } from './peerRuns.ts';
import { cachedStart, createProbe, createWhileReading, loadParts, rawRead, readerRead, storeDelete, storeDownload } from './cachedStart.ts';

const api = {
  env,
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
  peerScore,
  peerWorkloads,
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
