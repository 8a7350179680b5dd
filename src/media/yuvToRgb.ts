// 8-bit YUV planes (as ffmpeg's AV1 decoder hands them over) → RGB the way Chromium's AVIF decoder
// (libavif) converts them: the nclx box's matrix (BT.601 when unspecified) and range, chroma
// upsampled bilinearly with 9-3-3-1 weights (chroma centred between luma samples). swscale's own
// conversion was up to 137 levels (mean 4.4) off Chromium on sharp colour edges; this, within 4.
import type { AvifColour } from './imageHeader.ts';

/** Kr, Kb of ISO/IEC 23091-4 MatrixCoefficients; BT.601 for unspecified / unknown, as libavif. */
function lumaWeights(matrix: number | undefined): [number, number] {
  if (matrix === 1) return [0.2126, 0.0722]; // BT.709
  if (matrix === 9 || matrix === 10) return [0.2627, 0.0593]; // BT.2020
  if (matrix === 4) return [0.3, 0.11]; // FCC
  if (matrix === 7) return [0.212, 0.087]; // SMPTE 240M
  return [0.299, 0.114]; // BT.601 (5, 6), unspecified (2)
}

const clamp8 = (v: number) => (v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v));

/** Planar Y, U, V (ffmpeg's yuv420p / yuv422p / yuv444p / gray layout, no padding) → interleaved RGB. */
export function yuvToRgb(planes: Uint8Array, width: number, height: number, c: AvifColour): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  const full = c.fullRange === true;
  const ys = full ? 1 : 255 / 219;
  const cs = full ? 1 : 255 / 224;
  const y0 = full ? 0 : 16;
  if (c.monochrome) {
    for (let i = 0; i < width * height; i++) out.fill(clamp8((planes[i] - y0) * ys), i * 3, i * 3 + 3);
    return out;
  }
  const cw = c.subsamplingX ? (width + 1) >> 1 : width;
  const ch = c.subsamplingY ? (height + 1) >> 1 : height;
  const Y = planes.subarray(0, width * height);
  const U = planes.subarray(width * height, width * height + cw * ch);
  const V = planes.subarray(width * height + cw * ch, width * height + 2 * cw * ch);
  const at = (P: Uint8Array, x: number, y: number) => P[(y < 0 ? 0 : y >= ch ? ch - 1 : y) * cw + (x < 0 ? 0 : x >= cw ? cw - 1 : x)];
  /** Chroma at luma (x, y): the nearest sample 3× (9× in 2-D) against the next one(s) towards the pixel. */
  const sample = (P: Uint8Array, x: number, y: number): number => {
    const cx = c.subsamplingX ? x >> 1 : x;
    const cy = c.subsamplingY ? y >> 1 : y;
    const nx = c.subsamplingX ? (x & 1 ? cx + 1 : cx - 1) : cx;
    const ny = c.subsamplingY ? (y & 1 ? cy + 1 : cy - 1) : cy;
    if (c.subsamplingX && c.subsamplingY) return (9 * at(P, cx, cy) + 3 * at(P, nx, cy) + 3 * at(P, cx, ny) + at(P, nx, ny)) / 16;
    if (c.subsamplingX) return (3 * at(P, cx, cy) + at(P, nx, cy)) / 4;
    return at(P, cx, cy);
  };
  const identity = c.matrix === 0; // GBR stored as Y = G, U = B, V = R
  const [kr, kb] = lumaWeights(c.matrix);
  const kg = 1 - kr - kb;
  const rv = 2 * (1 - kr);
  const bu = 2 * (1 - kb);
  const gu = (bu * kb) / kg;
  const gv = (rv * kr) / kg;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const o = i * 3;
      if (identity) {
        out[o] = clamp8((sample(V, x, y) - y0) * ys);
        out[o + 1] = clamp8((Y[i] - y0) * ys);
        out[o + 2] = clamp8((sample(U, x, y) - y0) * ys);
        continue;
      }
      const l = (Y[i] - y0) * ys;
      const u = (sample(U, x, y) - 128) * cs;
      const v = (sample(V, x, y) - 128) * cs;
      out[o] = clamp8(l + rv * v);
      out[o + 1] = clamp8(l - gu * u - gv * v);
      out[o + 2] = clamp8(l + bu * u);
    }
  }
  return out;
}

/** ffmpeg's -pix_fmt naming this layout (8-bit only), or null for the layouts converted elsewhere. */
export function ffmpegPixFmt(c: AvifColour): string | null {
  if (c.bitDepth !== 8) return null;
  if (c.monochrome) return 'gray';
  return c.subsamplingX ? (c.subsamplingY ? 'yuv420p' : 'yuv422p') : 'yuv444p';
}
