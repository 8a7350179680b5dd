// Proves the protobuf writer, external data and MatMulNBits packing against plain JS math on the WASM EP.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { DType, GraphBuilder, type ExternalRef } from '../../src/model/onnx/graph.ts';
import { quantizeMatrix, dequantizeRows } from '../../src/model/quantize.ts';

function rand(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
}

class MemorySink {
  chunks: Uint8Array[] = [];
  size = 0;
  write(_name: string, bytes: Uint8Array): ExternalRef {
    const pad = (64 - (this.size % 64)) % 64;
    if (pad) this.chunks.push(new Uint8Array(pad));
    const offset = this.size + pad;
    this.chunks.push(bytes.slice());
    this.size = offset + bytes.length;
    return { location: 'w.bin', offset, length: bytes.length };
  }
  data(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function linear(x: Float32Array, w: Float32Array, m: number, k: number, n: number) {
  const y = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += x[i * k + t] * w[j * k + t];
      y[i * n + j] = s;
    }
  return y;
}

describe('onnx writer and MatMulNBits on WASM', () => {
  const M = 5,
    K = 96,
    N = 40;
  const r = rand(1);
  const x = Float32Array.from({ length: M * K }, r);
  const w = Float32Array.from({ length: N * K }, r);

  it('fp32 MatMul with an external-data weight', async () => {
    const sink = new MemorySink();
    const g = new GraphBuilder('t', sink);
    g.input('x', DType.FLOAT, ['m', K]);
    const wt = new Float32Array(K * N);
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) wt[k * N + n] = w[n * K + k];
    g.floatWeight('w', [K, N], wt);
    g.node('MatMul', ['x', 'w'], { outputs: ['y'] });
    g.output('y', DType.FLOAT, ['m', N]);
    const session = await ort.InferenceSession.create(g.serialize(), { externalData: [{ path: 'w.bin', data: sink.data() }] });
    const out = await session.run({ x: new ort.Tensor('float32', x, [M, K]) });
    const expected = linear(x, w, M, K, N);
    const y = out.y.data as Float32Array;
    for (let i = 0; i < y.length; i++) expect(Math.abs(y[i] - expected[i])).toBeLessThan(1e-4);
  });

  for (const bits of [4, 8] as const) {
    it(`MatMulNBits ${bits}-bit equals JS dequantize + matmul`, async () => {
      const q = quantizeMatrix(w, N, K, bits, 32);
      const deq = dequantizeRows(q, 0, N);
      const sink = new MemorySink();
      const g = new GraphBuilder('t', sink);
      g.input('x', DType.FLOAT, ['m', K]);
      const blocks = Math.ceil(K / 32);
      g.weight('b', DType.UINT8, [N, blocks, (32 * bits) / 8], q.packed);
      g.floatWeight('s', [N * blocks], q.scales);
      g.weight('z', DType.UINT8, [q.zeroPoints.length], q.zeroPoints);
      g.node('MatMulNBits', ['x', 'b', 's', 'z'], { outputs: ['y'], domain: 'com.microsoft', attrs: { K, N, bits, block_size: 32 } });
      g.output('y', DType.FLOAT, ['m', N]);
      const session = await ort.InferenceSession.create(g.serialize(), { externalData: [{ path: 'w.bin', data: sink.data() }] });
      const out = await session.run({ x: new ort.Tensor('float32', x, [M, K]) });
      const expected = linear(x, deq, M, K, N);
      const exact = linear(x, w, M, K, N);
      const y = out.y.data as Float32Array;
      let maxErr = 0,
        quantErr = 0;
      for (let i = 0; i < y.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(y[i] - expected[i]));
        quantErr = Math.max(quantErr, Math.abs(expected[i] - exact[i]));
      }
      expect(maxErr).toBeLessThan(1e-4);
      expect(quantErr).toBeGreaterThan(0); // quantization really happened
      expect(quantErr).toBeLessThan(bits === 4 ? 0.2 : 0.02);
    });
  }
});
