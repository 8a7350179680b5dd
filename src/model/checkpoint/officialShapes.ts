// The tensors an official Qwen3-VL checkpoint must contain for a given config, with their shapes
// (from the Hugging Face modeling code). Used to validate a checkpoint before converting it, and to
// lay out the generated test checkpoint.

import type { ModelConfig } from '../config.ts';
import { textNames, visionNames } from '../names.ts';
import type { TensorInfo } from './safetensors.ts';

/** Every tensor name → shape that `config` implies. lm_head only when embeddings are untied. */
export function officialTensorShapes(config: ModelConfig): Map<string, number[]> {
  const t = config.text;
  const v = config.vision;
  const shapes = new Map<string, number[]>();
  const add = (name: string, shape: number[]) => shapes.set(name, shape);

  add(textNames.embed, [t.vocabSize, t.hiddenSize]);
  add(textNames.finalNorm, [t.hiddenSize]);
  if (!t.tieWordEmbeddings) add(textNames.lmHead, [t.vocabSize, t.hiddenSize]);
  const qWidth = t.numHeads * t.headDim;
  const kvWidth = t.numKvHeads * t.headDim;
  for (let i = 0; i < t.numLayers; i++) {
    const n = textNames.layer(i);
    add(n.inputNorm, [t.hiddenSize]);
    add(n.postNorm, [t.hiddenSize]);
    add(n.q, [qWidth, t.hiddenSize]);
    add(n.k, [kvWidth, t.hiddenSize]);
    add(n.v, [kvWidth, t.hiddenSize]);
    add(n.o, [t.hiddenSize, qWidth]);
    add(n.qNorm, [t.headDim]);
    add(n.kNorm, [t.headDim]);
    add(n.gate, [t.intermediateSize, t.hiddenSize]);
    add(n.up, [t.intermediateSize, t.hiddenSize]);
    add(n.down, [t.hiddenSize, t.intermediateSize]);
  }

  const h = v.hiddenSize;
  // Conv3d weight [out, in, T, P, P], with bias.
  add(visionNames.patchEmbedWeight, [h, v.inChannels, v.temporalPatchSize, v.patchSize, v.patchSize]);
  add(visionNames.patchEmbedBias, [h]);
  add(visionNames.posEmbed, [v.numPositionEmbeddings, h]);
  for (let i = 0; i < v.depth; i++) {
    const n = visionNames.block(i);
    add(n.norm1Weight, [h]);
    add(n.norm1Bias, [h]);
    add(n.norm2Weight, [h]);
    add(n.norm2Bias, [h]);
    add(n.qkvWeight, [3 * h, h]);
    add(n.qkvBias, [3 * h]);
    add(n.projWeight, [h, h]);
    add(n.projBias, [h]);
    add(n.fc1Weight, [v.intermediateSize, h]);
    add(n.fc1Bias, [v.intermediateSize]);
    add(n.fc2Weight, [h, v.intermediateSize]);
    add(n.fc2Bias, [h]);
  }
  // Mergers see 2×2 merged patches; the final one normalises before the shuffle (width h), the
  // DeepStack ones after it (use_postshuffle_norm, width 4h).
  const merged = h * v.spatialMergeSize ** 2;
  const merger = (i: number | null) => {
    const n = visionNames.merger(i);
    const normWidth = i === null ? h : merged;
    add(n.normWeight, [normWidth]);
    add(n.normBias, [normWidth]);
    add(n.fc1Weight, [merged, merged]);
    add(n.fc1Bias, [merged]);
    add(n.fc2Weight, [v.outHiddenSize, merged]);
    add(n.fc2Bias, [v.outHiddenSize]);
  };
  merger(null);
  v.deepstackVisualIndexes.forEach((_, i) => merger(i));
  return shapes;
}

/**
 * What is wrong with a checkpoint's tensor list for `config`: missing tensors and wrong shapes.
 * Extra tensors are not problems (e.g. an lm_head saved despite tied embeddings).
 */
export function findShapeProblems(tensors: ReadonlyMap<string, Pick<TensorInfo, 'shape'>>, config: ModelConfig): string[] {
  const problems: string[] = [];
  for (const [name, shape] of officialTensorShapes(config)) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing tensor "${name}" (expected shape [${shape}])`);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor "${name}" has shape [${t.shape}], expected [${shape}]`);
    }
  }
  return problems;
}
