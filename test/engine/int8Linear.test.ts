// int8 linear layers (src/model/graphs/linear.ts): per-token int8 activations · per-output-channel int8
// weights quantized from the checkpoint's own values, chosen when the graph is built. Checked against
// the exact fp32 product, beside an outlier token, for independence of a row's result from the rows
// sharing the call (packing and prefix reuse stay exact), and end to end against the fp32 model.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { DType, GraphBuilder } from '../../src/model/onnx/graph.ts';
import { int8PerChannel, linearFromArray, roleOf, type LinearFormat } from '../../src/model/graphs/linear.ts';
import { Scorer, type PromptInput } from '../../src/engine/scorer.ts';
import { prng } from '../reference/testModel.ts';
import { tinyModel } from './tinyModel.ts';

const rand = prng(5);
const randn = (n: number, std = 1) => Float32Array.from({ length: n }, () => (rand() + rand() + rand() - 1.5) * 2 * std);

/** W [N, K] whose rows differ in scale by up to 40× (so a wrong per-channel scale would show). */
function weights(N: number, K: number): Float32Array {
  const w = randn(N * K, 1 / Math.sqrt(K));
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + k] *= 1 + (n % 40);
  return w;
}

function matmul(a: Float32Array, M: number, K: number, w: Float32Array, N: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[i * K + k] * w[n * K + k];
      y[i * N + n] = s;
    }
  return y;
}

/** max over rows [from, to) of max|y − ref| / max|ref| within the row. */
function rowRelErr(y: ArrayLike<number>, ref: ArrayLike<number>, N: number, from: number, to: number): number {
  let worst = 0;
  for (let i = from; i < to; i++) {
    let d = 0;
    let s = 0;
    for (let n = 0; n < N; n++) {
      d = Math.max(d, Math.abs(y[i * N + n] - ref[i * N + n]));
      s = Math.max(s, Math.abs(ref[i * N + n]));
    }
    worst = Math.max(worst, d / s);
  }
  return worst;
}

describe('int8PerChannel', () => {
  it('keeps every weight within half a step of its channel', () => {
    const N = 70;
    const K = 200;
    const w = weights(N, K);
    const q = int8PerChannel(w, N, K);
    let worst = 0;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < K; k++) {
        const v = q.weights[k * N + n];
        expect(Math.abs(v)).toBeLessThanOrEqual(127);
        worst = Math.max(worst, Math.abs(v * q.scales[n] - w[n * K + k]) / q.scales[n]);
      }
    }
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-4);
  });

  it('names a linear node by its layer and role', () => {
    expect(roleOf('model.language_model.layers.3.self_attn.q_proj.weight')).toBe('self_attn/q_proj');
    expect(roleOf('model.visual.blocks.11.mlp.linear_fc2.weight')).toBe('mlp/linear_fc2');
    const g = new GraphBuilder('one', null);
    g.scope = '/decoder/layers.3';
    linearFromArray(
      g,
      g.input('x', DType.FLOAT, ['S', 64]),
      'model.language_model.layers.3.self_attn.q_proj.weight',
      weights(32, 64),
      32,
      64,
      { kind: 'int8' },
    );
    const text = new TextDecoder('latin1').decode(g.serialize());
    expect(text).toContain('/decoder/layers.3/self_attn/q_proj');
  });
});

