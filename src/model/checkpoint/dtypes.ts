// Element types of safetensors files and their exact conversion to float32.
// bf16 is the top half of a float32, so widening is a shift; f16 goes through a 65,536-entry
// table built once (exact for subnormals, infinities and NaN). Safetensors data is little-endian.

/** Byte size of every dtype the safetensors format defines (used to validate headers). */
export const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  U16: 2,
  I16: 2,
  F16: 2,
  BF16: 2,
  U32: 4,
  I32: 4,
  F32: 4,
  U64: 8,
  I64: 8,
  F64: 8,
};

/** The dtypes Sift can widen to float32. */
export const FLOAT_DTYPES = ['BF16', 'F16', 'F32'] as const;
export type FloatDtype = (typeof FLOAT_DTYPES)[number];

export function isFloatDtype(dtype: string): dtype is FloatDtype {
  return (FLOAT_DTYPES as readonly string[]).includes(dtype);
}

// Typed-array views use the platform's byte order; every engine Sift targets is little-endian.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function requireLittleEndian(): void {
  if (!LITTLE_ENDIAN) throw new Error('safetensors decoding needs a little-endian platform');
}

/** Reinterprets bytes as `Ctor` elements without copying when aligned, else copies once. */
function view<T>(bytes: Uint8Array, width: number, make: (buf: ArrayBufferLike, off: number, len: number) => T): T {
  if (bytes.byteLength % width !== 0) {
    throw new Error(`${bytes.byteLength} bytes is not a whole number of ${width}-byte elements`);
  }
  if (bytes.byteOffset % width === 0) return make(bytes.buffer, bytes.byteOffset, bytes.byteLength / width);
  const copy = bytes.slice();
  return make(copy.buffer, 0, copy.byteLength / width);
}

/** Widens bf16 bytes into `out` starting at element `outOffset`. Exact for every bit pattern. */
export function bf16ToFloat32(bytes: Uint8Array, out?: Float32Array, outOffset = 0): Float32Array {
  requireLittleEndian();
  const src = view(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
  const dst = out ?? new Float32Array(src.length);
  const bits = new Uint32Array(dst.buffer, dst.byteOffset + outOffset * 4, src.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return dst;
}

let f16Table: Float32Array | null = null;

/** The float value of one IEEE half-precision bit pattern. */
export function f16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return frac === 0 ? sign * Infinity : NaN;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

function halfTable(): Float32Array {
  if (!f16Table) {
    f16Table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Table[h] = f16BitsToNumber(h);
  }
  return f16Table;
}

/** Widens f16 bytes into `out` starting at element `outOffset`. */
export function f16ToFloat32(bytes: Uint8Array, out?: Float32Array, outOffset = 0): Float32Array {
  requireLittleEndian();
  const src = view(bytes, 2, (b, o, n) => new Uint16Array(b, o, n));
  const dst = out ?? new Float32Array(src.length);
  const table = halfTable();
  for (let i = 0; i < src.length; i++) dst[outOffset + i] = table[src[i]];
  return dst;
}

/** Copies f32 bytes into `out` starting at element `outOffset`. */
export function f32ToFloat32(bytes: Uint8Array, out?: Float32Array, outOffset = 0): Float32Array {
  requireLittleEndian();
  const src = view(bytes, 4, (b, o, n) => new Float32Array(b, o, n));
  const dst = out ?? new Float32Array(src.length);
  dst.set(src, outOffset);
  return dst;
}

/** Widens `bytes` of a float dtype into `out` (or a new array) at element `outOffset`. */
export function decodeToFloat32(dtype: FloatDtype, bytes: Uint8Array, out?: Float32Array, outOffset = 0): Float32Array {
  switch (dtype) {
    case 'BF16':
      return bf16ToFloat32(bytes, out, outOffset);
    case 'F16':
      return f16ToFloat32(bytes, out, outOffset);
    case 'F32':
      return f32ToFloat32(bytes, out, outOffset);
  }
}

const scratchF32 = new Float32Array(1);
const scratchU32 = new Uint32Array(scratchF32.buffer);

/** Rounds a number to the nearest bf16 (ties to even) and returns its 16-bit pattern; NaN stays NaN. */
export function float32ToBf16Bits(x: number): number {
  scratchF32[0] = x;
  const bits = scratchU32[0];
  if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x7fffff) !== 0) return (bits >>> 16) | 0x40; // quiet NaN
  return ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Rounds a whole Float32Array to bf16 bit patterns (ties to even). */
export function float32ArrayToBf16(values: Float32Array, out = new Uint16Array(values.length)): Uint16Array {
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < values.length; i++) {
    const b = bits[i];
    out[i] =
      (b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0 ? (b >>> 16) | 0x40 : ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
  }
  return out;
}
