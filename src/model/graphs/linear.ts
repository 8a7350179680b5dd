// y = x · Wᵀ (+ b) for a torch Linear weight W [N, K], in the stored format chosen when the layer is
// built (one pass: no graph is rewritten afterwards):
//   fp32   MatMul on Wᵀ: every weight exact.
//   nbits  MatMulNBits, 4/8-bit blocks (dequantized inside the kernel): what WebGPU runs. With
//          `residual`, a second 4-bit MatMulNBits on the first one's rounding error (W − deq(Q₁)),
//          summed: ≈8-bit precision from the 4-bit kernel, which is the only width onnxruntime-web's
//          WebGPU EP runs (it refuses bits 8).
//   int8   per-token int8 activations · per-output-channel int8 weights (MatMulIntegerToFloat): what
//          the WASM EP runs fastest, where MatMulNBits has no quantized kernel. The weights are
//          quantized from the checkpoint's own values, so int8 carries only int8's rounding. They are
//          stored as uint8 around a zero point of 128 ('u8'): MLAS then takes its u8·u8 kernels, whose
//          sums are exact on every x86 CPU (its u8·s8 AVX2 kernel adds pairs in int16 and saturates
//          without VNNI); WASM computes the same sums either way.
//          With `rotate` = B, the activations are first turned by a B×B rotation (random signs, then a
//          Hadamard matrix) per block of B inputs, and the weights by the same, so the product is
//          unchanged: a few large inputs
//          (SwiGLU's products are heavy-tailed) are spread over their block, so the per-token scale is
//          set by the bulk instead of the outliers. One small fp32 MatMul (B/N of the layer's MACs).
// A LinearPlan gives some roles (e.g. "mlp/down_proj", roleOf) another format than the rest:
// `formatFor` is the one place a layer's format is decided.
// Per-token activation scales (not per-tensor, as DynamicQuantizeMatMul does) keep one token with a
// massive activation from wrecking the others' precision, and make a token's result independent of
// which tokens share the call (packing and prefix reuse stay exact).
import { DType, type GraphBuilder } from '../onnx/graph.ts';
import { dequantizeRows, quantizeMatrix, type Bits } from '../quantize.ts';
import type { TensorReader } from './layers.ts';

export type LinearFormat =
  | { kind: 'fp32' }
  | { kind: 'nbits'; bits: Bits; blockSize: number; residual?: boolean }
  | { kind: 'int8'; weights?: 'u8' | 's8'; rotate?: number };
type NbitsFormat = Extract<LinearFormat, { kind: 'nbits' }>;
type Int8Format = Extract<LinearFormat, { kind: 'int8' }>;

/** A format for every linear layer, except the roles (roleOf) listed in `roles`. */
export interface LinearPlan {
  base: LinearFormat;
  roles?: Record<string, LinearFormat>;
}

/**
 * What `--linear int8` stores besides plain int8 (docs/decisions/2026-12-08-default-formats-fidelity.md):
 * mlp/down_proj reads SwiGLU's heavy-tailed products, rotated first; the decoder's attention
 * projections are 8-bit blocks with fp32 activations (MatMulNBits, which the WASM EP runs too): with
 * every layer int8 the image-query scores sat 0.034–0.050 off the official ones at full size, with
 * these 0.010–0.014 (text and image documents 0.016–0.027), for ≈ +30 % decoder time on WASM.
 */
export const INT8_ROLES: Record<string, LinearFormat> = {
  'mlp/down_proj': { kind: 'int8', weights: 'u8', rotate: 64 },
  ...Object.fromEntries(
    ['q_proj', 'k_proj', 'v_proj', 'o_proj'].map((r) => [`self_attn/${r}`, { kind: 'nbits', bits: 8, blockSize: 32 } as LinearFormat]),
  ),
};

/**
 * A format by name, as `sift convert --roles ROLE=NAME` takes it: fp32, 4, 4+4 or 8 (MatMulNBits bits,
 * + a 4-bit residual), int8, int8-s8 (int8 weights stored signed), int8-rot<B> (Hadamard-rotated blocks of B).
 */
