// The linear-layer formats chosen per role (src/model/graphs/linear.ts) on one layer, on the WASM EP:
// int8 weights stored as uint8 around 128 compute exactly what int8 weights did; the Hadamard-rotated
// int8 layer (the default for mlp/down_proj) is closer to the exact product on SwiGLU's heavy-tailed
// inputs; 4-bit + 4-bit residual is about as close as 8-bit blocks; a plan gives a role its own format.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { DType, GraphBuilder } from '../../src/model/onnx/graph.ts';
import {
  formatFor,
  linearFromArray,
  parseLinearFormat,
  rotateRows,
  type LinearFormat,
  type LinearPlan,
} from '../../src/model/graphs/linear.ts';
import { prng } from '../reference/testModel.ts';

const rand = prng(17);
const normal = () => (rand() + rand() + rand() + rand() - 2) * Math.sqrt(3);
const silu = (v: number) => v / (1 + Math.exp(-v));
const K = 512;
const N = 64;
const M = 16;
const w = Float32Array.from({ length: N * K }, () => normal() / Math.sqrt(K));
// SwiGLU's output (what mlp/down_proj reads): silu(gate)·up, heavy-tailed.
const swiglu = Float32Array.from({ length: M * K }, () => silu(normal()) * normal());

function exact(a: Float32Array): Float64Array {
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * w[n * K + k];
      y[i * N + n] = s;
    }
  return y;
}

async function product(fmt: LinearFormat, a: Float32Array): Promise<Float32Array> {
  const g = new GraphBuilder('one_linear', null);
  const x = g.input('x', DType.FLOAT, [1, 'S', K]);
  g.node('Identity', [linearFromArray(g, x, 'lin', w, N, K, fmt)], { outputs: ['y'] });
  g.output('y', DType.FLOAT, [1, 'S', N]);
  const s = await ort.InferenceSession.create(g.serialize());
  return (await s.run({ x: new ort.Tensor('float32', a, [1, M, K]) })).y.data as Float32Array;
}

const relRms = (y: ArrayLike<number>, ref: ArrayLike<number>) => {
  let e = 0;
  let r = 0;
  for (let i = 0; i < ref.length; i++) {
    e += (y[i] - ref[i]) ** 2;
    r += ref[i] ** 2;
  }
  return Math.sqrt(e / r);
};

describe('linear formats on one layer (WASM EP)', () => {
  it('uint8 weights around 128 give exactly the int8 weights’ product', async () => {
    const u8 = await product({ kind: 'int8', weights: 'u8' }, swiglu);
    const s8 = await product({ kind: 'int8', weights: 's8' }, swiglu);
    expect(Array.from(u8)).toEqual(Array.from(s8));
  });

  it('Hadamard-rotated int8 is closer on heavy-tailed inputs; the rotation itself is exact', async () => {
    const ref = exact(swiglu);
    const plain = relRms(await product(parseLinearFormat('int8'), swiglu), ref);
    const turned = relRms(await product(parseLinearFormat('int8-rot64'), swiglu), ref);
    expect(turned).toBeLessThan(plain * 0.75);
    // (x·R)·(W·R)ᵀ = x·Wᵀ: R is orthogonal, so rotating rows keeps their norms and their dot products.
    const turnedW = rotateRows(w, N, K, 64);
    const dot = (m: Float32Array, i: number, j: number) => m.subarray(i * K, (i + 1) * K).reduce((s, v, k) => s + v * m[j * K + k], 0);
    for (const [i, j] of [
      [0, 0],
      [0, 1],
      [5, 9],
    ])
      expect(dot(turnedW, i, j)).toBeCloseTo(dot(w, i, j), 5);
  });

  it('4-bit + 4-bit residual is about as close as 8-bit blocks, far closer than 4-bit', async () => {
    const a = Float32Array.from({ length: M * K }, normal);
    const ref = exact(a);
    const e4 = relRms(await product(parseLinearFormat('4'), a), ref);
    const e44 = relRms(await product(parseLinearFormat('4+4'), a), ref);
    const e8 = relRms(await product(parseLinearFormat('8'), a), ref);
    expect(e44).toBeLessThan(e8 * 1.5);
    expect(e44).toBeLessThan(e4 / 8);
  });

  it('a plan gives a role its own format, by the weight’s role name', () => {
    const plan: LinearPlan = { base: parseLinearFormat('int8'), roles: { 'mlp/down_proj': parseLinearFormat('fp32') } };
    expect(formatFor(plan, 'model.language_model.layers.7.mlp.down_proj.weight')).toEqual({ kind: 'fp32' });
    expect(formatFor(plan, 'model.language_model.layers.7.mlp.up_proj.weight')).toEqual({ kind: 'int8', weights: 'u8' });
    expect(formatFor(plan, 'model.visual.blocks.2.mlp.linear_fc2.weight').kind).toBe('int8');
    const layered: LinearPlan = {
      base: parseLinearFormat('int8'),
      roles: { 'layers.0/*': { kind: 'fp32' }, 'layers.1/mlp/up_proj': { kind: 'fp32' } },
    };
    expect(formatFor(layered, 'model.language_model.layers.0.self_attn.q_proj.weight').kind).toBe('fp32');
    expect(formatFor(layered, 'model.language_model.layers.1.mlp.up_proj.weight').kind).toBe('fp32');
    expect(formatFor(layered, 'model.language_model.layers.1.mlp.gate_proj.weight').kind).toBe('int8');
    expect(formatFor(layered, 'model.language_model.layers.10.self_attn.q_proj.weight').kind).toBe('int8');
    expect(() => parseLinearFormat('int7')).toThrow(/unknown linear format/);
  });
});
