// Runs requantization jobs (int8Matmul.ts) in a dedicated Worker where one can be started (browser
// pages and workers), so they overlap with session creation on the loading thread; inline elsewhere
// (Node, or if the worker fails to start — then every job still completes, just on this thread).
import { requantizeInt8, type Int8Matrix, type RequantJob, type Requantizer } from '../model/int8Matmul.ts';

export type { RequantJob, Requantizer };

const inline = (job: RequantJob) => requantizeInt8(job.packed, job.blockScales, job.zeroPoints, job.N, job.K, job.bits, job.blockSize);

export const inlineRequantizer: Requantizer = {
  run: async (job) => inline(job),
  close() {},
};

/** A requantizer backed by one Worker, or the inline one where Workers are unavailable. */
export function createRequantizer(): Requantizer {
  // Node has no browser Worker (onnxruntime-web even installs worker_threads' Worker as a global there).
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (node || typeof Worker === 'undefined') return inlineRequantizer;
  let worker: Worker | null;
  try {
    worker = new Worker(new URL('./requantWorker.ts', import.meta.url), { type: 'module', name: 'sift-requant' });
  } catch {
    return inlineRequantizer;
  }
  let broken = false;
  let next = 0;
  const waiting = new Map<number, { job: RequantJob; resolve: (m: Int8Matrix) => void; reject: (e: Error) => void }>();
  const fallBack = () => {
    broken = true;
    worker?.terminate();
    worker = null;
    for (const [id, w] of waiting) {
      waiting.delete(id);
      try {
        w.resolve(inline(w.job));
      } catch (err) {
        w.reject(err as Error);
      }
    }
  };
  worker.onerror = (e) => {
    e.preventDefault?.();
    fallBack();
  };
  worker.onmessage = (e: MessageEvent<{ id: number; weights?: Int8Array; scales?: Float32Array; error?: string }>) => {
    const w = waiting.get(e.data.id);
    if (!w) return;
    waiting.delete(e.data.id);
    if (e.data.error !== undefined) w.reject(new Error(e.data.error));
    else w.resolve({ weights: e.data.weights!, scales: e.data.scales! });
  };
  return {
    run(job) {
      if (broken || !worker) return Promise.resolve().then(() => inline(job));
      return new Promise((resolve, reject) => {
        const id = next++;
        waiting.set(id, { job, resolve, reject });
        // Compact copies of the job's views are sent (posting a view would clone its whole shard;
        // the shards stay with the loader, which hands them to onnxruntime afterwards).
        const copy: RequantJob = { ...job, packed: job.packed.slice(), blockScales: job.blockScales.slice(), zeroPoints: job.zeroPoints?.slice() ?? null };
        const transfer = [copy.packed.buffer, copy.blockScales.buffer, ...(copy.zeroPoints ? [copy.zeroPoints.buffer] : [])] as ArrayBuffer[];
        worker!.postMessage({ id, job: copy }, transfer);
      });
    },
    close() {
      worker?.terminate();
      worker = null;
      broken = true;
    },
  };
}
