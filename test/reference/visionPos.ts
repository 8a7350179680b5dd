// Where each vision patch sits: its (row, col) in merge order, and its learned position
// embedding bilinearly resampled from the square table (Qwen3VLVisionModel.fast_pos_embed_interpolate).

const f = Math.fround;

/**
 * Patch coordinates in the processor's merge order: for each frame, for each 2×2 block
 * (block row, block col), the block's patches in raster order. Same order for rot_pos_emb and
 * for the permuted position embeddings: (t, h/m, m, w/m, m) → (t, h/m, w/m, m, m).
 */
export function mergeOrderCoords(grid: [number, number, number], merge: number): { rows: Int32Array; cols: Int32Array } {
  const [t, h, w] = grid;
  if (h % merge || w % merge) throw new Error(`vision grid ${h}×${w} is not a multiple of the merge size ${merge}`);
  const N = t * h * w;
  const rows = new Int32Array(N);
  const cols = new Int32Array(N);
  let n = 0;
  for (let ti = 0; ti < t; ti++) {
    for (let bh = 0; bh < h / merge; bh++) {
      for (let bw = 0; bw < w / merge; bw++) {
        for (let ih = 0; ih < merge; ih++) {
          for (let iw = 0; iw < merge; iw++) {
            rows[n] = bh * merge + ih;
            cols[n] = bw * merge + iw;
            n++;
          }
        }
      }
    }
  }
  return { rows, cols };
}

/**
 * torch.linspace(start, end, steps) in float32, exactly as the ATen CPU kernel computes it:
 * step = (end − start) / (steps − 1) in float32; the first half counts up from start, the second
 * half counts down from end (so the last value is exactly end).
 */
export function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const s = f(start);
  const e = f(end);
  const step = f(f(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    // No fused multiply-add assumed: the product and the sum are each rounded to float32.
    out[i] = i < halfway ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  }
  return out;
}

/**
 * The four bilinear taps of each patch, in raster order over one frame's (h, w):
 * idx[k][p] into the side×side table and weight[k][p], k = (floor,floor), (floor,ceil),
 * (ceil,floor), (ceil,ceil). Indices come from linspace(0, side−1, n) truncated with .int(),
 * the ceiling clipped to side−1; weights are float32 products of (1−d) and d.
 */
export function bilinearTaps(h: number, w: number, side: number): { idx: Int32Array[]; weight: Float32Array[] } {
  const hs = linspaceF32(0, side - 1, h);
  const ws = linspaceF32(0, side - 1, w);
  const idx = [0, 1, 2, 3].map(() => new Int32Array(h * w));
  const weight = [0, 1, 2, 3].map(() => new Float32Array(h * w));
  for (let r = 0; r < h; r++) {
    const hf = Math.trunc(hs[r]);
    const hc = Math.min(hf + 1, side - 1);
    const dh = f(hs[r] - hf);
    for (let c = 0; c < w; c++) {
      const wf = Math.trunc(ws[c]);
      const wc = Math.min(wf + 1, side - 1);
      const dw = f(ws[c] - wf);
      const p = r * w + c;
      idx[0][p] = hf * side + wf;
      idx[1][p] = hf * side + wc;
      idx[2][p] = hc * side + wf;
      idx[3][p] = hc * side + wc;
      weight[0][p] = f(f(1 - dh) * f(1 - dw));
      weight[1][p] = f(f(1 - dh) * dw);
      weight[2][p] = f(dh * f(1 - dw));
      weight[3][p] = f(dh * dw);
    }
  }
  return { idx, weight };
}

/**
 * Interpolated position embeddings [t·h·w, hidden] in merge order: the raster-order result
 * Σ_k table[idx_k]·w_k (each product rounded to float32, summed k = 0..3 left to right in
 * float32, as HF does), then repeated over t frames and permuted into merge order.
 */
export function interpolatePosEmbed(
  table: Float32Array,
  side: number,
  hidden: number,
  grid: [number, number, number],
  merge: number,
): Float32Array {
  const [t, h, w] = grid;
  if (table.length !== side * side * hidden) throw new Error('pos_embed table size does not match side² × hidden');
  const { idx, weight } = bilinearTaps(h, w, side);
  const raster = new Float32Array(h * w * hidden);
  for (let p = 0; p < h * w; p++) {
    for (let d = 0; d < hidden; d++) {
      let acc = 0;
      for (let k = 0; k < 4; k++) acc = f(acc + f(table[idx[k][p] * hidden + d] * weight[k][p]));
      raster[p * hidden + d] = acc;
    }
  }
  const { rows, cols } = mergeOrderCoords(grid, merge);
  const out = new Float32Array(t * h * w * hidden);
  for (let n = 0; n < rows.length; n++) {
    const src = (rows[n] * w + cols[n]) * hidden;
    out.set(raster.subarray(src, src + hidden), n * hidden);
  }
  return out;
}
