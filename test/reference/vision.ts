// Qwen3VLVisionModel for one image or video: patch embed, interpolated position embeddings,
// 2-D rotary, ViT blocks with attention inside each temporal frame, DeepStack mergers and the
// final merger. One call per image/video is equivalent to HF's batched call because nothing
// mixes patches across images (attention is split by cu_seqlens at every frame boundary).

import type { ModelConfig } from '../../src/model/config.ts';
import { geluErf, geluTanh } from './erf.ts';
import { add, applyRotaryInPlace, attendHead, layerNorm, linear, mapArray } from './ops.ts';
import { visionRotary } from './rope.ts';
import { interpolatePosEmbed, mergeOrderCoords } from './visionPos.ts';
import { take, type Weights } from './weights.ts';

const VIS = 'model.visual';
const LN_EPS = 1e-6; // eps=1e-6 is hard-coded in every vision LayerNorm (blocks and mergers)

export interface VisionResult {
  /** Final merger output, [N/merge², outHiddenSize]. */
  embeds: Float32Array;
  /**
   * One [N/merge², outHiddenSize] per entry of deepstack_visual_indexes, in block order (HF appends
   * as the blocks run; block b uses deepstack_merger_list[indexes.indexOf(b)]).
   */
  deepstack: Float32Array[];
  /** Hidden state after each block, [N, hidden] (to check graphs block by block). */
  blockOutputs: Float32Array[];
}

/**
 * Conv3d with stride = kernel over patches already cut out by the processor: each row of
 * `patches` is one (C, T, P, P) volume flattened in that order, which is exactly the flattening
 * of the weight [hidden, C, T, P, P], so the convolution is y = x·Wᵀ + b.
 */
export function patchEmbed(w: Weights, cfg: ModelConfig, patches: Float32Array, N: number): Float32Array {
  const v = cfg.vision;
  const K = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  if (patches.length !== N * K) throw new Error(`vision: patches hold ${patches.length} values, expected ${N}×${K}`);
  const W = take(w, `${VIS}.patch_embed.proj.weight`, v.hiddenSize * K);
  const b = take(w, `${VIS}.patch_embed.proj.bias`, v.hiddenSize);
  return linear(patches, N, K, W, v.hiddenSize, b);
}

/** Qwen3VLVisionBlock: x + proj(attn(rope(qkv(norm1(x))))), then x + fc2(gelu_tanh(fc1(norm2(x)))). */
export function visionBlock(
  w: Weights,
  cfg: ModelConfig,
  i: number,
  x: Float32Array,
  frameLen: number,
  cos: Float32Array,
  sin: Float32Array,
): Float32Array {
  const v = cfg.vision;
  const H = v.hiddenSize;
  const heads = v.numHeads;
  const hd = H / heads; // head_dim = hidden_size // num_heads
  const N = x.length / H;
  const p = `${VIS}.blocks.${i}`;

  const h1 = layerNorm(x, N, H, take(w, `${p}.norm1.weight`, H), take(w, `${p}.norm1.bias`, H), LN_EPS);
  // A qkv row is [q (heads×hd) | k (heads×hd) | v (heads×hd)]: reshape(seq, 3, heads, hd).
  const qkv = linear(h1, N, H, take(w, `${p}.attn.qkv.weight`, 3 * H * H), 3 * H, take(w, `${p}.attn.qkv.bias`, 3 * H));
  for (let n = 0; n < N; n++) {
    for (let hh = 0; hh < heads; hh++) {
      applyRotaryInPlace(qkv, n * 3 * H + hh * hd, hd, cos, sin, n * hd); // q
      applyRotaryInPlace(qkv, n * 3 * H + H + hh * hd, hd, cos, sin, n * hd); // k
    }
  }
  // Full (non-causal) attention within each temporal frame only: cu_seqlens steps by h·w.
  const attn = new Float32Array(N * H);
  const scale = 1 / Math.sqrt(hd);
  for (let start = 0; start < N; start += frameLen) {
    for (let hh = 0; hh < heads; hh++) {
      attendHead(
        { data: qkv, stride: 3 * H, col: hh * hd },
        { data: qkv, stride: 3 * H, col: H + hh * hd },
        { data: qkv, stride: 3 * H, col: 2 * H + hh * hd },
        { data: attn, stride: H, col: hh * hd },
        hd,
        start,
        start + frameLen,
        false,
        scale,
      );
    }
  }
  const proj = linear(attn, N, H, take(w, `${p}.attn.proj.weight`, H * H), H, take(w, `${p}.attn.proj.bias`, H));
  const x1 = add(x, proj);

  const h2 = layerNorm(x1, N, H, take(w, `${p}.norm2.weight`, H), take(w, `${p}.norm2.bias`, H), LN_EPS);
  const I = v.intermediateSize;
  const up = linear(h2, N, H, take(w, `${p}.mlp.linear_fc1.weight`, I * H), I, take(w, `${p}.mlp.linear_fc1.bias`, I));
  const act = mapArray(up, geluTanh); // vision hidden_act: gelu_pytorch_tanh
  const down = linear(act, N, I, take(w, `${p}.mlp.linear_fc2.weight`, H * I), H, take(w, `${p}.mlp.linear_fc2.bias`, H));
  return add(x1, down);
}

