// Probe (not run by the bench): the vision tower's attention core on onnxruntime-web's WASM EP in Node,
// as Sift builds it (per frame, head groups of 2: Transpose + MatMul + Softmax + MatMul each) against
// onnxruntime's fused com.microsoft MultiHeadAttention on the same q, k, v. One 448×448 image: 784
// tokens, 16 heads of 64. Prints the median time of each and the largest difference of their outputs.
//   node --import tsx bench/probes/visionAttention.ts [--tokens 784] [--reps 5] [--threads 2]
import * as ort from 'onnxruntime-web';
import { nodeWasmPaths } from '../../src/cli/nodeModel.ts';
import { attention } from '../../src/model/graphs/layers.ts';
import { DType, GraphBuilder } from '../../src/model/onnx/graph.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('tokens', 784);
const reps = arg('reps', 5);
const nh = 16;
const hd = 64;
const perGroup = arg('group', 2);

/** Sift's layout: q, k, v [N, nh, hd] → frames [1, nh, N, hd], attention per head group, back to [N, D]. */
function siftGraph(): Uint8Array {
  const g = new GraphBuilder('sift_attn', null);
  const [q0, k0, v0] = ['q', 'k', 'v'].map((n) => g.input(n, DType.FLOAT, [N, nh, hd]));
  const frames = (s: string) => g.op('Transpose', [g.op('Reshape', [s, g.ints([1, N, nh, hd])])], { perm: [0, 2, 1, 3] });
  const q = frames(g.op('Mul', [q0, g.scalar(1 / Math.sqrt(hd))]));
  const k = frames(k0);
  const v = frames(v0);
  const groups = nh / perGroup;
  const split = g.ints(Array(groups).fill(perGroup));
  const qs = g.node('Split', [q, split], { outputs: groups, attrs: { axis: 1 } });
  const ks = g.node('Split', [k, split], { outputs: groups, attrs: { axis: 1 } });
  const vs = g.node('Split', [v, split], { outputs: groups, attrs: { axis: 1 } });
  const ctx = g.op(
    'Concat',
    qs.map((qi, j) => attention(g, qi, ks[j], vs[j])),
    { axis: 1 },
  );
  g.node('Reshape', [g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }), g.ints([N, nh * hd])], { outputs: ['out'] });
  g.output('out', DType.FLOAT, [N, nh * hd]);
  return g.serialize();
}

/** The same through com.microsoft MultiHeadAttention: q, k, v as [1, N, D] (BSD), one node. */
function mhaGraph(): Uint8Array {
  const g = new GraphBuilder('mha_attn', null);
  const [q, k, v] = ['q', 'k', 'v'].map((n) => g.op('Reshape', [g.input(n, DType.FLOAT, [N, nh, hd]), g.ints([1, N, nh * hd])]));
  const out = g.op('MultiHeadAttention', [q, k, v], { num_heads: nh, scale: { float: 1 / Math.sqrt(hd) } }, 'com.microsoft');
  g.node('Reshape', [out, g.ints([N, nh * hd])], { outputs: ['out'] });
  g.output('out', DType.FLOAT, [N, nh * hd]);
  return g.serialize();
}

async function timeGraph(bytes: Uint8Array, feeds: Record<string, ort.Tensor>) {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  let out = (await s.run(feeds)).out.data as Float32Array;
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    out = (await s.run(feeds)).out.data as Float32Array;
    times.push(performance.now() - t0);
  }
  await s.release();
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], out };
}

async function main() {
  ort.env.wasm.wasmPaths = nodeWasmPaths();
  ort.env.wasm.numThreads = arg('threads', 2);
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5) * 4;
  const feeds = Object.fromEntries(
    ['q', 'k', 'v'].map((n) => [n, new ort.Tensor('float32', Float32Array.from({ length: N * nh * hd }, rand), [N, nh, hd])]),
  );
  const a = await timeGraph(siftGraph(), feeds);
  const b = await timeGraph(mhaGraph(), feeds);
  const a2 = await timeGraph(siftGraph(), feeds);
  let diff = 0;
  for (let i = 0; i < a.out.length; i++) diff = Math.max(diff, Math.abs(a.out[i] - b.out[i]));
  const flops = 4 * N * N * nh * hd;
  const gf = (ms: number) => (flops / ms / 1e6).toFixed(1);
  console.log(`N = ${N}, ${nh} heads × ${hd}, head groups of ${perGroup}, ${ort.env.wasm.numThreads} threads, median of ${reps}:`);
  console.log(`  Sift's ops     ${a.ms.toFixed(1)} / ${a2.ms.toFixed(1)} ms (${gf(a.ms)} GFLOP/s)`);
  console.log(`  MHA (fused)    ${b.ms.toFixed(1)} ms (${gf(b.ms)} GFLOP/s)`);
  console.log(`  max |Δ| ${diff.toExponential(2)}`);
}

await main();