export function parseLinearFormat(name: string, blockSize = 32): LinearFormat {
  if (name === 'fp32') return { kind: 'fp32' };
  if (name === '4' || name === '8') return { kind: 'nbits', bits: Number(name) as Bits, blockSize };
  if (name === '4+4') return { kind: 'nbits', bits: 4, blockSize, residual: true };
  if (name === 'int8') return { kind: 'int8', weights: 'u8' };
  if (name === 'int8-s8') return { kind: 'int8', weights: 's8' };
  const rot = /^int8-rot(\d+)$/.exec(name);
  if (rot && Number(rot[1]) >= 2) return { kind: 'int8', weights: 'u8', rotate: Number(rot[1]) };
  throw new Error(`unknown linear format "${name}" (fp32, 4, 4+4, 8, int8, int8-s8, int8-rot<B>)`);
}

/**
 * The format of the linear layer whose weight is `weightName` under `plan`: the plan's entry for this
 * layer and role ("layers.3/mlp/down_proj"), for every role of this layer ("layers.3/*"), for this
 * role in every layer ("mlp/down_proj"), for every layer of its tower ("vision/*", "decoder/*"), else
 * its base. Decoder layers are "layers.N", vision blocks "blocks.N".
 */
export function formatFor(plan: LinearPlan | LinearFormat, weightName: string): LinearFormat {
  if (!('base' in plan)) return plan;
  const role = roleOf(weightName);
  const layer = /\.((?:layers|blocks)\.\d+)\./.exec(weightName)?.[1];
  const roles = plan.roles ?? {};
  const tower = weightName.startsWith('model.visual.') ? 'vision' : 'decoder';
  return (layer && (roles[`${layer}/${role}`] ?? roles[`${layer}/*`])) || roles[role] || roles[`${tower}/*`] || plan.base;
}

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

/** Largest power of two ≤ `want` that divides k. */
function rotationBlock(k: number, want: number): number {
  let b = 1;
  while (b * 2 <= want && k % (b * 2) === 0) b *= 2;
  return b;
}

/** Fixed pseudo-random signs ±1 for the B inputs of a block (the same for every block and every layer). */
function blockSigns(b: number): Int8Array {
  const signs = new Int8Array(b);
  let s = 0x2545f491;
  for (let i = 0; i < b; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    signs[i] = s & 0x80000000 ? -1 : 1;
  }
  return signs;
}

/**
 * R = D·H / √B: random signs, then Sylvester's Hadamard matrix (orthogonal). The signs spread a shared
 * offset of the inputs (e.g. GELU's positive mean) over the block instead of piling it on its first value.
 */
function rotation(b: number): Float32Array {
  const r = new Float32Array(b * b);
  const d = blockSigns(b);
  const norm = 1 / Math.sqrt(b);
  for (let i = 0; i < b; i++) for (let j = 0; j < b; j++) r[i * b + j] = d[i] * (popcount(i & j) & 1 ? -1 : 1) * norm;
  return r;
}
const popcount = (v: number) => {
  let c = 0;
  for (; v; v &= v - 1) c++;
  return c;
};

/** W [N, K] with each row's blocks of B turned by the same rotation as the inputs (W·R: signs, fast Hadamard transform). */
export function rotateRows(w: Float32Array, n: number, k: number, b: number): Float32Array {
  const out = Float32Array.from(w);
  const norm = 1 / Math.sqrt(b);
  const d = blockSigns(b);
  for (let base = 0; base < n * k; base += b) {
    for (let j = 0; j < b; j++) out[base + j] *= d[j];
    for (let len = 1; len < b; len *= 2)
      for (let i = base; i < base + b; i += 2 * len)
        for (let j = i; j < i + len; j++) {
          const u = out[j];
          const v = out[j + len];
          out[j] = u + v;
          out[j + len] = u - v;
        }
    for (let j = base; j < base + b; j++) out[j] *= norm;
  }
  return out;
}

