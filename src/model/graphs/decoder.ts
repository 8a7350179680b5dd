// The Qwen3-VL text decoder as one onnxruntime graph, batch 1 (documents are packed by the engine).
//   inputs_embeds [1,S,H]  cos/sin [1,S,D] (M-RoPE, computed in JS)  attn_bias [1,1,S,T] (T = P+S)
//   deepstack [n_ds,S,H] (zero rows outside visual positions)  past_key_i/past_value_i [1,kvH,P,D]
// → the head's output: a reranker's logits [1,S] = final_norm(h)·(W[yes] − W[no]) at every position, or
//   an embedding model's final_hidden [1,S,H] = final_norm(h) (Sift pools the last token, normalises);
//   present_key_i/value_i [1,kvH,S,D] (the new tokens only; the engine owns the cache), and hidden_i
//   [1,S,H] per layer when debugging.
// The 151,936-row LM head is never materialised: a reranker stores only the yes−no difference vector.
import type { ModelConfig } from '../config.ts';
import { DType, GraphBuilder, type WeightSink } from '../onnx/graph.ts';
import { textNames } from '../names.ts';
import { applyRotary, attention, rmsNorm, silu, weightVector, type TensorReader } from './layers.ts';
import { linear, type LinearFormat, type LinearPlan } from './linear.ts';

/** What the graph outputs after the final norm: the reranker's yes−no logit, or the embedding model's hidden state. */
export type DecoderHead = { kind: 'score'; yesId: number; noId: number } | { kind: 'hidden' };

export interface DecoderGraphOptions {
  format: LinearPlan | LinearFormat;
  head: DecoderHead;
  /** Also output every layer's hidden state (tests compare them with the CPU reference). */
  debugHidden?: boolean;
}

export const decoderIO = {
  pastKey: (i: number) => `past_key_${i}`,
  pastValue: (i: number) => `past_value_${i}`,
  presentKey: (i: number) => `present_key_${i}`,
  presentValue: (i: number) => `present_value_${i}`,
  hidden: (i: number) => `hidden_${i}`,
  /** The embedding head's output: final_norm(h) at every position. */
  finalHidden: 'final_hidden',
};

/** W[yes] − W[no] from the LM head, or from the embeddings when they are tied. */
export async function scoreVector(
  r: TensorReader & { readRows?(name: string, start: number, count: number): Promise<Float32Array> },
  cfg: ModelConfig,
  yesId: number,
  noId: number,
): Promise<Float32Array> {
  const name = !cfg.text.tieWordEmbeddings && r.has(textNames.lmHead) ? textNames.lmHead : textNames.embed;
  const H = cfg.text.hiddenSize;
  const row = async (id: number) => {
    if (r.readRows) return r.readRows(name, id, 1);
    return (await r.readTensor(name)).slice(id * H, (id + 1) * H);
  };
  const yes = await row(yesId);
  const no = await row(noId);
  return Float32Array.from(yes, (v, i) => v - no[i]);
}

