// Stored vectors: unit vectors kept as float16 (about 3 decimal digits, a cosine error near 1e-4) or
// int8 (v·127 rounded, about 1e-2), in the index's chosen dimension count.

export type VectorFormat = 'f16' | 'i8';

/** IEEE half-precision bits of x (round to nearest even). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rest > mid || (rest === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function encodeVector(v: Float32Array, format: VectorFormat): Uint8Array {
  if (format === 'i8') return new Uint8Array(Int8Array.from(v, (x) => Math.max(-127, Math.min(127, Math.round(x * 127)))).buffer);
  return new Uint8Array(Uint16Array.from(v, toHalf).buffer);
}

export function decodeVector(bytes: Uint8Array, format: VectorFormat): Float32Array {
  const copy = bytes.slice();
  if (format === 'i8') return Float32Array.from(new Int8Array(copy.buffer), (q) => q / 127);
  return Float32Array.from(new Uint16Array(copy.buffer), fromHalf);
}
