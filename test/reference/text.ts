// Qwen3VLTextModel for one unpadded sequence: pre-norm decoder layers with per-head q/k RMSNorm,
// interleaved M-RoPE, causal GQA attention, SwiGLU MLP, DeepStack additions after the first
// layers, final RMSNorm. Also the embedding lookup.

import type { ModelConfig } from '../../src/model/config.ts';
import { silu } from './erf.ts';
import { add, applyRotaryInPlace, attendHead, linear, rmsNorm } from './ops.ts';
import { textRotary } from './rope.ts';
import { maybeTake, take, type Weights } from './weights.ts';

const LM = 'model.language_model';

export interface TextResult {
  /** Hidden state after each decoder layer (after the DeepStack add for the first layers), [S, H]. */
  layerOutputs: Float32Array[];
  /** After the final RMSNorm, [S, H]. */
  lastHidden: Float32Array;
}

/** Rows of embed_tokens for the ids, [S, H]. */
export function referenceEmbed(w: Weights, cfg: ModelConfig, inputIds: number[]): Float32Array {
  const H = cfg.text.hiddenSize;
  const table = take(w, `${LM}.embed_tokens.weight`, cfg.text.vocabSize * H);
  const out = new Float32Array(inputIds.length * H);
  inputIds.forEach((id, s) => {
    if (!Number.isInteger(id) || id < 0 || id >= cfg.text.vocabSize) throw new Error(`embed: token id ${id} out of range`);
    out.set(table.subarray(id * H, (id + 1) * H), s * H);
  });
  return out;
}

/** Qwen3VLTextDecoderLayer: x + o(attn(x̂)), x̂ = input_layernorm(x); then + mlp(post_attention_layernorm(·)). */
export function decoderLayer(w: Weights, cfg: ModelConfig, i: number, x: Float32Array, cos: Float32Array, sin: Float32Array): Float32Array {
  const t = cfg.text;
  const H = t.hiddenSize;
  const D = t.headDim;
  const nQ = t.numHeads;
  const nKV = t.numKvHeads;
  const S = x.length / H;
  const p = `${LM}.layers.${i}`;
  const bias = (name: string, n: number) => (t.attentionBias ? take(w, `${p}.self_attn.${name}.bias`, n) : undefined);

  const h = rmsNorm(x, S, H, take(w, `${p}.input_layernorm.weight`, H), t.rmsNormEps);
  const q0 = linear(h, S, H, take(w, `${p}.self_attn.q_proj.weight`, nQ * D * H), nQ * D, bias('q_proj', nQ * D));
  const k0 = linear(h, S, H, take(w, `${p}.self_attn.k_proj.weight`, nKV * D * H), nKV * D, bias('k_proj', nKV * D));
  const v = linear(h, S, H, take(w, `${p}.self_attn.v_proj.weight`, nKV * D * H), nKV * D, bias('v_proj', nKV * D));
  // q_norm / k_norm: RMSNorm over head_dim of each head, before the rotary.
  const q = rmsNorm(q0, S * nQ, D, take(w, `${p}.self_attn.q_norm.weight`, D), t.rmsNormEps);
  const k = rmsNorm(k0, S * nKV, D, take(w, `${p}.self_attn.k_norm.weight`, D), t.rmsNormEps);
  for (let s = 0; s < S; s++) {
    for (let hh = 0; hh < nQ; hh++) applyRotaryInPlace(q, (s * nQ + hh) * D, D, cos, sin, s * D);
    for (let hh = 0; hh < nKV; hh++) applyRotaryInPlace(k, (s * nKV + hh) * D, D, cos, sin, s * D);
  }
  // Causal attention; repeat_kv means query head hh reads key/value head floor(hh / (nQ / nKV)).
  const groups = nQ / nKV;
  const attn = new Float32Array(S * nQ * D);
  const scale = 1 / Math.sqrt(D); // head_dim ** -0.5
  for (let hh = 0; hh < nQ; hh++) {
    const kvh = Math.floor(hh / groups);
    attendHead(
      { data: q, stride: nQ * D, col: hh * D },
      { data: k, stride: nKV * D, col: kvh * D },
      { data: v, stride: nKV * D, col: kvh * D },
      { data: attn, stride: nQ * D, col: hh * D },
      D,
      0,
      S,
      true,
      scale,
    );
  }
  const o = linear(attn, S, nQ * D, take(w, `${p}.self_attn.o_proj.weight`, H * nQ * D), H, bias('o_proj', H));
  const x1 = add(x, o);

  const h2 = rmsNorm(x1, S, H, take(w, `${p}.post_attention_layernorm.weight`, H), t.rmsNormEps);
  const I = t.intermediateSize;
  const gate = linear(h2, S, H, take(w, `${p}.mlp.gate_proj.weight`, I * H), I);
  const up = linear(h2, S, H, take(w, `${p}.mlp.up_proj.weight`, I * H), I);
  const act = new Float32Array(S * I);
  for (let j = 0; j < act.length; j++) act[j] = Math.fround(silu(gate[j])) * up[j];
  const down = linear(act, S, I, take(w, `${p}.mlp.down_proj.weight`, H * I), H);
  return add(x1, down);
}