describe('int8 linear layer (WASM EP)', () => {
  const K = 256;
  const N = 96;
  const w = weights(N, K);

  async function session(fmt: LinearFormat, rank: 2 | 3) {
    const g = new GraphBuilder('one_linear', null);
    const x = g.input('x', DType.FLOAT, rank === 3 ? [1, 'S', K] : ['S', K]);
    g.node('Identity', [linearFromArray(g, x, 'lin', w, N, K, fmt)], { outputs: ['y'] });
    g.output('y', DType.FLOAT, rank === 3 ? [1, 'S', N] : ['S', N]);
    const s = await ort.InferenceSession.create(g.serialize());
    return async (a: Float32Array, M: number) =>
      (await s.run({ x: new ort.Tensor('float32', a, rank === 3 ? [1, M, K] : [M, K]) })).y.data as Float32Array;
  }

  for (const rank of [2, 3] as const) {
    it(`matches the exact product (rank-${rank} input), also beside an outlier token`, async () => {
      const fp32 = await session({ kind: 'fp32' }, rank);
      const int8 = await session({ kind: 'int8' }, rank);
      const M = 9;
      const a = randn(M * K);
      const ref = matmul(a, M, K, w, N);
      expect(rowRelErr(await fp32(a, M), ref, N, 0, M)).toBeLessThan(1e-5);
      const err = rowRelErr(await int8(a, M), ref, N, 0, M);
      expect(err).toBeLessThan(2e-2);
      // Row 0 carries one massive activation (as LLM hidden states have); rows 1… keep their precision.
      const b = a.slice();
      b[3] = 500;
      expect(rowRelErr(await int8(b, M), matmul(b, M, K, w, N), N, 1, M)).toBeLessThan(2e-2);
    });
  }

  it('gives each row the same result whatever rows share the call', async () => {
    const int8 = await session({ kind: 'int8' }, 3);
    const M = 12;
    const a = randn(M * K);
    const all = await int8(a, M);
    const first = await int8(a.slice(0, 5 * K), 5);
    const rest = await int8(a.slice(5 * K), M - 5);
    let d = 0;
    for (let i = 0; i < 5 * N; i++) d = Math.max(d, Math.abs(all[i] - first[i]));
    for (let i = 0; i < (M - 5) * N; i++) d = Math.max(d, Math.abs(all[5 * N + i] - rest[i]));
    expect(d).toBeLessThan(1e-5);
  });
});

describe('tiny model with int8 linear layers', () => {
  const r = prng(23);
  const text = (n: number) => Array.from({ length: n }, () => 100 + Math.floor(r() * 20000));
  const img = { patches: Float32Array.from({ length: 48 * 1536 }, () => r() * 2 - 1), grid: [1, 6, 8] as [number, number, number] };
  const imageIds = [151652, ...Array(12).fill(151655), 151653];
  const prefix: PromptInput = { ids: [...text(20), ...imageIds, ...text(5)], images: [img], videos: [] };
  const docs: PromptInput[] = [7, 30, 3, 90].map((n) => ({ ids: [...prefix.ids, ...text(n)], images: [img], videos: [] }));

  it('scores near the fp32 model, closer than 4-bit; prefix reuse equals full prompts; one pass writes int8 graphs', async (ctx) => {
    const fp32 = await tinyModel(32);
    const int8 = await tinyModel(4, false, 'int8');
    const q4 = await tinyModel(4);
    expect(int8.model.linear).toBe('int8');
    expect(int8.manifest.embedding.bits).toBe(8); // at least 8-bit under int8 layers
    const ref = await new Scorer(fp32.model).score(null, docs, { reusePrefix: false });
    const full = await new Scorer(int8.model).score(null, docs, { reusePrefix: false });
    const reused = await new Scorer(int8.model).score(prefix, docs, { chunkTokens: 64 });
    const four = await new Scorer(q4.model).score(null, docs, { reusePrefix: false });
    let dInt8 = 0;
    let d4 = 0;
    let dReuse = 0;
    full.forEach((f, i) => {
      dInt8 = Math.max(dInt8, Math.abs(f.logit! - ref[i].logit!));
      d4 = Math.max(d4, Math.abs(four[i].logit! - ref[i].logit!));
      dReuse = Math.max(dReuse, Math.abs(reused[i].score! - f.score!));
    });
    ctx.annotate(
      `max |Δlogit| vs fp32: int8 ${dInt8.toExponential(2)}, 4-bit ${d4.toExponential(2)}; int8 reuse vs full |Δscore| ${dReuse.toExponential(2)}`,
    );
    expect(dReuse).toBeLessThan(1e-5);
    // Made from the checkpoint's weights, int8 carries int8's rounding only; made from 4-bit blocks it
    // carried the 4-bit error (about as far off as 4-bit itself).
    expect(dInt8).toBeLessThan(d4 / 5);
    const latin = new TextDecoder('latin1');
    // The vision tower all int8; the decoder int8 but its attention projections (8-bit blocks, INT8_ROLES).
    const [vision, decoder] = (['vision', 'decoder'] as const).map((g) => latin.decode(int8.files.get(int8.manifest.graphs[g].file)!));
    expect([vision.includes('MatMulIntegerToFloat'), vision.includes('MatMulNBits')]).toEqual([true, false]);
    expect([decoder.includes('MatMulIntegerToFloat'), decoder.includes('MatMulNBits')]).toEqual([true, true]);
    expect(latin.decode(int8.files.get('decoder.onnx')!)).toContain('/decoder/layers.0/mlp/down_proj');
    for (const m of [fp32, int8, q4]) await m.model.release();
  });
});
