// Pillow's `Image.resize(size, BICUBIC)` for 8-bit images, bit for bit (libImaging/Resample.c):
// Keys cubic with a = −0.5, support 2 scaled by the downscale factor (antialiasing), coefficients in
// double, normalised to sum 1, then turned into 22-bit fixed point; a horizontal pass into an 8-bit
// image (only over the rows the vertical pass reads), then a vertical pass. This is the resize
// qwen-vl-utils applies to every image (`fetch_image`: `image.resize((w, h))`, default BICUBIC).

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 1 << PRECISION_BITS;
const HALF = 1 << (PRECISION_BITS - 1);
const SUPPORT = 2;

function bicubic(x: number): number {
  const a = -0.5;
  if (x < 0) x = -x;
  if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
  if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
  return 0;
}

/** Per output index: first source index and fixed-point weights (Resample.c precompute_coeffs + normalize). */
interface Coeffs {
  start: Int32Array;
  count: Int32Array;
  /** ksize weights per output index. */
  weights: Int32Array;
  ksize: number;
}

function precompute(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterscale = scale < 1 ? 1 : scale;
  const support = SUPPORT * filterscale;
  const ksize = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize + 1);
  const ss = 1 / filterscale;
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C casts to int truncate toward zero.
    let xmin = Math.trunc(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    let xmax = Math.trunc(center + support + 0.5);
    if (xmax > inSize) xmax = inSize;
    xmax -= xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const w = bicubic((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const v = ww !== 0 ? k[x] / ww : k[x];
      // normalize_coeffs_8bpc: round half away from zero, then truncate.
      weights[xx * ksize + x] = v < 0 ? Math.trunc(-0.5 + v * ONE) : Math.trunc(0.5 + v * ONE);
    }
    start[xx] = xmin;
    count[xx] = xmax;
  }
  return { start, count, weights, ksize };
}

/** clip8: arithmetic shift by PRECISION_BITS, then clamp to 0..255. */
function clip8(ss: number): number {
  const v = Math.floor(ss / ONE);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function horizontal(src: Uint8Array, srcW: number, rowFirst: number, rows: number, ch: number, c: Coeffs, outW: number): Uint8Array {
  const out = new Uint8Array(outW * rows * ch);
  const acc = new Float64Array(ch);
  for (let y = 0; y < rows; y++) {
    const rowBase = (y + rowFirst) * srcW * ch;
    for (let xx = 0; xx < outW; xx++) {
      const xmin = c.start[xx];
      const n = c.count[xx];
      const kOff = xx * c.ksize;
      acc.fill(HALF);
      for (let x = 0; x < n; x++) {
        const w = c.weights[kOff + x];
        const p = rowBase + (x + xmin) * ch;
        for (let b = 0; b < ch; b++) acc[b] += src[p + b] * w;
      }
      const o = (y * outW + xx) * ch;
      for (let b = 0; b < ch; b++) out[o + b] = clip8(acc[b]);
    }
  }
  return out;
}

function vertical(src: Uint8Array, w: number, ch: number, c: Coeffs, rowShift: number, outH: number): Uint8Array {
  const out = new Uint8Array(w * outH * ch);
  const rowLen = w * ch;
  const acc = new Float64Array(rowLen);
  for (let yy = 0; yy < outH; yy++) {
    const ymin = c.start[yy] - rowShift;
    const n = c.count[yy];
    const kOff = yy * c.ksize;
    acc.fill(HALF);
    for (let y = 0; y < n; y++) {
      const k = c.weights[kOff + y];
      const base = (y + ymin) * rowLen;
      for (let i = 0; i < rowLen; i++) acc[i] += src[base + i] * k;
    }
    const o = yy * rowLen;
    for (let i = 0; i < rowLen; i++) out[o + i] = clip8(acc[i]);
  }
  return out;
}

/**
 * Resizes interleaved 8-bit pixels (`channels` per pixel) from srcW×srcH to outW×outH exactly as Pillow's
 * BICUBIC resize does for an "RGB" / "L" image. Returns a new buffer (a copy when the size is unchanged).
 */
export function resizeBicubicPil(src: Uint8Array, srcW: number, srcH: number, channels: number, outW: number, outH: number): Uint8Array {
  if (src.length !== srcW * srcH * channels) throw new RangeError('pixel buffer does not match its size');
  if (!(outW > 0 && outH > 0 && Number.isInteger(outW) && Number.isInteger(outH))) {
    throw new RangeError(`bad target size ${outW}×${outH}`);
  }
  const needH = outW !== srcW;
  const needV = outH !== srcH;
  if (!needH && !needV) return src.slice();
  const vert = precompute(srcH, outH);
  // Only the rows the vertical pass reads are resampled horizontally (ybox_first..ybox_last).
  const rowFirst = vert.start[0];
  const rowLast = vert.start[outH - 1] + vert.count[outH - 1];
  if (!needV) return horizontal(src, srcW, 0, srcH, channels, precompute(srcW, outW), outW);
  if (!needH) return vertical(src, srcW, channels, vert, 0, outH);
  const tmp = horizontal(src, srcW, rowFirst, rowLast - rowFirst, channels, precompute(srcW, outW), outW);
  return vertical(tmp, outW, channels, vert, rowFirst, outH);
}
