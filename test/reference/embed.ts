// The embedding model's forward for one prompt (Qwen3VLForEmbedding in QwenLM/Qwen3-VL-Embedding): the
// same backbone as the reranker up to the final norm, then Qwen3VLEmbedder's last-token pooling and
// F.normalize (p = 2, eps 1e-12). No LM head.

import type { ModelConfig } from '../../src/model/config.ts';
import { assembleInputs, type VisualInput } from './score.ts';
import { referenceText } from './text.ts';
import type { Weights } from './weights.ts';

export interface EmbedReferenceInput {
  inputIds: number[];
  images: VisualInput[];
  videos: VisualInput[];
}

/** final_norm(h) at the last position, [H] (what `_pooling_last` picks for an unpadded prompt). */
export function referencePooled(w: Weights, cfg: ModelConfig, input: EmbedReferenceInput): Float32Array {
  const H = cfg.text.hiddenSize;
  const { embeds, visualMask, deepstack, positions } = assembleInputs(w, cfg, { ...input, yesId: 0, noId: 0 });
  const { lastHidden } = referenceText(w, cfg, embeds, positions, visualMask, deepstack);
  return lastHidden.slice(lastHidden.length - H);
}

/** The unit embedding: the pooled state over its L2 norm (at least 1e-12), in fp64 then stored fp32. */
export function referenceEmbedding(w: Weights, cfg: ModelConfig, input: EmbedReferenceInput): Float32Array {
  const pooled = referencePooled(w, cfg, input);
  const norm = Math.max(Math.sqrt(pooled.reduce((s, x) => s + x * x, 0)), 1e-12);
  return pooled.map((x) => x / norm);
}
