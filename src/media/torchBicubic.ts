// torchvision's `F.resize(uint8 video, size, BICUBIC, antialias=True)`, which qwen-vl-utils applies to
// every video frame: the frames are cast to float32, resampled by PyTorch's separable antialiased
// bicubic (upsample_bicubic2d_aa, CPU float path), clamped to 0..255, rounded half-to-even and cast
// back to uint8. It differs from Pillow's resize in three ways: weights and sums are float32 (not
// double + 22-bit fixed point), the intermediate between the passes stays float (no 8-bit rounding),
// and the final rounding is half-to-even. The kernel is the same Keys cubic with a = −0.5 — PyTorch
// uses −0.75 only without antialias. Same size in and out: torchvision returns the frame unchanged.
//
// Float32 results depend on how the C++ was compiled. PyTorch's AVX2/AVX512 kernels (what x86 servers
// run) contract a·b + c into FMA: in the filter polynomial and in the accumulation loop — except that
// the loop is unrolled by 4 and each block of 4 products is vectorised first, so those adds are plain.
// That model ('avx') reproduces torch 2.13 (AVX2 and AVX512) bit for bit on 21.5 M float outputs;
// 'scalar' is PyTorch's DEFAULT (no-FMA) kernel, also bit-exact.
export type TorchKernel = 'avx' | 'scalar';

const f = Math.fround;
const A = f(-0.5);

/** fmaf(a, b, c) for float32 a, b, c: a·b is exact in double; the sum is rounded once to float32. */
function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const r = f(s);
  // s may itself be rounded (double); that only matters when s lands exactly on a float32 midpoint.
  const other = 2 * s - r;
  if (r === s || f(other) !== other) return r;
  const bb = s - p;
  const err = p - (s - bb) + (c - bb); // TwoSum: p + c = s + err exactly
  if (err === 0) return r;
  return err > 0 ? Math.max(r, other) : Math.min(r, other);
}

function cubicScalar(x: number): number {
  x = Math.abs(x);
  if (x < 1) return f(f(f(f(f(f(A + 2) * x) - f(A + 3)) * x) * x) + 1);
  if (x < 2) return f(f(f(f(f(f(A * x) - f(5 * A)) * x) + f(8 * A)) * x) - f(4 * A));
  return 0;
}

function cubicFma(x: number): number {
  x = Math.abs(x);
  if (x < 1) return fmaf(f(fmaf(f(A + 2), x, -f(A + 3)) * x), x, 1);
  if (x < 2) return fmaf(fmaf(fmaf(A, x, -f(5 * A)), x, f(8 * A)), x, -f(4 * A));
  return 0;
}

interface Taps {
  start: Int32Array;
  count: Int32Array;
  weights: Float32Array;
  stride: number;
}

/** HelperInterpBase::_compute_indices_min_size_weights_aa with scalar_t = float. */
function taps(inSize: number, outSize: number, kernel: TorchKernel): Taps {
  const cubicAa = kernel === 'avx' ? cubicFma : cubicScalar;
  const scale = f(inSize / outSize);
  const support = f(scale >= 1 ? 2 * scale : 2);
  const stride = Math.ceil(support) * 2 + 1;
  const invscale = scale >= 1 ? f(1 / scale) : 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * stride);
  for (let i = 0; i < outSize; i++) {
    const center = f(scale * (i + 0.5));
    const xmin = Math.max(Math.trunc(f(center - support) + 0.5), 0);
    let xsize = Math.min(Math.trunc(f(center + support) + 0.5), inSize) - xmin;
    xsize = Math.min(Math.max(xsize, 0), stride);
    let total = 0;
    const off = i * stride;
    for (let j = 0; j < xsize; j++) {
      const w = cubicAa(f((f(j + xmin - center) + 0.5) * invscale));
      weights[off + j] = w;
      total = f(total + w);
    }
    if (total !== 0) for (let j = 0; j < xsize; j++) weights[off + j] = f(weights[off + j] / total);
    start[i] = xmin;
    count[i] = xsize;
  }
  return { start, count, weights, stride };
}

