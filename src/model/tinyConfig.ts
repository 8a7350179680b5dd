// Sizes and JSON side files of the generated test checkpoint. The layout copies the official
// Qwen3-VL-Reranker-2B files (transformers 4.57 config.json, Qwen3-VL processor configs), so every
// loader path that works on the tiny model is the one the real model takes.

export interface TinySizes {
  textHidden: number;
  textIntermediate: number;
  textLayers: number;
  textHeads: number;
  textKvHeads: number;
  headDim: number;
  /** M-RoPE sections (temporal, height, width); they sum to headDim / 2. */
  mropeSection: [number, number, number];
  vocabSize: number;
  visionHidden: number;
  visionHeads: number;
  visionIntermediate: number;
  visionDepth: number;
  deepstackIndexes: number[];
  /** A square number (the learned position grid is sqrt × sqrt). */
  numPositionEmbeddings: number;
  /** lm_head shares the embedding table (true for the 2B model). */
  tie: boolean;
}

export const TINY_DEFAULTS: Readonly<TinySizes> = {
  textHidden: 64,
  textIntermediate: 192,
  textLayers: 3,
  textHeads: 4,
  textKvHeads: 2,
  headDim: 32, // q width 128 ≠ hidden 64 keeps the code honest about the two widths
  mropeSection: [6, 5, 5],
  vocabSize: 151936,
  visionHidden: 32,
  visionHeads: 2,
  visionIntermediate: 64,
  visionDepth: 4,
  deepstackIndexes: [0, 2, 3],
  numPositionEmbeddings: 256,
  tie: true,
};

/** Qwen3-VL-Reranker-2B. */
export const REAL_2B_SIZES: Readonly<TinySizes> = {
  textHidden: 2048,
  textIntermediate: 6144,
  textLayers: 28,
  textHeads: 16,
  textKvHeads: 8,
  headDim: 128,
  mropeSection: [24, 20, 20],
  vocabSize: 151936,
  visionHidden: 1024,
  visionHeads: 16,
  visionIntermediate: 4096,
  visionDepth: 24,
  deepstackIndexes: [5, 11, 17],
  numPositionEmbeddings: 2304,
  tie: true,
};

/** Token ids of the Qwen3-VL vocabulary that config.json names. */
const TOKEN_IDS = {
  bos: 151643,
  eos: 151645,
  visionStart: 151652,
  visionEnd: 151653,
  image: 151655,
  video: 151656,
};

/** M-RoPE sections for another head size, in the 2B proportions 24:20:20. */
export function defaultMropeSection(headDim: number): [number, number, number] {
  const half = headDim / 2;
  const hw = Math.floor((half * 5) / 16);
  return [half - 2 * hw, hw, hw];
}

/**
 * Fills in unspecified sizes: real 2B sizes when `realSize`, else the tiny defaults. Sizes that
 * depend on others (M-RoPE sections, DeepStack layers) follow overrides of what they depend on.
 */
