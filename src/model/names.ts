// Tensor names of the official Qwen3-VL checkpoint (transformers 4.57 layout). They are the
// contract between `sift convert` and the safetensors files published for Qwen3-VL-Reranker.

const LM = 'model.language_model';
const VIS = 'model.visual';

export const textNames = {
  embed: `${LM}.embed_tokens.weight`,
  finalNorm: `${LM}.norm.weight`,
  lmHead: 'lm_head.weight',
  layer(i: number) {
    const p = `${LM}.layers.${i}`;
    return {
      inputNorm: `${p}.input_layernorm.weight`,
      postNorm: `${p}.post_attention_layernorm.weight`,
      q: `${p}.self_attn.q_proj.weight`,
      k: `${p}.self_attn.k_proj.weight`,
      v: `${p}.self_attn.v_proj.weight`,
      o: `${p}.self_attn.o_proj.weight`,
      qNorm: `${p}.self_attn.q_norm.weight`,
      kNorm: `${p}.self_attn.k_norm.weight`,
      gate: `${p}.mlp.gate_proj.weight`,
      up: `${p}.mlp.up_proj.weight`,
      down: `${p}.mlp.down_proj.weight`,
    };
  },
};

export const visionNames = {
  patchEmbedWeight: `${VIS}.patch_embed.proj.weight`,
  patchEmbedBias: `${VIS}.patch_embed.proj.bias`,
  posEmbed: `${VIS}.pos_embed.weight`,
  block(i: number) {
    const p = `${VIS}.blocks.${i}`;
    return {
      norm1Weight: `${p}.norm1.weight`,
      norm1Bias: `${p}.norm1.bias`,
      norm2Weight: `${p}.norm2.weight`,
      norm2Bias: `${p}.norm2.bias`,
      qkvWeight: `${p}.attn.qkv.weight`,
      qkvBias: `${p}.attn.qkv.bias`,
      projWeight: `${p}.attn.proj.weight`,
      projBias: `${p}.attn.proj.bias`,
      fc1Weight: `${p}.mlp.linear_fc1.weight`,
      fc1Bias: `${p}.mlp.linear_fc1.bias`,
      fc2Weight: `${p}.mlp.linear_fc2.weight`,
      fc2Bias: `${p}.mlp.linear_fc2.bias`,
    };
  },
  /** The final merger (index null) or DeepStack merger number i. */
  merger(i: number | null) {
    const p = i === null ? `${VIS}.merger` : `${VIS}.deepstack_merger_list.${i}`;
    return {
      normWeight: `${p}.norm.weight`,
      normBias: `${p}.norm.bias`,
      fc1Weight: `${p}.linear_fc1.weight`,
      fc1Bias: `${p}.linear_fc1.bias`,
      fc2Weight: `${p}.linear_fc2.weight`,
      fc2Bias: `${p}.linear_fc2.bias`,
    };
  },
};
