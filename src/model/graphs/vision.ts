// The Qwen3-VL vision tower as one onnxruntime graph, for one image or one video at a time.
//   patches [N, C·T·P·P] (processor order)  pos_idx int64 [4, N] / pos_w [4, N] (bilinear position
//   interpolation, computed in JS)  rot_cos/rot_sin [N, hd] (2-D rotary)  frame_shape int64 [2] = (t, h·w)
// → embeds [N/4, out], deepstack [n_ds, N/4, out].
// The Conv3D patch embedding is a MatMul over flattened patches (Conv3D has no f16 WebGPU kernel and the
// stride equals the kernel). Attention runs per temporal group, as HF's cu_seqlens, and over groups of
// heads so the score matrix of a large image stays bounded (16 heads × 7,200² × 4 B would be 3.3 GB).
import type { ModelConfig } from '../config.ts';
import { DType, GraphBuilder, type WeightSink } from '../onnx/graph.ts';
import { visionNames } from '../names.ts';
import { applyRotary, attention, geluErf, geluTanh, layerNorm, weightVector, type TensorReader } from './layers.ts';
import { linear, linearFromArray, type LinearFormat, type LinearPlan } from './linear.ts';

export interface VisionGraphOptions {
  format: LinearPlan | LinearFormat;
  /** Heads per attention group: smaller bounds memory, larger means fewer ops. */
  headsPerGroup?: number;
  debugBlocks?: boolean;
}

const LN_EPS = 1e-6;

async function merger(
  g: GraphBuilder,
  r: TensorReader,
  cfg: ModelConfig,
  x: string,
  index: number | null,
  fmt: LinearPlan | LinearFormat,
): Promise<string> {
  const n = visionNames.merger(index);
  const scope = g.scope;
  g.scope = index === null ? '/vision/merger' : `/vision/deepstack_merger_list.${index}`;
  const unit = cfg.vision.spatialMergeSize ** 2;
  const wide = cfg.vision.hiddenSize * unit;
  const norm = async (y: string) => layerNorm(g, y, await weightVector(g, r, n.normWeight), await weightVector(g, r, n.normBias), LN_EPS);
  // DeepStack mergers normalise after grouping the 2×2 window (postshuffle); the final one before.
  const group = (y: string) => g.shape(g.op('Reshape', [y, g.ints([-1, wide])]), DType.FLOAT, ['M', wide]); // M = N/4
  const y = index === null ? group(await norm(x)) : await norm(group(x));
  const hidden = geluErf(g, await linear(g, r, y, n.fc1Weight, fmt, n.fc1Bias));
  const out = await linear(g, r, hidden, n.fc2Weight, fmt, n.fc2Bias);
  g.scope = scope;
  return out;
}

