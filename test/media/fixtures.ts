// Test-time image generators (no binary media in the repo). `patternImage` is also written in the
// golden-value derivation script (Python) with the same integer formula, so values can be compared.
import { PNG } from 'pngjs';
import jpeg from 'jpeg-js';
import type { RawPixels } from '../../src/media/pixels.ts';

/**
 * Deterministic "hard" test content: vertical bands of gradient, hashed noise and an 4-px checkerboard,
 * so resampling hits smooth areas, noise and 0↔255 edges (overshoot, clipping).
 */
export function patternValue(x: number, y: number, c: number): number {
  const region = Math.floor(x / 40) % 3;
  if (region === 0) return (x * 5 + y * 3 + c * 70) % 256;
  if (region === 1) return Math.floor((((x * 37 + y * 101 + c * 53) * 2654435761) % 4294967296) / 16777216);
  return (((x >> 2) + (y >> 2)) & 1) * 255;
}

export function patternImage(width: number, height: number, channels: 3 | 4 = 3): RawPixels {
  const data = new Uint8Array(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * channels;
      for (let c = 0; c < 3; c++) data[o + c] = patternValue(x, y, c);
      if (channels === 4) data[o + 3] = (x * 11 + y * 7) % 256;
    }
  }
  return { data, width, height, channels };
}

export function solidImage(width: number, height: number, rgb: [number, number, number]): RawPixels {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height, channels: 3 };
}

/** Encodes RGBA pixels as PNG with pngjs (colorType 6 unless told otherwise). */
export function encodePng(
  width: number,
  height: number,
  rgba: Uint8Array,
  opts: { colorType?: 0 | 2 | 4 | 6; bitDepth?: 8 | 16; inputHasAlpha?: boolean } = {},
): Uint8Array {
  const png = new PNG({
    width,
    height,
    colorType: opts.colorType ?? 6,
    bitDepth: opts.bitDepth ?? 8,
    inputHasAlpha: opts.inputHasAlpha ?? true,
  });
  if (opts.bitDepth === 16) {
    (png as unknown as { data: Uint16Array }).data = rgba as unknown as Uint16Array;
  } else {
    png.data = Buffer.from(rgba);
  }
  return new Uint8Array(
    PNG.sync.write(png, { colorType: opts.colorType ?? 6, bitDepth: opts.bitDepth ?? 8, inputHasAlpha: opts.inputHasAlpha ?? true }),
  );
}

export function encodeJpeg(width: number, height: number, rgba: Uint8Array, quality = 90): Uint8Array {
  return new Uint8Array(jpeg.encode({ data: Buffer.from(rgba), width, height }, quality).data);
}

export function toRgba(p: RawPixels): Uint8Array {
  if (p.channels === 4) return Uint8Array.from(p.data);
  const n = p.width * p.height;
  const out = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    out[i * 4] = p.data[i * 3];
    out[i * 4 + 1] = p.data[i * 3 + 1];
    out[i * 4 + 2] = p.data[i * 3 + 2];
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** An APP1 Exif segment holding only IFD0 with one Orientation (0x0112) entry. */
export function exifSegment(orientation: number, littleEndian = false): Uint8Array {
  const tiff = new Uint8Array(8 + 2 + 12 + 4);
  const dv = new DataView(tiff.buffer);
  tiff.set(littleEndian ? [0x49, 0x49] : [0x4d, 0x4d], 0);
  dv.setUint16(2, 42, littleEndian);
  dv.setUint32(4, 8, littleEndian); // IFD0 right after the header
  dv.setUint16(8, 1, littleEndian); // one entry
  dv.setUint16(10, 0x0112, littleEndian);
  dv.setUint16(12, 3, littleEndian); // SHORT
  dv.setUint32(14, 1, littleEndian);
  dv.setUint16(18, orientation, littleEndian);
  dv.setUint32(22, 0, littleEndian); // no next IFD
  const payload = new Uint8Array(6 + tiff.length);
  payload.set([0x45, 0x78, 0x69, 0x66, 0, 0], 0);
  payload.set(tiff, 6);
  const seg = new Uint8Array(4 + payload.length);
  seg.set([0xff, 0xe1, ((payload.length + 2) >> 8) & 0xff, (payload.length + 2) & 0xff], 0);
  seg.set(payload, 4);
  return seg;
}

/** Inserts a segment right after the SOI marker of a JPEG. */
export function insertAfterSoi(jpg: Uint8Array, segment: Uint8Array): Uint8Array {
  const out = new Uint8Array(jpg.length + segment.length);
  out.set(jpg.subarray(0, 2), 0);
  out.set(segment, 2);
  out.set(jpg.subarray(2), 2 + segment.length);
  return out;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const { createHash } = await import('node:crypto');
  return createHash('sha256').update(bytes).digest('hex');
}
