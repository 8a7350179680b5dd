// Where a decoder call's time goes: the whole call against its linear layers and its attention core
// run alone at the same shapes.
import { matmulGraph, type Format } from './roofline.ts';
import { decoderFlops, decoderLayerLinearParams } from './flops.ts';
import { loaded } from './engineRuns.ts';
import { getOrt, median, randn } from './runtime.ts';
import { runDecoder } from '../../src/engine/session.ts';
import { KvCache } from '../../src/engine/kvcache.ts';
import { attention } from '../../src/model/graphs/layers.ts';
import { DType, GraphBuilder } from '../../src/model/onnx/graph.ts';

const shapeSessions = new Map<string, import('onnxruntime-web').InferenceSession>();
async function shapeSession(format: Format, N: number, K: number) {
  const key = `${format}:${N}:${K}`;
  let s = shapeSessions.get(key);
  if (!s) {
    const o = await getOrt();
    const w = randn(N * K, 3 + N + K, 1 / Math.sqrt(K));
    const g = matmulGraph(format, w, N, K);
    s = await o.InferenceSession.create(g.model, { executionProviders: ['wasm'], externalData: g.externalData });
    shapeSessions.set(key, s);
  }
  return s;
}

/** The attention core of one decoder layer (the decoder graph's ops: grouped MatMul, bias, Softmax, MatMul). */
let attnSession: import('onnxruntime-web').InferenceSession | null = null;
async function attentionSession(Hq: number, Hkv: number, D: number) {
  if (attnSession) return attnSession;
  const g = new GraphBuilder('attn', null);
  const q = g.input('q', DType.FLOAT, [1, Hkv, 'R', D]);
  const k = g.input('k', DType.FLOAT, [1, Hkv, 'T', D]);
  const v = g.input('v', DType.FLOAT, [1, Hkv, 'T', D]);
  const bias = g.input('bias', DType.FLOAT, [1, 1, 'S', 'T']);
  g.node('Identity', [attention(g, q, k, v, bias, { to: [0, Hq, -1, 0], back: [0, Hkv, -1, 0] })], { outputs: ['y'] });
  g.output('y', DType.FLOAT, [1, Hkv, 'R', D]);
  attnSession = await (await getOrt()).InferenceSession.create(g.serialize(), { executionProviders: ['wasm'] });
  return attnSession;
}

/**
 * Times one decoder call of S new tokens (empty cache) against, in the same moments, the model's
 * linear layers alone at the same shapes (lone matmuls, summed over the layer's 7 projections and
 * all layers) and the attention core alone. Interleaved rep by rep so machine load hits all alike.
 */
export async function profileDecoder(key: string, S: number, reps: number) {
  const l = loaded.get(key);
  if (!l) throw new Error(`no model ${key}`);
  const o = await getOrt();
  const m = l.model;
  const { hiddenSize: H, headDim: D, numHeads: Hq, numKvHeads: Hkv, numLayers: L, intermediateSize: F } = m.cfg.text;
  const format: Format =
    m.linear === 'int8'
      ? 'int8-pertoken-mmitf'
      : m.manifest.weights.bits === 4
        ? 'q4-matmulnbits'
        : m.manifest.weights.bits === 8
          ? 'q8-matmulnbits'
          : 'fp32-matmul';
  const nds = m.cfg.vision.deepstackVisualIndexes.length;
  const T = S + 1;
  const bias = new Float32Array(S * T).fill(-1e9);
  for (let r = 0; r < S; r++) bias.fill(0, r * T + 1, r * T + 2 + r);
  const step = {
    embeds: randn(S * H, 11, 0.5),
    cos: new Float32Array(S * D).fill(1),
    sin: new Float32Array(S * D),
    bias,
    deepstack: new Float32Array(nds * S * H),
    past: KvCache.empty(m.cfg),
    wantPresent: false,
  };
  const shapes: [number, number, number][] = [
    [Hq * D, H, 1],
    [Hkv * D, H, 2],
    [H, Hq * D, 1],
    [F, H, 2],
    [H, F, 1], // q · k,v · o · gate,up · down
  ];
  const x = (K: number) => new o.Tensor('float32', randn(S * K, K), [S, K]);
  const inputs = new Map(shapes.map(([, K]) => [K, x(K)]));
  const attn = await attentionSession(Hq, Hkv, D);
  const attnFeeds = {
    q: new o.Tensor('float32', randn(Hq * S * D, 5), [1, Hkv, (Hq / Hkv) * S, D]),
    k: new o.Tensor('float32', randn(Hkv * T * D, 6), [1, Hkv, T, D]),
    v: new o.Tensor('float32', randn(Hkv * T * D, 7), [1, Hkv, T, D]),
    bias: new o.Tensor('float32', bias, [1, 1, S, T]),
  };
  for (const [N, K] of shapes) await shapeSession(format, N, K);
  const dec: number[] = [];
  const lin: number[] = [];
  const att: number[] = [];
  for (let r = 0; r <= reps; r++) {
    let t0 = performance.now();
    await runDecoder(m, step);
    const dt = performance.now() - t0;
    let ls = 0;
    for (const [N, K, times] of shapes) {
      const sess = await shapeSession(format, N, K);
      t0 = performance.now();
      const out = await sess.run({ A: inputs.get(K)! });
      ls += (performance.now() - t0) * times;
      out.Y.dispose();
    }
    t0 = performance.now();
    (await attn.run(attnFeeds)).y.dispose();
    const at = performance.now() - t0;
    // rep 0 warms up
    if (r > 0) {
      dec.push(dt);
      lin.push(ls * L);
      att.push(at * L);
    }
  }
  const flops = decoderFlops(m.cfg, S, (S * (S + 1)) / 2);
  const decoderMs = median(dec);
  const linearMs = median(lin);
  const attentionMs = median(att);
  return {
    S,
    format,
    decoderMs,
    linearMs,
    attentionMs,
    otherMs: decoderMs - linearMs - attentionMs,
    decoderGflops: flops / (decoderMs * 1e6),
    linearGflops: (2 * S * L * decoderLayerLinearParams(m.cfg)) / (linearMs * 1e6),
  };
}
