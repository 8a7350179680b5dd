// The WASM weight format: MatMulNBits rewritten at load time to per-token int8 activations +
// MatMulIntegerToFloat on per-column int8 weights (src/model/int8Matmul.ts). Checked against the
// exact product with the stored (dequantized) weights, for outlier tokens, for independence of a
// row's result from the other rows (packing and prefix reuse stay exact), and end to end.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { DType, GraphBuilder } from '../../src/model/onnx/graph.ts';
import { linearFromArray } from '../../src/model/graphs/layers.ts';
import { dequantizeRows, quantizeMatrix } from '../../src/model/quantize.ts';
import { requantizeInt8, rewriteMatMulNBitsToInt8 } from '../../src/model/int8Matmul.ts';
import { body, parseFields, parseTensor } from '../../src/model/onnx/protoRead.ts';
import { Scorer, type PromptInput } from '../../src/engine/scorer.ts';
import { prng } from '../reference/testModel.ts';
import { tinyModel } from './tinyModel.ts';

const rand = prng(5);
const randn = (n: number, std = 1) => Float32Array.from({ length: n }, () => (rand() + rand() + rand() - 1.5) * 2 * std);

/** W [N, K] whose rows differ in scale by up to 40× (so a wrong per-column scale would show). */
function weights(N: number, K: number): Float32Array {
  const w = randn(N * K, 1 / Math.sqrt(K));
  for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + k] *= 1 + (n % 40);
  return w;
}

function matmul(a: Float32Array, M: number, K: number, w: Float32Array, N: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let n = 0; n < N; n++) {
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

describe('requantizeInt8', () => {
  for (const bits of [4, 8] as const) {
    it(`maps ${bits}-bit blocks to per-column int8 within half a step`, () => {
      const N = 70;
      const K = 200; // not a multiple of the block: the last block is partial
      const q = quantizeMatrix(weights(N, K), N, K, bits, 32);
      const deq = dequantizeRows(q, 0, N);
      const r = requantizeInt8(q.packed, q.scales, q.zeroPoints, N, K, bits, 32);
      let worst = 0;
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < K; k++) {
          const v = r.weights[k * N + n];
          expect(Math.abs(v)).toBeLessThanOrEqual(127);
          worst = Math.max(worst, Math.abs(v * r.scales[n] - deq[n * K + k]) / r.scales[n]);
        }
      }
      expect(worst).toBeLessThanOrEqual(0.5 + 1e-4);
    });
  }
});

describe('MatMulNBits → int8 rewrite (WASM EP)', () => {
  const K = 256;
  const N = 96;
  const w = weights(N, K);
  const q = quantizeMatrix(w, N, K, 4, 32);
  const deq = dequantizeRows(q, 0, N);

  async function sessions(rank: 2 | 3) {
    const g = new GraphBuilder('one_linear', null);
    const x = g.input('x', DType.FLOAT, rank === 3 ? [1, 'S', K] : ['S', K]);
    const y = linearFromArray(g, x, 'lin', w, N, K, { bits: 4, blockSize: 32 });
    g.node('Identity', [y], { outputs: ['y'] });
    g.output('y', DType.FLOAT, rank === 3 ? [1, 'S', N] : ['S', N]);
    const model = g.serialize();
    const rw = rewriteMatMulNBitsToInt8(model, new Map(), { prefix: 't' });
    expect(rw.matrices).toBe(1);
    expect(new TextDecoder().decode(rw.model)).not.toContain('MatMulNBits');
    const stored = await ort.InferenceSession.create(model);
    const int8 = await ort.InferenceSession.create(rw.model, { externalData: rw.externalData });
    const run = async (s: ort.InferenceSession, a: Float32Array, M: number) =>
      (await s.run({ x: new ort.Tensor('float32', a, rank === 3 ? [1, M, K] : [M, K]) })).y.data as Float32Array;
    return { stored, int8, run };
  }

  for (const rank of [2, 3] as const) {
    it(`matches the stored weights' product (rank-${rank} input), also beside an outlier token`, async () => {
      const { stored, int8, run } = await sessions(rank);
      const M = 9;
      const a = randn(M * K);
      const ref = matmul(a, M, K, deq, N);
      const yStored = await run(stored, a, M);
      const yInt8 = await run(int8, a, M);
      expect(rowRelErr(yStored, ref, N, 0, M)).toBeLessThan(1e-5);
      const err = rowRelErr(yInt8, ref, N, 0, M);
      console.log(`int8 rewrite, rank ${rank}: max row-relative error ${err.toExponential(2)}`);
      expect(err).toBeLessThan(3e-2);
      // Row 0 carries one massive activation (as LLM hidden states have); rows 1… keep their precision.
      const b = a.slice();
      b[3] = 500;
      const refB = matmul(b, M, K, deq, N);
      expect(rowRelErr(await run(int8, b, M), refB, N, 1, M)).toBeLessThan(3e-2);
    });
  }

  it("gives each row the same result whatever rows share the call", async () => {
    const { int8, run } = await sessions(3);
    const M = 12;
    const a = randn(M * K);
    const all = await run(int8, a, M);
    const first = await run(int8, a.slice(0, 5 * K), 5);
    const rest = await run(int8, a.slice(5 * K), M - 5);
    let d = 0;
    for (let i = 0; i < 5 * N; i++) d = Math.max(d, Math.abs(all[i] - first[i]));
    for (let i = 0; i < (M - 5) * N; i++) d = Math.max(d, Math.abs(all[5 * N + i] - rest[i]));
    expect(d).toBeLessThan(1e-5);
  });
});