/**
 * The decoder stack. `deepstack[i]` ([numVisual, H], rows in sequence order of the visual
 * positions) is added at the positions where visualMask is true, right after layer i, for
 * i < deepstack.length — Qwen3VLTextModel._deepstack_process.
 */
export function referenceText(
  w: Weights,
  cfg: ModelConfig,
  inputsEmbeds: Float32Array,
  positions: [Int32Array, Int32Array, Int32Array],
  visualMask: boolean[] | null,
  deepstack: Float32Array[],
): TextResult {
  const t = cfg.text;
  const H = t.hiddenSize;
  const S = inputsEmbeds.length / H;
  if (!Number.isInteger(S)) throw new Error('text: inputsEmbeds is not a whole number of rows');
  if (positions.some((p) => p.length !== S)) throw new Error('text: positions do not match the sequence length');
  if (!t.mropeInterleaved) throw new Error('text: Qwen3-VL only defines interleaved M-RoPE');
  if (deepstack.length > t.numLayers) throw new Error('text: more DeepStack features than decoder layers');

  const visualRows: number[] = [];
  if (deepstack.length > 0) {
    if (!visualMask || visualMask.length !== S) throw new Error('text: DeepStack features need a visual mask of length S');
    visualMask.forEach((m, s) => m && visualRows.push(s));
    for (const d of deepstack) {
      if (d.length !== visualRows.length * H) {
        throw new Error(`text: a DeepStack feature has ${d.length / H} rows for ${visualRows.length} visual positions`);
      }
    }
  }

  const { cos, sin } = textRotary(positions, t.headDim, t.ropeTheta, t.mropeSection);
  const layerOutputs: Float32Array[] = [];
  let x = inputsEmbeds;
  for (let i = 0; i < t.numLayers; i++) {
    x = decoderLayer(w, cfg, i, x, cos, sin);
    if (i < deepstack.length) {
      const d = deepstack[i];
      visualRows.forEach((s, r) => {
        for (let c = 0; c < H; c++) x[s * H + c] += d[r * H + c];
      });
    }
    layerOutputs.push(x);
  }
  const lastHidden = rmsNorm(x, S, H, take(w, `${LM}.norm.weight`, H), t.rmsNormEps);
  return { layerOutputs, lastHidden };
}

/**
 * The matrix whose rows give the logits: lm_head.weight, or the embedding table when
 * tie_word_embeddings is set (HF ties lm_head to embed_tokens then, whatever the file holds).
 */
export function outputEmbeddings(w: Weights, cfg: ModelConfig): Float32Array {
  const n = cfg.text.vocabSize * cfg.text.hiddenSize;
  if (cfg.text.tieWordEmbeddings) return take(w, `${LM}.embed_tokens.weight`, n);
  const head = maybeTake(w, 'lm_head.weight', n);
  if (!head) throw new Error('reference: lm_head.weight is missing and tie_word_embeddings is false');
  return head;
}