/** x with each block of B values along its last axis turned: x·R per block. */
function rotated(g: GraphBuilder, x: string, b: number): string {
  return g.memo(`rotated:${x}:${b}`, () => {
    const blocks = g.op('Reshape', [x, g.ints([-1, b])]);
    const turned = g.op('MatMul', [blocks, g.memo(`rotation:${b}`, () => g.floatWeight(`rotation_${b}`, [b, b], rotation(b)))]);
    return g.op('Reshape', [turned, g.op('Shape', [x])], {}, '', 'rotated');
  });
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

/** One MatMulNBits node on W quantized to `bits`-wide blocks; returns its output and the quantization. */
function matMulNBits(
  g: GraphBuilder,
  x: string,
  name: string,
  w: Float32Array,
  n: number,
  k: number,
  bits: Bits,
  blockSize: number,
  role: string,
) {
  const q = quantizeMatrix(w, n, k, bits, blockSize);
  const blocks = Math.ceil(k / blockSize);
  const packed = g.weight(`${name}.q`, DType.UINT8, [n, blocks, (blockSize * bits) / 8], q.packed);
  const scales = g.floatWeight(`${name}.scales`, [n * blocks], q.scales);
  const zps = g.weight(`${name}.zp`, DType.UINT8, [q.zeroPoints.length], q.zeroPoints);
  const attrs = { K: k, N: n, bits, block_size: blockSize };
  return { y: g.node('MatMulNBits', [x, packed, scales, zps], { attrs, domain: MS_DOMAIN, hint: 'mmq', name: role })[0], q };
}

/** fp32: MatMul on Wᵀ, every weight exact. */
function fp32Linear(g: GraphBuilder, x: string, name: string, w: Float32Array, n: number, k: number, role: string): string {
  const wt = new Float32Array(k * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) wt[j * n + i] = w[i * k + j];
  return g.node('MatMul', [x, g.floatWeight(`${name}.T`, [k, n], wt)], { hint: 'mm', name: role })[0];
}

/** MatMulNBits blocks, plus (residual) a second pass on the first one's rounding error. */
function nbitsLinear(
  g: GraphBuilder,
  x: string,
  name: string,
  w: Float32Array,
  n: number,
  k: number,
  fmt: NbitsFormat,
  role: string,
): string {
  const first = matMulNBits(g, x, name, w, n, k, fmt.bits, fmt.blockSize, role);
  if (!fmt.residual) return first.y;
  const rest = dequantizeRows(first.q, 0, n);
  for (let i = 0; i < rest.length; i++) rest[i] = w[i] - rest[i];
  return g.op('Add', [first.y, matMulNBits(g, x, `${name}.residual`, rest, n, k, fmt.bits, fmt.blockSize, `${role}.residual`).y]);
}

/** Per-token uint8 activations × per-channel int8 weights (optionally rotated), MatMulIntegerToFloat. */
function int8Linear(
  g: GraphBuilder,
  x: string,
  name: string,
  w: Float32Array,
  n: number,
  k: number,
  fmt: Int8Format,
  role: string,
): string {
  const b = fmt.rotate ? rotationBlock(k, fmt.rotate) : 1;
  const a = quantizedActivations(g, b > 1 ? rotated(g, x, b) : x);
  const q = int8PerChannel(b > 1 ? rotateRows(w, n, k, b) : w, n, k);
  const scales = g.floatWeight(`${name}.scale`, [n], q.scales);
  const zp = g.memo('int8-act-zero-point', () => g.weight('int8_activation_zero_point', DType.UINT8, [], new Uint8Array([128])));
  const inputs = [a.q, '', a.scale, scales, zp];
  if (fmt.weights === 's8') {
    inputs[1] = g.weight(`${name}.int8`, DType.INT8, [k, n], new Uint8Array(q.weights.buffer));
  } else {
    const u8 = new Uint8Array(q.weights.length);
    for (let i = 0; i < u8.length; i++) u8[i] = q.weights[i] + 128;
    inputs[1] = g.weight(`${name}.u8`, DType.UINT8, [k, n], u8);
    // The same scalar as the activations' zero point (one initializer).
    inputs.push(zp);
  }
  return g.node('MatMulIntegerToFloat', inputs, { domain: MS_DOMAIN, hint: 'mmi', name: role })[0];
}

export function linearFromArray(
  g: GraphBuilder,
  x: string,
  name: string,
  w: Float32Array,
  n: number,
  k: number,
  plan: LinearPlan | LinearFormat,
  bias?: Float32Array,
): string {
  const role = roleOf(name);
  const fmt = formatFor(plan, name);
  let y =
    fmt.kind === 'fp32'
      ? fp32Linear(g, x, name, w, n, k, role)
      : fmt.kind === 'nbits'
        ? nbitsLinear(g, x, name, w, n, k, fmt, role)
        : int8Linear(g, x, name, w, n, k, fmt, role);
  if (bias) y = g.op('Add', [y, g.floatWeight(`${name}.bias`, [n], bias)]);
  return y;
}

export async function linear(
  g: GraphBuilder,
  r: TensorReader,
  x: string,
  weightName: string,
  fmt: LinearPlan | LinearFormat,
  biasName?: string,
): Promise<string> {
  const [n, k] = r.shape(weightName);
  const w = await r.readTensor(weightName);
  const b = biasName ? await r.readTensor(biasName) : undefined;
  return linearFromArray(g, x, weightName, w, n, k, fmt, b);
}