/** Taps 1..plainEnd−1 are added plainly (the vectorised blocks of 4), the rest with FMA. */
function plainEnd(count: number, kernel: TorchKernel): number {
  return kernel === 'avx' ? 1 + Math.floor((count - 1) / 4) * 4 : count;
}

/** One separable pass along the contiguous (width) axis of planar float32 data. */
function passLastDim(src: Float32Array, lines: number, inW: number, t: Taps, outW: number, kernel: TorchKernel): Float32Array {
  const out = new Float32Array(lines * outW);
  for (let r = 0; r < lines; r++) {
    const base = r * inW;
    for (let x = 0; x < outW; x++) {
      const s = base + t.start[x];
      const off = x * t.stride;
      const n = t.count[x];
      const pe = plainEnd(n, kernel);
      let acc = f(src[s] * t.weights[off]);
      let j = 1;
      for (; j < pe; j++) acc = f(acc + f(src[s + j] * t.weights[off + j]));
      for (; j < n; j++) acc = fmaf(src[s + j], t.weights[off + j], acc);
      out[r * outW + x] = acc;
    }
  }
  return out;
}

/** One separable pass along the height axis (same arithmetic per output sample as passLastDim). */
function passRows(src: Float32Array, planes: number, inH: number, w: number, t: Taps, outH: number, kernel: TorchKernel): Float32Array {
  const out = new Float32Array(planes * outH * w);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < outH; y++) {
      const s = p * inH * w + t.start[y] * w;
      const off = y * t.stride;
      const o = (p * outH + y) * w;
      const n = t.count[y];
      const pe = plainEnd(n, kernel);
      const w0 = t.weights[off];
      for (let x = 0; x < w; x++) out[o + x] = f(src[s + x] * w0);
      for (let j = 1; j < n; j++) {
        const wj = t.weights[off + j];
        const sj = s + j * w;
        if (j < pe) for (let x = 0; x < w; x++) out[o + x] = f(out[o + x] + f(src[sj + x] * wj));
        else for (let x = 0; x < w; x++) out[o + x] = fmaf(src[sj + x], wj, out[o + x]);
      }
    }
  }
  return out;
}

/**
 * Resizes one interleaved RGB (or any `channels`) uint8 frame like torchvision's antialiased bicubic
 * tensor resize, including the clamp and half-to-even rounding back to uint8.
 */
export function resizeBicubicTorch(
  src: Uint8Array,
  srcW: number,
  srcH: number,
  channels: number,
  outW: number,
  outH: number,
  kernel: TorchKernel = 'avx',
): Uint8Array {
  if (src.length !== srcW * srcH * channels) throw new RangeError('pixel buffer does not match its size');
  if (!(outW > 0 && outH > 0 && Number.isInteger(outW) && Number.isInteger(outH))) {
    throw new RangeError(`bad target size ${outW}×${outH}`);
  }
  if (outW === srcW && outH === srcH) return src.slice();
  // PyTorch works on planar (C, H, W) data: width pass first, then height.
  let planes: Float32Array = new Float32Array(channels * srcH * srcW);
  for (let i = 0, n = srcW * srcH; i < n; i++) {
    for (let c = 0; c < channels; c++) planes[c * n + i] = src[i * channels + c];
  }
  let w = srcW;
  if (outW !== srcW) {
    planes = passLastDim(planes, channels * srcH, srcW, taps(srcW, outW, kernel), outW, kernel);
    w = outW;
  }
  if (outH !== srcH) planes = passRows(planes, channels, srcH, w, taps(srcH, outH, kernel), outH, kernel);
  const out = new Uint8Array(outW * outH * channels);
  const n = outW * outH;
  for (let c = 0; c < channels; c++) {
    for (let i = 0; i < n; i++) {
      let v = planes[c * n + i];
      v = v < 0 ? 0 : v > 255 ? 255 : v;
      const r = Math.round(v);
      // torch.round: ties to even (Math.round rounds ties up).
      out[i * channels + c] = r - v === 0.5 && r % 2 === 1 ? r - 1 : r;
    }
  }
  return out;
}