describe('tiny model with int8 linear layers', () => {
  const r = prng(23);
  const text = (n: number) => Array.from({ length: n }, () => 100 + Math.floor(r() * 20000));
  const patches = Float32Array.from({ length: 48 * 1536 }, () => r() * 2 - 1);
  const img = { patches, grid: [1, 6, 8] as [number, number, number] };
  const imageIds = [151652, ...Array(12).fill(151655), 151653];
  const prefix: PromptInput = { ids: [...text(20), ...imageIds, ...text(5)], images: [img], videos: [] };
  const docs: PromptInput[] = [7, 30, 3, 90].map((n) => ({ ids: [...prefix.ids, ...text(n)], images: [img], videos: [] }));

  for (const bits of [4, 8] as const) {
    it(`${bits}-bit: scores stay near the stored weights' scores; prefix reuse equals full prompts`, async () => {
      const stored = await tinyModel(bits, false, 'stored');
      const int8 = await tinyModel(bits, false, 'int8');
      expect(stored.model.matmul).toBe('stored');
      expect(int8.model.matmul).toBe('int8');
      const ref = await new Scorer(stored.model).score(null, docs, { reusePrefix: false });
      const full = await new Scorer(int8.model).score(null, docs, { reusePrefix: false });
      const reused = await new Scorer(int8.model).score(prefix, docs, { chunkTokens: 64 });
      let dRef = 0;
      let dReuse = 0;
      full.forEach((f, i) => {
        dRef = Math.max(dRef, Math.abs(f.logit! - ref[i].logit!));
        dReuse = Math.max(dReuse, Math.abs(reused[i].score! - f.score!));
      });
      console.log(`int8 vs stored ${bits}-bit: max |Δlogit| ${dRef.toFixed(4)}; reuse vs full (int8): max |Δscore| ${dReuse.toExponential(2)}`);
      expect(dReuse).toBeLessThan(1e-5);
      expect(dRef).toBeLessThan(0.1);
      await stored.model.release();
      await int8.model.release();
    });
  }

  it("'auto' picks int8 on the WASM EP for quantized models only", async () => {
    const q4 = await tinyModel(4, false, 'auto');
    const fp32 = await tinyModel(32, false, 'auto');
    expect(q4.model.matmul).toBe('int8');
    expect(fp32.model.matmul).toBe('stored');
    await q4.model.release();
    await fp32.model.release();
  });
});

describe('int8 linear layers stored at conversion (src/model/int8Graph.ts)', () => {
  const r = prng(31);
  const text = (n: number) => Array.from({ length: n }, () => 100 + Math.floor(r() * 20000));
  const img = { patches: Float32Array.from({ length: 48 * 1536 }, () => r() * 2 - 1), grid: [1, 6, 8] as [number, number, number] };
  const imageIds = [151652, ...Array(12).fill(151655), 151653];
  const docs: PromptInput[] = [9, 40].map((n) => ({ ids: [...text(12), ...imageIds, ...text(n)], images: [img], videos: [] }));

  it('scores exactly as the load-time rewrite of the 4-bit graphs, with no 4-bit weights left in the files', async () => {
    const stored = await tinyModel(4, false, 'stored', 'int8');
    const rewritten = await tinyModel(4, false, 'int8');
    expect(stored.manifest.weights.linear).toBe('int8');
    expect(stored.model.matmul).toBe('int8');
    const a = await new Scorer(stored.model).score(null, docs, { reusePrefix: false });
    const b = await new Scorer(rewritten.model).score(null, docs, { reusePrefix: false });
    let d = 0;
    a.forEach((x, i) => (d = Math.max(d, Math.abs(x.logit! - b[i].logit!))));
    console.log(`stored int8 vs load-time int8: max |Δlogit| ${d.toExponential(2)}`);
    expect(d).toBeLessThan(1e-5);
    const text8 = new TextDecoder('latin1');
    for (const g of ['vision', 'decoder'] as const) {
      const onnx = text8.decode(stored.files.get(stored.manifest.graphs[g].file)!);
      expect(onnx).toContain('MatMulIntegerToFloat');
      expect(onnx).not.toContain('MatMulNBits');
      // The shards hold exactly the graph's external initializers (64-byte aligned): no dead 4-bit blocks.
      const model = stored.files.get(stored.manifest.graphs[g].file)!;
      const graph = parseFields(model).find((f) => f.no === 7)!;
      const inits = parseFields(body(model, graph)).filter((f) => f.no === 5).map((f) => parseTensor(body(body(model, graph), f)));
      const external = inits.filter((t) => t.external);
      const used = external.reduce((n, t) => n + t.external!.length, 0);
      const shardBytes = stored.manifest.graphs[g].shards.reduce((n, f) => n + stored.files.get(f)!.length, 0);
      expect(external.some((t) => t.dataType === DType.INT8)).toBe(true);
      expect(shardBytes - used).toBeGreaterThanOrEqual(0);
      expect(shardBytes - used).toBeLessThan(64 * external.length);
    }
    await stored.model.release();
    await rewritten.model.release();
  });
});

