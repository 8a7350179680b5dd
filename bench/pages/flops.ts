// FLOPs of the Qwen3-VL forward pass, counted from the model config (multiply-add = 2 FLOPs).
// Only matrix products are counted (they are >97 % of the arithmetic); norms, activations, rotary
// and softmax are not. Attention is counted as the useful work: each token against the keys it may
// see (its visible context), not the padded S×T rectangle the graph computes.
import type { ModelConfig } from '../../src/model/config.ts';

/** Weights of the matrix products of one decoder layer: q, k, v, o, gate, up, down. */
export function decoderLayerLinearParams(cfg: ModelConfig): number {
  const t = cfg.text;
  const q = t.hiddenSize * t.numHeads * t.headDim;
  const kv = 2 * t.hiddenSize * t.numKvHeads * t.headDim;
  const o = t.numHeads * t.headDim * t.hiddenSize;
  const mlp = 3 * t.hiddenSize * t.intermediateSize;
  return q + kv + o + mlp;
}

/**
 * Decoder FLOPs for `tokens` new tokens that together attend to `visible` (key, query) pairs:
 *   2 · tokens · (L · linear_params_per_layer + H)   (projections, MLP and the yes−no score head)
 * + 4 · visible · L · heads · head_dim                (q·kᵀ and p·v)
 */
export function decoderFlops(cfg: ModelConfig, tokens: number, visible: number): number {
  const t = cfg.text;
  return 2 * tokens * (t.numLayers * decoderLayerLinearParams(cfg) + t.hiddenSize) + 4 * visible * t.numLayers * t.numHeads * t.headDim;
}

export function visionBlockLinearParams(cfg: ModelConfig): number {
  const v = cfg.vision;
  return 4 * v.hiddenSize * v.hiddenSize + 2 * v.hiddenSize * v.intermediateSize; // qkv (3), proj, fc1, fc2
}

/**
 * Vision FLOPs for one image/video of `patches` patches in frames of `frameLen` patches:
 *   2 · patches · (patch_embed + depth · block_params)   patch_embed = C·T·P·P · width
 * + 4 · patches · frameLen · depth · width               (full attention inside each frame)
 * + 2 · (patches / merge²) · (1 + n_deepstack) · merger_params   merger = (m²·width)² + m²·width·out
 */
export function visionFlops(cfg: ModelConfig, patches: number, frameLen: number): number {
  const v = cfg.vision;
  const unit = v.spatialMergeSize ** 2;
  const patchEmbed = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize * v.hiddenSize;
  const wide = v.hiddenSize * unit;
  const merger = wide * wide + wide * v.outHiddenSize;
  return (
    2 * patches * (patchEmbed + v.depth * visionBlockLinearParams(cfg)) +
    4 * patches * frameLen * v.depth * v.hiddenSize +
    2 * (patches / unit) * (1 + v.deepstackVisualIndexes.length) * merger
  );
}

/** The formulas as text, for the report. */
export function flopFormulas(cfg: ModelConfig) {
  const t = cfg.text;
  const v = cfg.vision;
  return {
    decoder_linear_params_per_layer: decoderLayerLinearParams(cfg),
    decoder_per_token: `2·(L·${decoderLayerLinearParams(cfg)} + ${t.hiddenSize}) + 4·visible·L·${t.numHeads}·${t.headDim}, L = ${t.numLayers}`,
    vision_block_linear_params: visionBlockLinearParams(cfg),
    vision_per_patch: `2·(${v.inChannels * v.temporalPatchSize * v.patchSize ** 2}·${v.hiddenSize} + ${v.depth}·${visionBlockLinearParams(cfg)}) + 4·frame_len·${v.depth}·${v.hiddenSize} + mergers`,
  };
}
