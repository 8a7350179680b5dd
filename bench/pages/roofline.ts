// Lone-matmul graphs at the reranker's shapes, one per weight format onnxruntime-web offers, for the
// roofline measurement (bench/pages/bench.ts runs them). Every graph computes Y[M, N] = A[M, K] · W
// for the same random W, so the formats can also be compared for accuracy against the fp32 result.
import { DType, GraphBuilder } from '../../src/model/onnx/graph.ts';
import { quantizeMatrix } from '../../src/model/quantize.ts';
import { int8PerChannel, linearFromArray } from '../../src/model/graphs/linear.ts';

export type Format =
  | 'fp32-matmul' // MatMul, B fp32 [K, N]
  | 'fp32-gemm-transB' // Gemm transB=1, B fp32 [N, K]
  | 'fp16-matmul' // MatMul in float16 (inputs fp16)
  | 'q4-matmulnbits' // MatMulNBits bits 4, block 32, zero points: the stored format (WebGPU runs it)
  | 'q4-matmulnbits-acc4' // the same with accuracy_level 4 (int8 compute where a kernel exists)
  | 'q8-matmulnbits' // MatMulNBits bits 8, block 32
  | 'int8-dynamicquantizematmul' // DynamicQuantizeMatMul: per-tensor uint8 activations, int8 B [K, N], per-column scale
  | 'int8-matmulintegertofloat' // DynamicQuantizeLinear + MatMulIntegerToFloat (per-tensor, unfused)
  | 'int8-pertoken-matmulinteger' // per-token int8 activations + MatMulInteger + two Muls
  | 'int8-pertoken-mmitf'; // Sift on WASM: the int8 linear layer of src/model/graphs/linear.ts (per-token + MatMulIntegerToFloat)

export const ALL_FORMATS: Format[] = [
  'fp32-matmul',
  'fp32-gemm-transB',
  'fp16-matmul',
  'q4-matmulnbits',
  'q4-matmulnbits-acc4',
  'q8-matmulnbits',
  'int8-dynamicquantizematmul',
  'int8-matmulintegertofloat',
  'int8-pertoken-matmulinteger',
  'int8-pertoken-mmitf',
];

/** What each format is, for the report. */
export const FORMAT_NOTES: Record<Format, string> = {
  'fp32-matmul': 'MatMul, fp32 weights [K, N]',
  'fp32-gemm-transB': 'Gemm transB, fp32 weights [N, K]',
  'fp16-matmul': 'MatMul in float16',
  'q4-matmulnbits': "MatMulNBits 4-bit, block 32 (Sift's stored format; WebGPU runs it)",
  'q4-matmulnbits-acc4': 'MatMulNBits 4-bit, accuracy_level 4',
  'q8-matmulnbits': 'MatMulNBits 8-bit, block 32',
  'int8-dynamicquantizematmul': 'DynamicQuantizeMatMul: int8 weights, per-tensor uint8 activations',
  'int8-matmulintegertofloat': 'DynamicQuantizeLinear + MatMulIntegerToFloat (per-tensor)',
  'int8-pertoken-matmulinteger': 'per-token int8 activations + MatMulInteger + Mul',
  'int8-pertoken-mmitf': 'Sift on WASM: q4 rewritten to per-token int8 + MatMulIntegerToFloat',
};

function f32(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** float32 → IEEE half bits (round to nearest even). */
export function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = ((x >>> 23) & 0xff) - 127 + 15;
  let mant = x & 0x7fffff;
  if (exp <= 0) return sign; // flush tiny values (not reached with unit-scale data)
  if (exp >= 31) return sign | 0x7c00;
  const round = mant & 0x1fff;
  mant >>= 13;
  let h = sign | (exp << 10) | mant;
  if (round > 0x1000 || (round === 0x1000 && mant & 1)) h++;
  return h;
}

/** Symmetric per-column int8 of W [N, K] into B [K, N]: the quantization Sift's int8 layers store. */
export function int8PerColumn(w: Float32Array, n: number, k: number) {
  const q = int8PerChannel(w, n, k);
  return { b: q.weights, scales: q.scales };
}

