// Per-grid inputs of the vision graph that depend only on the grid, not on pixels: the bilinear
// interpolation of the learned position table (HF fast_pos_embed_interpolate) and the 2-D rotary
// tables (HF rot_pos_emb), both in the processor's 2×2 merge order.
import type { ModelConfig } from '../model/config.ts';
import type { Grid } from './rope.ts';

/** torch.linspace in float32 (it fills the second half backwards from the end). */
function linspace32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  if (steps === 1) {
    out[0] = start;
    return out;
  }
  const step = Math.fround((end - start) / (steps - 1));
  const half = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) {
    out[i] = i < half ? Math.fround(start + Math.fround(step * i)) : Math.fround(end - Math.fround(step * (steps - 1 - i)));
  }
  return out;
}

/** Patch order inside the tower: frames, then 2×2 merge windows row-major, then the window's cells. */
function* mergeOrder(grid: Grid, merge: number): Generator<[number, number]> {
  const [t, h, w] = grid;
  for (let f = 0; f < t; f++)
    for (let bh = 0; bh < h / merge; bh++)
      for (let bw = 0; bw < w / merge; bw++)
        for (let ih = 0; ih < merge; ih++) for (let iw = 0; iw < merge; iw++) yield [bh * merge + ih, bw * merge + iw];
}

export interface VisionGridInputs {
  posIdx: BigInt64Array; // [4, N]
  posW: Float32Array; // [4, N]
  rotCos: Float32Array; // [N, hd]
  rotSin: Float32Array;
  frameShape: BigInt64Array; // (t, h·w)
  patches: number; // N
}

export function visionGridInputs(cfg: ModelConfig, grid: Grid): VisionGridInputs {
  const v = cfg.vision;
  const [t, h, w] = grid;
  const N = t * h * w;
  const side = Math.round(Math.sqrt(v.numPositionEmbeddings));
  const hs = linspace32(0, side - 1, h);
  const ws = linspace32(0, side - 1, w);
  const hd = v.hiddenSize / v.numHeads;
  const rotDim = hd / 2; // rotary over (row, col): each axis gets rotDim/2 frequencies
  const inv = Float32Array.from({ length: rotDim / 2 }, (_, j) => Math.fround(1 / Math.pow(10000, Math.fround((2 * j) / rotDim))));

  const posIdx = new BigInt64Array(4 * N);
  const posW = new Float32Array(4 * N);
  const rotCos = new Float32Array(N * hd);
  const rotSin = new Float32Array(N * hd);
  let n = 0;
  for (const [row, col] of mergeOrder(grid, v.spatialMergeSize)) {
    const h0 = Math.trunc(hs[row]);
    const w0 = Math.trunc(ws[col]);
    const h1 = Math.min(h0 + 1, side - 1);
    const w1 = Math.min(w0 + 1, side - 1);
    const dh = Math.fround(hs[row] - h0);
    const dw = Math.fround(ws[col] - w0);
    const corners: [number, number][] = [
      [h0 * side + w0, Math.fround((1 - dh) * (1 - dw))],
      [h0 * side + w1, Math.fround((1 - dh) * dw)],
      [h1 * side + w0, Math.fround(dh * (1 - dw))],
      [h1 * side + w1, Math.fround(dh * dw)],
    ];
    corners.forEach(([idx, weight], j) => {
      posIdx[j * N + n] = BigInt(idx);
      posW[j * N + n] = weight;
    });
    // emb = [row·inv, col·inv] repeated twice (cat(emb, emb) before cos/sin).
    for (let j = 0; j < rotDim; j++) {
      const f = Math.fround((j < rotDim / 2 ? row : col) * inv[j % (rotDim / 2)]);
      rotCos[n * hd + j] = rotCos[n * hd + j + rotDim] = Math.cos(f);
      rotSin[n * hd + j] = rotSin[n * hd + j + rotDim] = Math.sin(f);
    }
    n++;
  }
  return { posIdx, posW, rotCos, rotSin, frameShape: BigInt64Array.from([BigInt(t), BigInt(h * w)]), patches: N };
}
