// y = x · Wᵀ (+ b) for a torch Linear weight W [N, K], in the stored format chosen when the layer is
// built (one pass: no graph is rewritten afterwards):
//   fp32   MatMul on Wᵀ: every weight exact.
//   nbits  MatMulNBits, 4/8-bit blocks (dequantized inside the kernel): what WebGPU runs.
//   int8   per-token int8 activations · per-output-channel int8 weights (MatMulIntegerToFloat): what
//          the WASM EP runs fastest, where MatMulNBits has no quantized kernel. The weights are
//          quantized from the checkpoint's own values, so int8 carries only int8's rounding.
// Per-token activation scales (not per-tensor, as DynamicQuantizeMatMul does) keep one token with a
// massive activation from wrecking the others' precision, and make a token's result independent of
// which tokens share the call (packing and prefix reuse stay exact).
import { DType, type GraphBuilder } from '../onnx/graph.ts';
import { quantizeMatrix, type Bits } from '../quantize.ts';
import type { TensorReader } from './layers.ts';

export type LinearFormat = { kind: 'fp32' } | { kind: 'nbits'; bits: Bits; blockSize: number } | { kind: 'int8' };

const MS_DOMAIN = 'com.microsoft';

/** "model.language_model.layers.3.self_attn.q_proj.weight" → "self_attn/q_proj": the node's role in its layer. */
export function roleOf(weightName: string): string {
  return weightName
    .replace(/\.weight$/, '')
    .replace(/^model\.(language_model|visual)\.((layers|blocks)\.\d+\.)?/, '')
    .replaceAll('.', '/');
}

/** Symmetric int8 per output channel: W[n, k] ≈ weights[k, n] · scales[n], weights laid out [K, N]. */
export function int8PerChannel(w: Float32Array, n: number, k: number): { weights: Int8Array; scales: Float32Array } {
  const weights = new Int8Array(k * n);
  const scales = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (let j = 0; j < k; j++) m = Math.max(m, Math.abs(w[i * k + j]));
    const scale = m > 0 ? Math.fround(m / 127) : 1;
    scales[i] = scale;
    for (let j = 0; j < k; j++) weights[j * n + i] = Math.max(-127, Math.min(127, Math.round(w[i * k + j] / scale)));
  }
  return { weights, scales };
}

/** x quantized per token (per row of its last axis) to uint8 around 128; shared by every layer reading x. */
function quantizedActivations(g: GraphBuilder, x: string): { q: string; scale: string } {
  return g.memo(`int8-act:${x}`, () => {
    const abs = g.op('Abs', [x], {}, '', 'act_abs');
    const max = g.op('Max', [g.op('ReduceMax', [abs], { axes: [-1], keepdims: 1 }, '', 'act_max'), g.scalar(1e-30)]);
    const scale = g.op('Div', [max, g.scalar(127)], {}, '', 'act_scale');
    const shifted = g.op('Add', [g.op('Round', [g.op('Div', [x, scale])]), g.scalar(128)]);
    return { q: g.op('Cast', [shifted], { to: DType.UINT8 }, '', 'act_q'), scale };
  });
}

export function linearFromArray(
  g: GraphBuilder,
  x: string,
  name: string,
  w: Float32Array,
  n: number,
  k: number,
  fmt: LinearFormat,
  bias?: Float32Array,
): string {
  const role = roleOf(name);
  let y: string;
  if (fmt.kind === 'fp32') {
    const wt = new Float32Array(k * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) wt[j * n + i] = w[i * k + j];
    y = g.node('MatMul', [x, g.floatWeight(`${name}.T`, [k, n], wt)], { hint: 'mm', name: role })[0];
  } else if (fmt.kind === 'nbits') {
    const q = quantizeMatrix(w, n, k, fmt.bits, fmt.blockSize);
    const blocks = Math.ceil(k / fmt.blockSize);
    const packed = g.weight(`${name}.q`, DType.UINT8, [n, blocks, (fmt.blockSize * fmt.bits) / 8], q.packed);
    const scales = g.floatWeight(`${name}.scales`, [n * blocks], q.scales);
    const zps = g.weight(`${name}.zp`, DType.UINT8, [q.zeroPoints.length], q.zeroPoints);
    const attrs = { K: k, N: n, bits: fmt.bits, block_size: fmt.blockSize };
    y = g.node('MatMulNBits', [x, packed, scales, zps], { attrs, domain: MS_DOMAIN, hint: 'mmq', name: role })[0];
  } else {
    const a = quantizedActivations(g, x);
    const q = int8PerChannel(w, n, k);
    const weights = g.weight(`${name}.int8`, DType.INT8, [k, n], new Uint8Array(q.weights.buffer));
    const scales = g.floatWeight(`${name}.scale`, [n], q.scales);
    const zp = g.memo('int8-act-zero-point', () => g.weight('int8_activation_zero_point', DType.UINT8, [], new Uint8Array([128])));
    y = g.node('MatMulIntegerToFloat', [a.q, weights, a.scale, scales, zp], { domain: MS_DOMAIN, hint: 'mmi', name: role })[0];
  }
  if (bias) y = g.op('Add', [y, g.floatWeight(`${name}.bias`, [n], bias)]);
  return y;
}

export async function linear(
  g: GraphBuilder,
  r: TensorReader,
  x: string,
  weightName: string,
  fmt: LinearFormat,
  biasName?: string,
): Promise<string> {
  const [n, k] = r.shape(weightName);
  const w = await r.readTensor(weightName);
  const b = biasName ? await r.readTensor(biasName) : undefined;
  return linearFromArray(g, x, weightName, w, n, k, fmt, b);
}
