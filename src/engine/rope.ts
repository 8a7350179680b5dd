// Multimodal rotary positions for the decoder: HF `get_rope_index` (three position streams t/h/w;
// vision tokens get grid coordinates, text continues from the largest position so far) and the
// interleaved M-RoPE cos/sin tables fed to the graph.
import type { ModelConfig } from '../model/config.ts';

export type { Grid } from '../contracts/request.ts';
import type { Grid } from '../contracts/request.ts';

/** Position ids [t, h, w] for one token sequence, exactly as Qwen3VLModel.get_rope_index. */
export function ropePositions(
  ids: ArrayLike<number>,
  imageGrids: Grid[],
  videoGrids: Grid[],
  cfg: ModelConfig,
): [Int32Array, Int32Array, Int32Array] {
  const S = ids.length;
  const pos: [Int32Array, Int32Array, Int32Array] = [new Int32Array(S), new Int32Array(S), new Int32Array(S)];
  const merge = cfg.vision.spatialMergeSize;
  // Videos are split into one grid per temporal group (t = 1): timestamps carry the time.
  const videos: Grid[] = videoGrids.flatMap(([t, h, w]) => Array.from({ length: t }, () => [1, h, w] as Grid));
  let img = 0;
  let vid = 0;
  let next = 0; // the position the next text token gets
  let i = 0;
  while (i < S) {
    const id = ids[i];
    const isImage = id === cfg.imageTokenId;
    const isVideo = id === cfg.videoTokenId;
    if (!isImage && !isVideo) {
      pos[0][i] = pos[1][i] = pos[2][i] = next++;
      i++;
      continue;
    }
    const grid = isImage ? imageGrids[img++] : videos[vid++];
    if (!grid) throw new Error(`rope: more ${isImage ? 'image' : 'video'} pads than grids`);
    const [gt, gh, gw] = [grid[0], grid[1] / merge, grid[2] / merge];
    const count = gt * gh * gw;
    let max = next;
    for (let n = 0; n < count; n++) {
      const tt = Math.floor(n / (gh * gw));
      const hh = Math.floor(n / gw) % gh;
      const ww = n % gw;
      if (ids[i + n] !== id) throw new Error('rope: a vision pad run is shorter than its grid');
      pos[0][i + n] = next + tt;
      pos[1][i + n] = next + hh;
      pos[2][i + n] = next + ww;
      max = Math.max(max, next + tt, next + hh, next + ww);
    }
    next = max + 1;
    i += count;
  }
  if (img !== imageGrids.length || vid !== videos.length) throw new Error('rope: grids left without pads');
  return pos;
}

/** inv_freq[j] = 1 / θ^(2j/D), in float32 as torch computes it. */
export function textInvFreq(cfg: ModelConfig): Float32Array {
  const D = cfg.text.headDim;
  return Float32Array.from({ length: D / 2 }, (_, j) =>
    Math.fround(1 / Math.fround(Math.pow(cfg.text.ropeTheta, Math.fround((2 * j) / D)))),
  );
}

/** Which position stream (0 t, 1 h, 2 w) drives rotary pair j under interleaved M-RoPE. */
export function mropeAxes(cfg: ModelConfig): Uint8Array {
  const [, sh, sw] = cfg.text.mropeSection;
  const half = cfg.text.headDim / 2;
  const axes = new Uint8Array(half);
  if (!cfg.text.mropeInterleaved) {
    // Chunked layout [TTT…HHH…WWW] (Qwen2-VL style), kept for completeness.
    const st = cfg.text.mropeSection[0];
    for (let j = 0; j < half; j++) axes[j] = j < st ? 0 : j < st + sh ? 1 : 2;
    return axes;
  }
  for (let j = 0; j < half; j++) axes[j] = j % 3 === 1 && j < 3 * sh ? 1 : j % 3 === 2 && j < 3 * sw ? 2 : 0;
  return axes;
}

/** cos/sin [S, D] for the given positions (rows from..to of the position streams). */
export function textRotary(cfg: ModelConfig, pos: [Int32Array, Int32Array, Int32Array], from = 0, to = pos[0].length) {
  const D = cfg.text.headDim;
  const half = D / 2;
  const inv = textInvFreq(cfg);
  const axes = mropeAxes(cfg);
  const n = to - from;
  const cos = new Float32Array(n * D);
  const sin = new Float32Array(n * D);
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < half; j++) {
      const f = Math.fround(pos[axes[j]][from + s] * inv[j]);
      const c = Math.cos(f);
      const si = Math.sin(f);
      cos[s * D + j] = cos[s * D + j + half] = c;
      sin[s * D + j] = sin[s * D + j + half] = si;
    }
  }
  return { cos, sin };
}
