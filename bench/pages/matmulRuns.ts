// Lone matmuls: the roofline (every weight format at the reranker's shapes), whether int8 results
// depend on the other rows of a call, and the int8 requantization kernel's speed.
import { ALL_FORMATS, FORMAT_NOTES, matmulGraph, toHalf, type Format } from './roofline.ts';
import { getOrt, median, randn, wasmHeapBytes } from './runtime.ts';

export interface RooflineCell {
  format: Format;
  N: number;
  M: number;
  ms: number; // median
  gflops: number;
  runs: number;
  error?: string;
  /** max |Y − Y_fp64| / max |Y_fp64| at M = 16 (the format's own numeric error on these weights) */
  relErr?: number;
  /** the same for rows 1…3 when row 0 carries one activation of 300 (a massive-activation token) */
  relErrOutlier?: number;
}

/** max |Y − Y_exact| / max |Y_exact| over rows [from, from + 3) of Y = A · Wᵀ. */
function relError(K: number, N: number, a: Float32Array, w: Float32Array, y: Float32Array, from: number): number {
  let maxErr = 0;
  let maxRef = 0;
  for (let i = from; i < from + 3; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let kk = 0; kk < K; kk++) s += a[i * K + kk] * w[j * K + kk];
      maxErr = Math.max(maxErr, Math.abs(y[i * N + j] - s));
      maxRef = Math.max(maxRef, Math.abs(s));
    }
  }
  return maxErr / maxRef;
}

/** Times A[M, K] · W for each format, N and M; FLOPs = 2·M·N·K. */
export async function roofline(opts: {
  K: number;
  Ns: number[];
  Ms: number[];
  formats?: Format[];
  reps: number;
  minMs?: number;
  ep?: 'wasm' | 'webgpu';
}) {
  const o = await getOrt();
  const cells: RooflineCell[] = [];
  const K = opts.K;
  for (const N of opts.Ns) {
    // Rows differ in scale (up to 8×), as real weights do, so a format that got per-column scales wrong would show.
    const w = randn(N * K, 1000 + N, 1 / Math.sqrt(K));
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) w[n * K + k] *= 1 + (n % 8);
    for (const format of opts.formats ?? ALL_FORMATS) {
      let session: import('onnxruntime-web').InferenceSession | null = null;
      try {
        const graph = matmulGraph(format, w, N, K);
        session = await o.InferenceSession.create(graph.model, {
          executionProviders: [opts.ep ?? 'wasm'],
          graphOptimizationLevel: 'all',
          externalData: graph.externalData,
        });
      } catch (e) {
        for (const M of opts.Ms)
          cells.push({ format, N, M, ms: NaN, gflops: NaN, runs: 0, error: `session: ${(e as Error).message.slice(0, 200)}` });
        continue;
      }
      for (const M of opts.Ms) {
        const a = randn(M * K, 7 + M);
        const feed =
          format === 'fp16-matmul' ? new o.Tensor('float16', Uint16Array.from(a, toHalf), [M, K]) : new o.Tensor('float32', a, [M, K]);
        try {
          const times: number[] = [];
          let relErr: number | undefined;
          let relErrOutlier: number | undefined;
          const run = async () => {
            const t0 = performance.now();
            const out = await session!.run({ A: feed });
            const dt = performance.now() - t0;
            return { dt, out };
          };
          const first = await run(); // warm-up (first run allocates)
          if (M === opts.Ms[0] && format !== 'fp16-matmul') {
            relErr = relError(K, N, a, w, (await first.out.Y.getData()) as Float32Array, 0);
            // One token with a massive activation (as LLM hidden states have): the error of the other tokens.
            const b = a.slice();
            b[5] = 300;
            const out = await session!.run({ A: new o.Tensor('float32', b, [M, K]) });
            relErrOutlier = relError(K, N, b, w, (await out.Y.getData()) as Float32Array, 1);
            out.Y.dispose();
          }
          first.out.Y.dispose();
          let spent = 0;
          while (times.length < opts.reps || (opts.minMs && spent < opts.minMs && times.length < opts.reps * 3)) {
            const r = await run();
            r.out.Y.dispose();
            times.push(r.dt);
            spent += r.dt;
          }
          const ms = median(times);
          cells.push({ format, N, M, ms, gflops: (2 * M * N * K) / (ms * 1e6), runs: times.length, relErr, relErrOutlier });
        } catch (e) {
          cells.push({ format, N, M, ms: NaN, gflops: NaN, runs: 0, error: (e as Error).message.slice(0, 200) });
        }
      }
      await session.release();
    }
  }
  return { cells, notes: FORMAT_NOTES, wasmHeapMB: wasmHeapBytes() / 2 ** 20 };
}

/** Diagnostics: does a row's int8 result depend on the other rows of the call? Returns max |Δ| per variant. */
export async function int8RowCheck(K = 2048, N = 2048, M = 200, split = 70) {
  const o = await getOrt();
  const w = randn(N * K, 1, 1 / Math.sqrt(K));
  const out: Record<string, number> = {};
  for (const format of ['int8-pertoken-mmitf', 'int8-pertoken-matmulinteger', 'q4-matmulnbits'] as Format[]) {
    const g = matmulGraph(format, w, N, K);
    const s = await o.InferenceSession.create(g.model, { executionProviders: ['wasm'], externalData: g.externalData });
    const a = randn(M * K, 2);
    const run = async (x: Float32Array, m: number) => (await s.run({ A: new o.Tensor('float32', x, [m, K]) })).Y.data as Float32Array;
    const all = await run(a, M);
    const first = await run(a.slice(0, split * K), split);
    const rest = await run(a.slice(split * K), M - split);
    let d = 0;
    for (let i = 0; i < split * N; i++) d = Math.max(d, Math.abs(all[i] - first[i]));
    for (let i = 0; i < (M - split) * N; i++) d = Math.max(d, Math.abs(all[split * N + i] - rest[i]));
    out[format] = d;
    await s.release();
  }
  return out;
}
