// The model's dimensions, read from the checkpoint's config.json. Nothing about 2B vs 8B is
// hard-coded anywhere else: every module takes a ModelConfig.

export interface TextConfig {
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  rmsNormEps: number;
  ropeTheta: number;
  /** M-RoPE frequency sections (temporal, height, width), in rotary pairs; they sum to headDim / 2. */
  mropeSection: [number, number, number];
  mropeInterleaved: boolean;
  vocabSize: number;
  tieWordEmbeddings: boolean;
  hiddenAct: string;
  attentionBias: boolean;
}

export interface VisionConfig {
  depth: number;
  hiddenSize: number;
  intermediateSize: number;
  numHeads: number;
  patchSize: number;
  temporalPatchSize: number;
  spatialMergeSize: number;
  inChannels: number;
  outHiddenSize: number;
  numPositionEmbeddings: number;
  deepstackVisualIndexes: number[];
  hiddenAct: string;
}

export interface ModelConfig {
  modelType: string;
  text: TextConfig;
  vision: VisionConfig;
  imageTokenId: number;
  videoTokenId: number;
  visionStartTokenId: number;
  visionEndTokenId: number;
}

type Json = Record<string, unknown>;

function num(obj: Json, key: string, fallback?: number): number {
  const v = obj[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (fallback !== undefined) return fallback;
  throw new Error(`config.json: "${key}" is missing or not a number`);
}

/** Parses a Qwen3-VL config.json (transformers 4.57 `rope_scaling` or 5.x `rope_parameters` layout). */
export function parseConfig(json: unknown): ModelConfig {
  if (!json || typeof json !== 'object') throw new Error('config.json: not a JSON object');
  const root = json as Json;
  const modelType = String(root.model_type ?? '');
  if (modelType !== 'qwen3_vl') {
    throw new Error(`config.json: model_type is "${modelType}", expected "qwen3_vl" (Qwen3-VL-Reranker)`);
  }
  const t = (root.text_config ?? {}) as Json;
  const v = (root.vision_config ?? {}) as Json;
  const rope = ((t.rope_parameters ?? t.rope_scaling ?? {}) as Json) || {};
  const hiddenSize = num(t, 'hidden_size');
  const numHeads = num(t, 'num_attention_heads');
  const headDim = num(t, 'head_dim', hiddenSize / numHeads);
  const section = (rope.mrope_section as number[] | undefined) ?? [24, 20, 20];
  if (section.length !== 3 || section.reduce((a, b) => a + b, 0) !== headDim / 2) {
    throw new Error(`config.json: mrope_section ${JSON.stringify(section)} must have 3 parts summing to head_dim/2 = ${headDim / 2}`);
  }
  const tie = (t.tie_word_embeddings ?? root.tie_word_embeddings ?? false) as boolean;
  const text: TextConfig = {
    hiddenSize,
    intermediateSize: num(t, 'intermediate_size'),
    numLayers: num(t, 'num_hidden_layers'),
    numHeads,
    numKvHeads: num(t, 'num_key_value_heads', numHeads),
    headDim,
    rmsNormEps: num(t, 'rms_norm_eps', 1e-6),
    ropeTheta: num(rope, 'rope_theta', num(t, 'rope_theta', 5_000_000)),
    mropeSection: [section[0], section[1], section[2]],
    mropeInterleaved: (rope.mrope_interleaved as boolean | undefined) ?? true,
    vocabSize: num(t, 'vocab_size'),
    tieWordEmbeddings: Boolean(tie),
    hiddenAct: String(t.hidden_act ?? 'silu'),
    attentionBias: Boolean(t.attention_bias ?? false),
  };
  const vision: VisionConfig = {
    depth: num(v, 'depth'),
    hiddenSize: num(v, 'hidden_size'),
    intermediateSize: num(v, 'intermediate_size'),
    numHeads: num(v, 'num_heads'),
    patchSize: num(v, 'patch_size', 16),
    temporalPatchSize: num(v, 'temporal_patch_size', 2),
    spatialMergeSize: num(v, 'spatial_merge_size', 2),
    inChannels: num(v, 'in_channels', 3),
    outHiddenSize: num(v, 'out_hidden_size', hiddenSize),
    numPositionEmbeddings: num(v, 'num_position_embeddings'),
    deepstackVisualIndexes: ((v.deepstack_visual_indexes as number[] | undefined) ?? []).slice(),
    hiddenAct: String(v.hidden_act ?? 'gelu_pytorch_tanh'),
  };
  if (text.hiddenAct !== 'silu') throw new Error(`config.json: text hidden_act "${text.hiddenAct}" is not supported (silu)`);
  if (vision.hiddenAct !== 'gelu_pytorch_tanh') {
    throw new Error(`config.json: vision hidden_act "${vision.hiddenAct}" is not supported (gelu_pytorch_tanh)`);
  }
  if (Math.round(Math.sqrt(vision.numPositionEmbeddings)) ** 2 !== vision.numPositionEmbeddings) {
    throw new Error('config.json: vision num_position_embeddings must be a square');
  }
  return {
    modelType,
    text,
    vision,
    imageTokenId: num(root, 'image_token_id', 151655),
    videoTokenId: num(root, 'video_token_id', 151656),
    visionStartTokenId: num(root, 'vision_start_token_id', 151652),
    visionEndTokenId: num(root, 'vision_end_token_id', 151653),
  };
}