export function resolveSizes(overrides: Partial<TinySizes> = {}, realSize = false): TinySizes {
  const base = realSize ? REAL_2B_SIZES : TINY_DEFAULTS;
  const s: TinySizes = { ...base, ...stripUndefined(overrides) };
  if (!overrides.mropeSection && s.headDim !== base.headDim) s.mropeSection = defaultMropeSection(s.headDim);
  if (!overrides.deepstackIndexes && s.visionDepth !== base.visionDepth) {
    s.deepstackIndexes = base.deepstackIndexes.filter((i) => i < s.visionDepth);
  }
  validateSizes(s);
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function validateSizes(s: TinySizes): void {
  const positive = Object.entries(s).filter(([, v]) => typeof v === 'number') as [string, number][];
  for (const [k, v] of positive) {
    if (!Number.isSafeInteger(v) || v < 1) throw new Error(`tiny checkpoint: ${k} must be a positive integer, got ${v}`);
  }
  if (s.textHeads % s.textKvHeads !== 0) throw new Error('tiny checkpoint: textHeads must be a multiple of textKvHeads');
  if (s.headDim % 2 !== 0) throw new Error('tiny checkpoint: headDim must be even');
  if (s.mropeSection.reduce((a, b) => a + b, 0) !== s.headDim / 2) {
    throw new Error(`tiny checkpoint: mropeSection ${JSON.stringify(s.mropeSection)} must sum to headDim/2 = ${s.headDim / 2}`);
  }
  if (s.visionHidden % s.visionHeads !== 0 || (s.visionHidden / s.visionHeads) % 4 !== 0) {
    throw new Error('tiny checkpoint: vision head size (visionHidden / visionHeads) must be a multiple of 4 (2-D rotary)');
  }
  if (s.deepstackIndexes.some((i) => !Number.isSafeInteger(i) || i < 0 || i >= s.visionDepth)) {
    throw new Error(`tiny checkpoint: deepstackIndexes ${JSON.stringify(s.deepstackIndexes)} must lie in 0..${s.visionDepth - 1}`);
  }
  if (Math.round(Math.sqrt(s.numPositionEmbeddings)) ** 2 !== s.numPositionEmbeddings) {
    throw new Error('tiny checkpoint: numPositionEmbeddings must be a square');
  }
  if (s.vocabSize <= TOKEN_IDS.video) throw new Error(`tiny checkpoint: vocabSize must exceed the vision token ids (${TOKEN_IDS.video})`);
}

/** config.json in the official Qwen3-VL layout (transformers 4.57: `rope_scaling`, `dtype`). */
export function tinyConfigJson(s: TinySizes): Record<string, unknown> {
  return {
    architectures: ['Qwen3VLForConditionalGeneration'],
    image_token_id: TOKEN_IDS.image,
    model_type: 'qwen3_vl',
    text_config: {
      attention_bias: false,
      attention_dropout: 0.0,
      bos_token_id: TOKEN_IDS.bos,
      dtype: 'bfloat16',
      eos_token_id: TOKEN_IDS.eos,
      head_dim: s.headDim,
      hidden_act: 'silu',
      hidden_size: s.textHidden,
      initializer_range: 0.02,
      intermediate_size: s.textIntermediate,
      max_position_embeddings: 262144,
      model_type: 'qwen3_vl_text',
      num_attention_heads: s.textHeads,
      num_hidden_layers: s.textLayers,
      num_key_value_heads: s.textKvHeads,
      rms_norm_eps: 1e-6,
      rope_scaling: { mrope_interleaved: true, mrope_section: s.mropeSection.slice(), rope_type: 'default' },
      rope_theta: 5000000,
      tie_word_embeddings: s.tie,
      use_cache: true,
      vocab_size: s.vocabSize,
    },
    tie_word_embeddings: s.tie,
    transformers_version: '4.57.0.dev0',
    video_token_id: TOKEN_IDS.video,
    vision_config: {
      deepstack_visual_indexes: s.deepstackIndexes.slice(),
      depth: s.visionDepth,
      hidden_act: 'gelu_pytorch_tanh',
      hidden_size: s.visionHidden,
      in_channels: 3,
      initializer_range: 0.02,
      intermediate_size: s.visionIntermediate,
      model_type: 'qwen3_vl',
      num_heads: s.visionHeads,
      num_position_embeddings: s.numPositionEmbeddings,
      out_hidden_size: s.textHidden,
      patch_size: 16,
      spatial_merge_size: 2,
      temporal_patch_size: 2,
    },
    vision_end_token_id: TOKEN_IDS.visionEnd,
    vision_start_token_id: TOKEN_IDS.visionStart,
    // Not in the official file: tells `sift convert` (and its manifest) the weights are random.
    sift_random_weights: true,
  };
}

/** preprocessor_config.json of Qwen3-VL (images: 256²–4096² pixels). */
export function preprocessorConfigJson(): Record<string, unknown> {
  return {
    size: { longest_edge: 16777216, shortest_edge: 65536 },
    patch_size: 16,
    temporal_patch_size: 2,
    merge_size: 2,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    processor_class: 'Qwen3VLProcessor',
    image_processor_type: 'Qwen2VLImageProcessorFast',
  };
}

/** video_preprocessor_config.json of Qwen3-VL. */
export function videoPreprocessorConfigJson(): Record<string, unknown> {
  return {
    size: { longest_edge: 25165824, shortest_edge: 4096 },
    patch_size: 16,
    temporal_patch_size: 2,
    merge_size: 2,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    processor_class: 'Qwen3VLProcessor',
    video_processor_type: 'Qwen3VLVideoProcessor',
  };
}

interface AddedToken {
  id: number;
  content: string;
  single_word?: boolean;
  lstrip?: boolean;
  rstrip?: boolean;
  normalized?: boolean;
  special?: boolean;
}

/** tokenizer_config.json in the Qwen3-VL style, built from tokenizer.json's added tokens. */
export function tokenizerConfigJson(addedTokens: readonly AddedToken[], chatTemplate?: string): Record<string, unknown> {
  const decoder: Record<string, unknown> = {};
  for (const t of addedTokens) {
    decoder[String(t.id)] = {
      content: t.content,
      lstrip: t.lstrip ?? false,
      normalized: t.normalized ?? false,
      rstrip: t.rstrip ?? false,
      single_word: t.single_word ?? false,
      special: t.special ?? false,
    };
  }
  // The special tokens from <|im_start|> to <|video_pad|>, as Qwen lists them.
  const additional = addedTokens.filter((t) => t.special && t.content !== '<|endoftext|>').map((t) => t.content);
  const config: Record<string, unknown> = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: decoder,
    additional_special_tokens: additional,
    bos_token: null,
    clean_up_tokenization_spaces: false,
    eos_token: '<|im_end|>',
    errors: 'replace',
    model_max_length: 262144,
    pad_token: '<|endoftext|>',
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
  if (chatTemplate !== undefined) config.chat_template = chatTemplate;
  return config;
}