export async function buildDecoderGraph(
  r: TensorReader,
  cfg: ModelConfig,
  sink: WeightSink,
  opts: DecoderGraphOptions,
): Promise<Uint8Array> {
  const t = cfg.text;
  const { hiddenSize: H, headDim: D, numHeads: Hq, numKvHeads: Hkv } = t;
  const rep = Hq / Hkv;
  const nds = cfg.vision.deepstackVisualIndexes.length;
  const g = new GraphBuilder('sift_decoder', sink);
  const fmt = opts.format;
  g.scope = '/decoder';

  let h = g.input('inputs_embeds', DType.FLOAT, [1, 'S', H]);
  const cos = g.op('Unsqueeze', [g.input('cos', DType.FLOAT, [1, 'S', D]), g.ints([1])]);
  const sin = g.op('Unsqueeze', [g.input('sin', DType.FLOAT, [1, 'S', D]), g.ints([1])]);
  const bias = g.input('attn_bias', DType.FLOAT, [1, 1, 'S', 'T']);
  const deepstack = nds ? g.input('deepstack', DType.FLOAT, [nds, 'S', H]) : '';
  const scale = g.scalar(1 / Math.sqrt(D));

  for (let i = 0; i < t.numLayers; i++) {
    const n = textNames.layer(i);
    g.scope = `/decoder/layers.${i}`;
    const pastK = g.input(decoderIO.pastKey(i), DType.FLOAT, [1, Hkv, 'P', D]);
    const pastV = g.input(decoderIO.pastValue(i), DType.FLOAT, [1, Hkv, 'P', D]);
    const x = rmsNorm(g, h, await weightVector(g, r, n.inputNorm), t.rmsNormEps);

    // Projections → [1, heads, S, D], per-head RMSNorm on q and k, rotary.
    const heads = async (w: string, count: number, norm?: string) => {
      let y = g.op('Reshape', [await linear(g, r, x, w, fmt), g.ints([0, 0, count, D])]);
      if (norm) y = rmsNorm(g, y, await weightVector(g, r, norm), t.rmsNormEps);
      return g.op('Transpose', [y], { perm: [0, 2, 1, 3] });
    };
    const q = g.op('Mul', [applyRotary(g, await heads(n.q, Hq, n.qNorm), cos, sin, D), scale]);
    const k = applyRotary(g, await heads(n.k, Hkv, n.kNorm), cos, sin, D);
    const v = await heads(n.v, Hkv);
    g.node('Identity', [k], { outputs: [decoderIO.presentKey(i)] });
    g.node('Identity', [v], { outputs: [decoderIO.presentValue(i)] });
    g.output(decoderIO.presentKey(i), DType.FLOAT, [1, Hkv, 'S', D]);
    g.output(decoderIO.presentValue(i), DType.FLOAT, [1, Hkv, 'S', D]);
    // Shapes shape inference cannot derive (P+S, rep·S) are declared: T = P+S as in attn_bias, RS =
    // rep·S; onnxruntime sizes (and reuses) buffers only for values whose shapes it knows.
    const kAll = g.shape(g.op('Concat', [pastK, k], { axis: 2 }), DType.FLOAT, [1, Hkv, 'T', D]);
    const vAll = g.shape(g.op('Concat', [pastV, v], { axis: 2 }), DType.FLOAT, [1, Hkv, 'T', D]);

    // Grouped-query attention without repeating K/V: the rep query heads that share a KV head are
    // stacked along the sequence axis, so one plain MatMul serves them all.
    const qGrouped = g.shape(g.op('Reshape', [q, g.ints([0, Hkv, -1, D])]), DType.FLOAT, [1, Hkv, 'RS', D]);
    const ctx = attention(g, qGrouped, kAll, vAll, bias, {
      to: [0, Hq, -1, 0],
      back: [0, Hkv, -1, 0],
      shapes: [
        [1, Hq, 'S', 'T'],
        [1, Hkv, 'RS', 'T'],
      ],
    });
    const merged = g.op('Reshape', [
      g.op('Transpose', [g.shape(g.op('Reshape', [ctx, g.ints([0, Hq, -1, D])]), DType.FLOAT, [1, Hq, 'S', D])], { perm: [0, 2, 1, 3] }),
      g.ints([0, 0, Hq * D]),
    ]);
    h = g.op('Add', [h, await linear(g, r, merged, n.o, fmt)]);
    void rep;

    const y = rmsNorm(g, h, await weightVector(g, r, n.postNorm), t.rmsNormEps);
    const act = g.op('Mul', [silu(g, await linear(g, r, y, n.gate, fmt)), await linear(g, r, y, n.up, fmt)]);
    h = g.op('Add', [h, await linear(g, r, act, n.down, fmt)]);

    // DeepStack: visual features of vision layer i are added after decoder layer i.
    if (i < nds) h = g.op('Add', [h, g.op('Gather', [deepstack, g.ints([i])], { axis: 0 })]);
    if (opts.debugHidden) {
      g.node('Identity', [h], { outputs: [decoderIO.hidden(i)] });
      g.output(decoderIO.hidden(i), DType.FLOAT, [1, 'S', H]);
    }
  }

  g.scope = '/decoder';
  const final = rmsNorm(g, h, await weightVector(g, r, textNames.finalNorm), t.rmsNormEps);
  if (opts.head.kind === 'hidden') {
    g.node('Identity', [final], { outputs: [decoderIO.finalHidden] });
    g.output(decoderIO.finalHidden, DType.FLOAT, [1, 'S', H]);
    return g.serialize();
  }
  const diff = g.floatWeight('score_head', [H, 1], await scoreVector(r, cfg, opts.head.yesId, opts.head.noId));
  g.node('Reshape', [g.op('MatMul', [final, diff]), g.ints([1, -1])], { outputs: ['logits'] });
  g.output('logits', DType.FLOAT, [1, 'S']);
  return g.serialize();
}