/** A one-node (or two-node) graph computing A · Wᵀ in `format`; W is [N, K] like a torch Linear. */
export function matmulGraph(
  format: Format,
  w: Float32Array,
  n: number,
  k: number,
): { model: Uint8Array; externalData?: { path: string; data: Uint8Array }[] } {
  const g = new GraphBuilder(`roofline_${format}`, null);
  const half = format === 'fp16-matmul';
  const a = g.input('A', half ? DType.FLOAT16 : DType.FLOAT, ['M', k]);
  let y: string;
  const transpose = () => {
    const wt = new Float32Array(k * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) wt[j * n + i] = w[i * k + j];
    return wt;
  };
  switch (format) {
    case 'fp32-matmul':
      y = g.op('MatMul', [a, g.floatWeight('W', [k, n], transpose())]);
      break;
    case 'fp32-gemm-transB':
      y = g.op('Gemm', [a, g.floatWeight('W', [n, k], w)], { transB: 1 });
      break;
    case 'fp16-matmul': {
      const wt = transpose();
      const h = new Uint16Array(wt.length);
      for (let i = 0; i < wt.length; i++) h[i] = toHalf(wt[i]);
      y = g.op('MatMul', [a, g.weight('W', DType.FLOAT16, [k, n], new Uint8Array(h.buffer))]);
      break;
    }
    case 'q4-matmulnbits':
    case 'q4-matmulnbits-acc4':
    case 'q8-matmulnbits': {
      const bits = format.startsWith('q4') ? 4 : 8;
      const q = quantizeMatrix(w, n, k, bits, 32);
      const blocks = Math.ceil(k / 32);
      const attrs: Record<string, number> = { K: k, N: n, bits, block_size: 32 };
      if (format.endsWith('acc4')) attrs.accuracy_level = 4;
      y = g.op(
        'MatMulNBits',
        [
          a,
          g.weight('W.q', DType.UINT8, [n, blocks, (32 * bits) / 8], q.packed),
          g.floatWeight('W.scales', [n * blocks], q.scales),
          g.weight('W.zp', DType.UINT8, [q.zeroPoints.length], q.zeroPoints),
        ],
        attrs,
        'com.microsoft',
      );
      break;
    }
    case 'int8-pertoken-mmitf':
      y = linearFromArray(g, a, 'W', w, n, k, { kind: 'int8' });
      break;
    case 'int8-dynamicquantizematmul': {
      const q = int8PerColumn(w, n, k);
      y = g.op(
        'DynamicQuantizeMatMul',
        [a, g.weight('W.q', DType.INT8, [k, n], new Uint8Array(q.b.buffer)), g.floatWeight('W.scale', [n], q.scales)],
        {},
        'com.microsoft',
      );
      break;
    }
    case 'int8-matmulintegertofloat': {
      const q = int8PerColumn(w, n, k);
      const [aq, as, az] = g.node('DynamicQuantizeLinear', [a], { outputs: 3 });
      y = g.op(
        'MatMulIntegerToFloat',
        [aq, g.weight('W.q', DType.INT8, [k, n], new Uint8Array(q.b.buffer)), as, g.floatWeight('W.scale', [n], q.scales), az],
        {},
        'com.microsoft',
      );
      break;
    }
    case 'int8-pertoken-matmulinteger': {
      const q = int8PerColumn(w, n, k);
      const scale = g.op('Div', [
        g.op('Max', [g.op('ReduceMax', [g.op('Abs', [a])], { axes: [-1], keepdims: 1 }), g.scalar(1e-30)]),
        g.scalar(127),
      ]);
      const aq = g.op('Cast', [g.op('Add', [g.op('Round', [g.op('Div', [a, scale])]), g.scalar(128)])], { to: DType.UINT8 });
      const zp = g.weight('A.zp', DType.UINT8, [], new Uint8Array([128]));
      const acc = g.op('MatMulInteger', [aq, g.weight('W.q', DType.INT8, [k, n], new Uint8Array(q.b.buffer)), zp]);
      y = g.op('Mul', [g.op('Mul', [g.op('Cast', [acc], { to: DType.FLOAT }), scale]), g.floatWeight('W.scale', [n], q.scales)]);
      break;
    }
  }
  g.node('Identity', [y], { outputs: ['Y'] });
  g.output('Y', half ? DType.FLOAT16 : DType.FLOAT, ['M', n]);
  void f32;
  return { model: g.serialize() };
}
