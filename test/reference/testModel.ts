// Test-only helpers: a seeded PRNG and small random Qwen3-VL checkpoints, built from a
// config.json-shaped object through parseConfig so tests exercise the same config path as real use.

import { parseConfig, type ModelConfig } from '../../src/model/config.ts';
import { weightsFromMap, type Weights } from './weights.ts';

/** mulberry32: tiny deterministic PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(rand: () => number, n: number, scale = 1, center = 0): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = center + (rand() * 2 - 1) * scale;
  return a;
}

export const IDS = { image: 190, video: 191, visionStart: 192, visionEnd: 193, yes: 10, no: 11 };

export interface TinyOverrides {
  textLayers?: number;
  textHeads?: number;
  textKvHeads?: number;
  visionDepth?: number;
  deepstack?: number[];
  tie?: boolean;
  attentionBias?: boolean;
}

/** A small config: text hidden 64 / head_dim 32 (16 rotary pairs, sections [6,5,5]); vision hidden 32, patch 4. */
export function tinyConfig(o: TinyOverrides = {}): ModelConfig {
  return parseConfig({
    model_type: 'qwen3_vl',
    image_token_id: IDS.image,
    video_token_id: IDS.video,
    vision_start_token_id: IDS.visionStart,
    vision_end_token_id: IDS.visionEnd,
    tie_word_embeddings: o.tie ?? true,
    text_config: {
      hidden_size: 64,
      intermediate_size: 96,
      num_hidden_layers: o.textLayers ?? 3,
      num_attention_heads: o.textHeads ?? 4,
      num_key_value_heads: o.textKvHeads ?? 2,
      head_dim: 32,
      rms_norm_eps: 1e-6,
      rope_scaling: { rope_type: 'default', mrope_section: [6, 5, 5], mrope_interleaved: true },
      rope_theta: 5_000_000,
      vocab_size: 200,
      hidden_act: 'silu',
      attention_bias: o.attentionBias ?? false,
    },
    vision_config: {
      depth: o.visionDepth ?? 3,
      hidden_size: 32,
      intermediate_size: 48,
      num_heads: 2,
      patch_size: 4,
      temporal_patch_size: 2,
      spatial_merge_size: 2,
      in_channels: 3,
      out_hidden_size: 64,
      num_position_embeddings: 64,
      deepstack_visual_indexes: o.deepstack ?? [0, 1],
      hidden_act: 'gelu_pytorch_tanh',
    },
  });
}

/** Every tensor of the official layout for `cfg`, with random values (norm weights near 1). */
export function randomCheckpoint(cfg: ModelConfig, seed = 1): Map<string, Float32Array> {
  const rand = prng(seed);
  const m = new Map<string, Float32Array>();
  const lin = (name: string, out: number, inp: number, bias: boolean) => {
    m.set(`${name}.weight`, randomArray(rand, out * inp, 1 / Math.sqrt(inp)));
    if (bias) m.set(`${name}.bias`, randomArray(rand, out, 0.1));
  };
  const norm = (name: string, n: number, bias: boolean) => {
    m.set(`${name}.weight`, randomArray(rand, n, 0.2, 1));
    if (bias) m.set(`${name}.bias`, randomArray(rand, n, 0.1));
  };
  const t = cfg.text;
  const LM = 'model.language_model';
  m.set(`${LM}.embed_tokens.weight`, randomArray(rand, t.vocabSize * t.hiddenSize, 1));
  for (let i = 0; i < t.numLayers; i++) {
    const p = `${LM}.layers.${i}`;
    norm(`${p}.input_layernorm`, t.hiddenSize, false);
    norm(`${p}.post_attention_layernorm`, t.hiddenSize, false);
    lin(`${p}.self_attn.q_proj`, t.numHeads * t.headDim, t.hiddenSize, t.attentionBias);
    lin(`${p}.self_attn.k_proj`, t.numKvHeads * t.headDim, t.hiddenSize, t.attentionBias);
    lin(`${p}.self_attn.v_proj`, t.numKvHeads * t.headDim, t.hiddenSize, t.attentionBias);
    lin(`${p}.self_attn.o_proj`, t.hiddenSize, t.numHeads * t.headDim, t.attentionBias);
    norm(`${p}.self_attn.q_norm`, t.headDim, false);
    norm(`${p}.self_attn.k_norm`, t.headDim, false);
    lin(`${p}.mlp.gate_proj`, t.intermediateSize, t.hiddenSize, false);
    lin(`${p}.mlp.up_proj`, t.intermediateSize, t.hiddenSize, false);
    lin(`${p}.mlp.down_proj`, t.hiddenSize, t.intermediateSize, false);
  }
  norm(`${LM}.norm`, t.hiddenSize, false);
  if (!t.tieWordEmbeddings) lin('lm_head', t.vocabSize, t.hiddenSize, false);

  const v = cfg.vision;
  const V = 'model.visual';
  const K = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  lin(`${V}.patch_embed.proj`, v.hiddenSize, K, true);
  m.set(`${V}.pos_embed.weight`, randomArray(rand, v.numPositionEmbeddings * v.hiddenSize, 0.5));
  for (let i = 0; i < v.depth; i++) {
    const p = `${V}.blocks.${i}`;
    norm(`${p}.norm1`, v.hiddenSize, true);
    norm(`${p}.norm2`, v.hiddenSize, true);
    lin(`${p}.attn.qkv`, 3 * v.hiddenSize, v.hiddenSize, true);
    lin(`${p}.attn.proj`, v.hiddenSize, v.hiddenSize, true);
    lin(`${p}.mlp.linear_fc1`, v.intermediateSize, v.hiddenSize, true);
    lin(`${p}.mlp.linear_fc2`, v.hiddenSize, v.intermediateSize, true);
  }
  const G = v.hiddenSize * v.spatialMergeSize ** 2;
  const merger = (p: string, normWidth: number) => {
    norm(`${p}.norm`, normWidth, true);
    lin(`${p}.linear_fc1`, G, G, true);
    lin(`${p}.linear_fc2`, v.outHiddenSize, G, true);
  };
  merger(`${V}.merger`, v.hiddenSize);
  v.deepstackVisualIndexes.forEach((_, j) => merger(`${V}.deepstack_merger_list.${j}`, G));
  return m;
}

export function tinyModel(o: TinyOverrides = {}, seed = 1): { cfg: ModelConfig; map: Map<string, Float32Array>; w: Weights } {
  const cfg = tinyConfig(o);
  const map = randomCheckpoint(cfg, seed);
  return { cfg, map, w: weightsFromMap(map) };
}

/** Random processor-order patches for a grid: [t·h·w, C·T·P·P]. */
export function randomPatches(cfg: ModelConfig, grid: [number, number, number], seed: number): Float32Array {
  const v = cfg.vision;
  const K = v.inChannels * v.temporalPatchSize * v.patchSize * v.patchSize;
  return randomArray(prng(seed), grid[0] * grid[1] * grid[2] * K, 1);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