/**
 * Qwen3VLVisionPatchMerger. `prefix` is `model.visual.merger` (norm per patch over hidden, then
 * group merge² consecutive patches) or `model.visual.deepstack_merger_list.<j>` (postshuffle:
 * group first, norm over merge²·hidden). Then fc1 → exact erf GELU (nn.GELU()) → fc2.
 */
export function patchMerger(w: Weights, cfg: ModelConfig, prefix: string, x: Float32Array, postshuffle: boolean): Float32Array {
  const v = cfg.vision;
  const H = v.hiddenSize;
  const G = H * v.spatialMergeSize * v.spatialMergeSize; // merged width
  const N = x.length / H;
  const M = (x.length / G) | 0;
  if (M * G !== x.length) throw new Error(`vision merger: ${N} patches do not group by ${G / H}`);
  // Grouping consecutive patches is a reshape of the row-major buffer, so no copy is needed.
  const normed = postshuffle
    ? layerNorm(x, M, G, take(w, `${prefix}.norm.weight`, G), take(w, `${prefix}.norm.bias`, G), LN_EPS)
    : layerNorm(x, N, H, take(w, `${prefix}.norm.weight`, H), take(w, `${prefix}.norm.bias`, H), LN_EPS);
  const h = linear(normed, M, G, take(w, `${prefix}.linear_fc1.weight`, G * G), G, take(w, `${prefix}.linear_fc1.bias`, G));
  const act = mapArray(h, geluErf); // nn.GELU() default: exact, not the tanh approximation
  const O = v.outHiddenSize;
  return linear(act, M, G, take(w, `${prefix}.linear_fc2.weight`, O * G), O, take(w, `${prefix}.linear_fc2.bias`, O));
}

/** The whole vision tower for one image (t = 1) or video (t = number of temporal groups). */
export function referenceVision(w: Weights, cfg: ModelConfig, patches: Float32Array, grid: [number, number, number]): VisionResult {
  const v = cfg.vision;
  const [t, gh, gw] = grid;
  const N = t * gh * gw;
  const H = v.hiddenSize;
  const merge = v.spatialMergeSize;

  // patch_embed, then + fast_pos_embed_interpolate (float32 add).
  const embedded = patchEmbed(w, cfg, patches, N);
  const side = Math.round(Math.sqrt(v.numPositionEmbeddings));
  const table = take(w, `${VIS}.pos_embed.weight`, v.numPositionEmbeddings * H);
  const pos = interpolatePosEmbed(table, side, H, grid, merge);
  let x = add(embedded, pos);

  // rot_pos_emb: (row, col) of every patch in merge order, repeated for every frame.
  const { rows, cols } = mergeOrderCoords(grid, merge);
  const { cos, sin } = visionRotary(rows, cols, H / v.numHeads);

  const blockOutputs: Float32Array[] = [];
  const deepstack: Float32Array[] = [];
  for (let i = 0; i < v.depth; i++) {
    x = visionBlock(w, cfg, i, x, gh * gw, cos, sin);
    blockOutputs.push(x);
    const j = v.deepstackVisualIndexes.indexOf(i);
    if (j >= 0) deepstack.push(patchMerger(w, cfg, `${VIS}.deepstack_merger_list.${j}`, x, true));
  }
  if (deepstack.length !== v.deepstackVisualIndexes.length) {
    throw new Error(`vision: deepstack_visual_indexes ${v.deepstackVisualIndexes.join(',')} exceed depth ${v.depth}`);
  }
  const embeds = patchMerger(w, cfg, `${VIS}.merger`, x, false);
  return { embeds, deepstack, blockOutputs };
}
