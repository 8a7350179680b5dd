// Worker entry: requantizes MatMulNBits weights to int8 (int8Matmul.ts) off the loading thread, so
// that the decoder's weights are converted while onnxruntime builds the vision session.
import { requantizeInt8 } from '../model/int8Matmul.ts';
import type { RequantJob } from './requantPool.ts';

self.onmessage = (e: MessageEvent<{ id: number; job: RequantJob }>) => {
  const { id, job } = e.data;
  try {
    const r = requantizeInt8(job.packed, job.blockScales, job.zeroPoints, job.N, job.K, job.bits, job.blockSize);
    (self as unknown as Worker).postMessage({ id, weights: r.weights, scales: r.scales }, [r.weights.buffer, r.scales.buffer]);
  } catch (err) {
    (self as unknown as Worker).postMessage({ id, error: (err as Error).message });
  }
};
