// The Qwen2-VL / Qwen3-VL processors' patch layout, shared by images and videos:
// frames → rescale 1/255 and normalise with mean = std = 0.5 → rows of C·T·P·P values.
// Row order is (t, h/merge, w/merge, merge_h, merge_w) so each 2×2 merge window is 4 consecutive
// rows; inside a row the order is (channel, temporal, y, x). This is the processors'
// view(t, T, C, h/m, m, P, w/m, m, P).permute(t, h/m, w/m, m, m, C, T, P, P).
import type { RgbImage } from './pixels.ts';

export interface PatchLayout {
  patchSize?: number;
  temporalPatchSize?: number;
  mergeSize?: number;
}

export interface Patches {
  /** Float32Array [t·h·w, 3·T·P·P]. */
  patches: Float32Array;
  /** [t, h, w] in patches (h = height / patchSize). */
  grid: [number, number, number];
}

/**
 * The fast processors fuse rescale and normalise: mean and std are multiplied by 255 (giving 127.5 in
 * float32), and the uint8 value x becomes (x − 127.5) / 127.5 in float32 — exact subtraction, one
 * correctly rounded division, which Math.fround of the double quotient reproduces.
 */
const NORMALIZED = (() => {
  const t = new Float32Array(256);
  for (let x = 0; x < 256; x++) t[x] = Math.fround((x - 127.5) / 127.5);
  return t;
})();

/** The float32 value the processor feeds the model for an 8-bit sample. */
export function normalizedSample(x: number): number {
  return NORMALIZED[x];
}

/**
 * Patches for a still image (repeated to fill the temporal patch) or for video frames (consecutive
 * frames grouped by temporalPatchSize; a short last group repeats the last frame, as the processors do).
 * All frames must be RGB of the same size, with sides multiples of patchSize · mergeSize.
 */
export function patchify(frames: RgbImage[], layout: PatchLayout = {}): Patches {
  const P = layout.patchSize ?? 16;
  const T = layout.temporalPatchSize ?? 2;
  const M = layout.mergeSize ?? 2;
  if (frames.length === 0) throw new RangeError('no frames to patchify');
  const { width: W, height: H } = frames[0];
  if (W % (P * M) !== 0 || H % (P * M) !== 0) {
    throw new RangeError(`frame size ${W}×${H} is not a multiple of ${P * M}`);
  }
  for (const fr of frames) {
    if (fr.width !== W || fr.height !== H || fr.data.length !== W * H * 3) {
      throw new RangeError('all frames must be RGB of the same size');
    }
  }
  const padded = frames.slice();
  while (padded.length % T !== 0) padded.push(frames[frames.length - 1]);
  const gt = padded.length / T;
  const gh = H / P;
  const gw = W / P;
  const rowLen = 3 * T * P * P;
  const out = new Float32Array(gt * gh * gw * rowLen);
  let o = 0;
  for (let t = 0; t < gt; t++) {
    for (let bh = 0; bh < gh / M; bh++) {
      for (let bw = 0; bw < gw / M; bw++) {
        for (let mh = 0; mh < M; mh++) {
          for (let mw = 0; mw < M; mw++) {
            const y0 = (bh * M + mh) * P;
            const x0 = (bw * M + mw) * P;
            for (let c = 0; c < 3; c++) {
              for (let tp = 0; tp < T; tp++) {
                const data = padded[t * T + tp].data;
                for (let py = 0; py < P; py++) {
                  let s = ((y0 + py) * W + x0) * 3 + c;
                  for (let px = 0; px < P; px++, s += 3) out[o++] = NORMALIZED[data[s]];
                }
              }
            }
          }
        }
      }
    }
  }
  return { patches: out, grid: [gt, gh, gw] };
}
