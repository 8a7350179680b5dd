// Building blocks shared by the vision and decoder graphs. Every op here runs on onnxruntime-web's
// WASM and WebGPU EPs with fp32 activations; fused contrib ops are used only where they were verified.
import { DType, type Dim, type GraphBuilder } from '../onnx/graph.ts';

/** Reads checkpoint tensors as float32 (whatever their stored dtype). */
export interface TensorReader {
  readTensor(name: string): Promise<Float32Array>;
  shape(name: string): number[];
  has(name: string): boolean;
}

export async function weightVector(g: GraphBuilder, r: TensorReader, name: string): Promise<string> {
  return g.floatWeight(name, r.shape(name), await r.readTensor(name));
}

/** RMSNorm over the last axis (fp32 statistics, as HF computes it). */
export function rmsNorm(g: GraphBuilder, x: string, weight: string, eps: number): string {
  return g.op('SimplifiedLayerNormalization', [x, weight], { axis: -1, epsilon: { float: eps } }, '', 'rms');
}

export function layerNorm(g: GraphBuilder, x: string, weight: string, bias: string, eps: number): string {
  return g.op('LayerNormalization', [x, weight, bias], { axis: -1, epsilon: { float: eps } }, '', 'ln');
}

/** gelu_pytorch_tanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
export function geluTanh(g: GraphBuilder, x: string): string {
  const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [x3, g.scalar(0.044715)])]), g.scalar(Math.sqrt(2 / Math.PI))]);
  const t = g.op('Add', [g.op('Tanh', [inner]), g.scalar(1)]);
  return g.op('Mul', [g.op('Mul', [x, t]), g.scalar(0.5)]);
}

/** Exact GELU (torch nn.GELU()): 0.5·x·(1 + erf(x/√2)). */
export function geluErf(g: GraphBuilder, x: string): string {
  const e = g.op('Erf', [g.op('Mul', [x, g.scalar(Math.SQRT1_2)])]);
  return g.op('Mul', [g.op('Mul', [x, g.op('Add', [e, g.scalar(1)])]), g.scalar(0.5)]);
}

export function silu(g: GraphBuilder, x: string): string {
  return g.op('Mul', [x, g.op('Sigmoid', [x])]);
}

/** x·cos + rotate_half(x)·sin, rotate_half(x) = concat(−x2, x1) over the last axis of size d. */
export function applyRotary(g: GraphBuilder, x: string, cos: string, sin: string, d: number): string {
  const [x1, x2] = g.node('Split', [x, g.ints([d / 2, d / 2])], { outputs: 2, attrs: { axis: -1 } });
  const rotated = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
  return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
}

/** softmax(q·kᵀ + bias)·v for q [.., Sq, d] (already scaled), k/v [.., Sk, d]. */
export function attention(
  g: GraphBuilder,
  q: string,
  k: string,
  v: string,
  bias?: string,
  reshapeScores?: { to: number[]; back: number[]; shapes?: [Dim[], Dim[]] },
): string {
  let scores = g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]);
  const declare = (name: string, dims?: Dim[]) => (dims ? g.shape(name, DType.FLOAT, dims) : name);
  if (reshapeScores) scores = declare(g.op('Reshape', [scores, g.ints(reshapeScores.to)]), reshapeScores.shapes?.[0]);
  if (bias) scores = g.op('Add', [scores, bias]);
  let probs = g.op('Softmax', [scores], { axis: -1 });
  if (reshapeScores) probs = declare(g.op('Reshape', [probs, g.ints(reshapeScores.back)]), reshapeScores.shapes?.[1]);
  return g.op('MatMul', [probs, v]);
}
