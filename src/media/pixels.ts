// Plain pixel buffers — the only input the environment-free pipeline takes (Node decoders and, later,
// browser decoders both produce this) — and the reference's conversion to RGB.

/** Interleaved 8-bit pixels, row-major, no padding between rows. */
export interface RawPixels {
  data: Uint8Array | Uint8ClampedArray;
  width: number;
  height: number;
  /**
   * 3 = RGB; 4 = RGBA that the reference would hold as a PIL "RGBA" image, i.e. whose alpha is
   * composited onto white. Decoders must hand over 3 channels where PIL drops alpha instead
   * (palette + tRNS, gray + alpha: `convert("RGB")` ignores transparency there).
   */
  channels: 3 | 4;
  /** Set by a decoder that used only part of the file (an animation's first frame), for the document's warnings. */
  warning?: string;
}

/** An RGB image, 3 bytes per pixel. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

export function checkPixels(p: RawPixels): void {
  if (!Number.isInteger(p.width) || !Number.isInteger(p.height) || p.width <= 0 || p.height <= 0) {
    throw new RangeError(`bad image size ${p.width}×${p.height}`);
  }
  if (p.channels !== 3 && p.channels !== 4) throw new RangeError(`channels must be 3 or 4, got ${p.channels}`);
  if (p.data.length !== p.width * p.height * p.channels) {
    throw new RangeError(`pixel buffer has ${p.data.length} bytes, expected ${p.width}·${p.height}·${p.channels}`);
  }
}

/**
 * qwen-vl-utils `to_rgb`: an RGBA image is pasted onto white with its alpha as mask. PIL's paste blends
 * with integer rounding, out = DIV255(255·(255−a) + c·a) where DIV255(v) = ((v+128) >> 8) + (v+128) >> 8
 * (checked against Pillow for all 65,536 (c, a) pairs). RGB passes through without a copy (a view
 * of the same bytes): at the decode limit a copy would be another ~270 MB.
 */
export function toRgb(p: RawPixels): RgbImage {
  checkPixels(p);
  const n = p.width * p.height;
  if (p.channels === 3) {
    const view = p.data instanceof Uint8Array ? p.data : new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.length);
    return { data: view, width: p.width, height: p.height };
  }
  const out = new Uint8Array(n * 3);
  const src = p.data;
  for (let i = 0; i < n; i++) {
    const a = src[i * 4 + 3];
    const inv = 255 * (255 - a);
    for (let c = 0; c < 3; c++) {
      const t = inv + src[i * 4 + c] * a + 128;
      out[i * 3 + c] = ((t >> 8) + t) >> 8;
    }
  }
  return { data: out, width: p.width, height: p.height };
}
