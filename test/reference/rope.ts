// Rotary tables, computed the way the HF code does in float32 (every float32 op is followed by
// Math.fround), because the graphs receive cos/sin from JS and must match to the last bits.

const f = Math.fround;

/**
 * Default RoPE inverse frequencies: 1 / base^(arange(0, dim, 2) / dim), all in float32 —
 * torch.arange(int64).float() / dim, then base ** that (float32 pow), then 1.0 / (float32).
 */
export function ropeInvFreq(base: number, dim: number): Float32Array {
  const n = dim / 2;
  const inv = new Float32Array(n);
  const b = f(base);
  for (let i = 0; i < n; i++) {
    const exponent = f((2 * i) / dim);
    inv[i] = f(1 / f(Math.pow(b, exponent)));
  }
  return inv;
}

/**
 * Which position axis (0 = t, 1 = h, 2 = w) drives each rotary pair under
 * Qwen3VLTextRotaryEmbedding.apply_interleaved_mrope: start from all-t, then for axis h (offset 1)
 * and w (offset 2) overwrite pairs offset, offset+3, … below section[axis]·3.
 */
export function interleavedMropeAxes(section: [number, number, number], pairs: number): Uint8Array {
  const axes = new Uint8Array(pairs); // all t
  for (const axis of [1, 2]) {
    const limit = section[axis] * 3;
    for (let j = axis; j < limit && j < pairs; j += 3) axes[j] = axis;
  }
  return axes;
}

/**
 * Text cos/sin, [S, headDim] each: freqs[s, j] = invFreq[j]·pos[axis(j)][s] in float32, chosen per
 * pair by the interleaved M-RoPE layout, then emb = cat(freqs, freqs), cos/sin in float32.
 * (attention_scaling is 1.0 for the default rope type.)
 */
export function textRotary(
  positions: [Int32Array, Int32Array, Int32Array],
  headDim: number,
  theta: number,
  section: [number, number, number],
): { cos: Float32Array; sin: Float32Array } {
  const half = headDim / 2;
  if (section[0] + section[1] + section[2] !== half) {
    throw new Error(`mrope_section ${section.join(',')} does not sum to head_dim/2 = ${half}`);
  }
  const inv = ropeInvFreq(theta, headDim);
  const axes = interleavedMropeAxes(section, half);
  const S = positions[0].length;
  const cos = new Float32Array(S * headDim);
  const sin = new Float32Array(S * headDim);
  for (let s = 0; s < S; s++) {
    for (let j = 0; j < half; j++) {
      const angle = f(inv[j] * f(positions[axes[j]][s]));
      const c = Math.cos(angle);
      const sn = Math.sin(angle);
      cos[s * headDim + j] = c;
      cos[s * headDim + j + half] = c;
      sin[s * headDim + j] = sn;
      sin[s * headDim + j + half] = sn;
    }
  }
  return { cos, sin };
}

/**
 * Vision 2-D rotary, [N, headDim] each, following Qwen3VLVisionModel.rot_pos_emb:
 * Qwen3VLVisionRotaryEmbedding(head_dim/2) has head_dim/4 frequencies (theta 10000); a patch at
 * (row, col) gets [row·inv…, col·inv…] (head_dim/2 angles), then emb = cat(angles, angles).
 * rows/cols are the patch coordinates in the order the patches come in (merge order).
 */
export function visionRotary(rows: Int32Array, cols: Int32Array, headDim: number): { cos: Float32Array; sin: Float32Array } {
  const inv = ropeInvFreq(10000, headDim / 2); // headDim/4 frequencies
  const q = inv.length;
  const half = headDim / 2;
  const N = rows.length;
  const cos = new Float32Array(N * headDim);
  const sin = new Float32Array(N * headDim);
  for (let n = 0; n < N; n++) {
    for (let j = 0; j < half; j++) {
      // freq_table = outer(arange(max_hw), inv) in float32, looked up at row (first half) / col.
      const p = j < q ? rows[n] : cols[n];
      const angle = f(f(p) * inv[j % q]);
      const c = Math.cos(angle);
      const sn = Math.sin(angle);
      cos[n * headDim + j] = c;
      cos[n * headDim + j + half] = c;
      sin[n * headDim + j] = sn;
      sin[n * headDim + j + half] = sn;
    }
  }
  return { cos, sin };
}