export async function buildVisionGraph(r: TensorReader, cfg: ModelConfig, sink: WeightSink, opts: VisionGraphOptions): Promise<Uint8Array> {
  const v = cfg.vision;
  const D = v.hiddenSize;
  const nh = v.numHeads;
  const hd = D / nh;
  const K = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  const fmt = opts.format;
  const perGroup = Math.max(1, Math.min(nh, opts.headsPerGroup ?? 2));
  const g = new GraphBuilder('sift_vision', sink);
  g.scope = '/vision';

  const patches = g.input('patches', DType.FLOAT, ['N', K]);
  const posIdx = g.input('pos_idx', DType.INT64, [4, 'N']);
  const posW = g.input('pos_w', DType.FLOAT, [4, 'N']);
  const cos = g.op('Unsqueeze', [g.input('rot_cos', DType.FLOAT, ['N', hd]), g.ints([1])]);
  const sin = g.op('Unsqueeze', [g.input('rot_sin', DType.FLOAT, ['N', hd]), g.ints([1])]);
  const frameShape = g.input('frame_shape', DType.INT64, [2]);

  // Patch embedding: Conv3D weight [D, C, T, P, P] flattened to a Linear [D, K].
  const convW = await r.readTensor(visionNames.patchEmbedWeight);
  let x = linearFromArray(g, patches, visionNames.patchEmbedWeight, convW, D, K, fmt, await r.readTensor(visionNames.patchEmbedBias));

  // Learned positions: Σ_j w_j · table[idx_j] (bilinear interpolation to this grid).
  const table = await weightVector(g, r, visionNames.posEmbed);
  const gathered = g.op('Gather', [table, posIdx], { axis: 0 }); // [4, N, D]
  const weighted = g.op('Mul', [gathered, g.op('Unsqueeze', [posW, g.ints([2])])]);
  x = g.op('Add', [x, g.op('ReduceSum', [weighted, g.ints([0])], { keepdims: 0 })]);

  const frameHeads = g.op('Concat', [frameShape, g.ints([nh, hd])], { axis: 0 }); // (t, h·w, nh, hd)
  const scale = g.scalar(1 / Math.sqrt(hd));
  const deepstack: string[] = [];
  for (let i = 0; i < v.depth; i++) {
    const n = visionNames.block(i);
    g.scope = `/vision/blocks.${i}`;
    const y = layerNorm(g, x, await weightVector(g, r, n.norm1Weight), await weightVector(g, r, n.norm1Bias), LN_EPS);
    const qkv = g.op('Reshape', [await linear(g, r, y, n.qkvWeight, fmt, n.qkvBias), g.ints([0, 3, nh, hd])]);
    const [q0, k0, v0] = g
      .node('Split', [qkv, g.ints([1, 1, 1])], { outputs: 3, attrs: { axis: 1 } })
      .map((s) => g.op('Squeeze', [s, g.ints([1])])); // [N, nh, hd]
    // Shapes computed at run time are declared (T·HW = N), so onnxruntime can size every value.
    const toFrames = (s: string) =>
      g.op('Transpose', [g.shape(g.op('Reshape', [s, frameHeads]), DType.FLOAT, ['T', 'HW', nh, hd])], { perm: [0, 2, 1, 3] }); // [t, nh, hw, hd]
    const q = toFrames(g.op('Mul', [applyRotary(g, q0, cos, sin, hd), scale]));
    const k = toFrames(applyRotary(g, k0, cos, sin, hd));
    const vv = toFrames(v0);
    const groups = nh / perGroup;
    let ctx: string;
    if (groups <= 1 || nh % perGroup !== 0) {
      ctx = attention(g, q, k, vv);
    } else {
      const split = g.ints(Array(groups).fill(perGroup));
      const qs = g.node('Split', [q, split], { outputs: groups, attrs: { axis: 1 } });
      const ks = g.node('Split', [k, split], { outputs: groups, attrs: { axis: 1 } });
      const vs = g.node('Split', [vv, split], { outputs: groups, attrs: { axis: 1 } });
      ctx = g.op(
        'Concat',
        qs.map((qi, j) => attention(g, qi, ks[j], vs[j])),
        { axis: 1 },
      );
    }
    const flat = g.shape(g.op('Reshape', [g.op('Transpose', [ctx], { perm: [0, 2, 1, 3] }), g.ints([-1, D])]), DType.FLOAT, ['N', D]);
    x = g.op('Add', [x, await linear(g, r, flat, n.projWeight, fmt, n.projBias)]);
    const z = layerNorm(g, x, await weightVector(g, r, n.norm2Weight), await weightVector(g, r, n.norm2Bias), LN_EPS);
    const mlp = await linear(g, r, geluTanh(g, await linear(g, r, z, n.fc1Weight, fmt, n.fc1Bias)), n.fc2Weight, fmt, n.fc2Bias);
    x = g.op('Add', [x, mlp]);
    if (opts.debugBlocks) {
      g.node('Identity', [x], { outputs: [`block_${i}`] });
      g.output(`block_${i}`, DType.FLOAT, ['N', D]);
    }
    const dsIndex = v.deepstackVisualIndexes.indexOf(i);
    if (dsIndex >= 0) deepstack[dsIndex] = await merger(g, r, cfg, x, dsIndex, fmt);
  }

  g.scope = '/vision';
  g.node('Identity', [await merger(g, r, cfg, x, null, fmt)], { outputs: ['embeds'] });
  g.output('embeds', DType.FLOAT, ['M', v.outHiddenSize]);
  const stacked = deepstack.map((d) => g.op('Unsqueeze', [d, g.ints([0])]));
  g.node(stacked.length === 1 ? 'Identity' : 'Concat', stacked, { outputs: ['deepstack'], attrs: stacked.length === 1 ? {} : { axis: 0 } });
  g.output('deepstack', DType.FLOAT, [v.deepstackVisualIndexes.length, 'M', v.outHiddenSize]);
  return g.serialize();
}
