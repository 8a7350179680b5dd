// EXIF orientation of JPEGs and PIL's `ImageOps.exif_transpose` on plain pixels.
//
// What the reference does: qwen-vl-utils 0.0.14 `fetch_image` is `Image.open` → `to_rgb` → `resize`;
// Pillow never applies the EXIF Orientation tag on open (only `ImageOps.exif_transpose` does, and
// neither qwen-vl-utils nor the reranker calls it). So the reference sees a phone photo tagged
// "rotate 90°" in its *stored* orientation — sideways — and sizes it from the stored width × height.
// Sift's Node decoder matches that by default (`exifOrientation: 'ignore'`); `'apply'` uses the
// functions below for callers who prefer upright images over reference parity. (Browsers'
// createImageBitmap applies the tag by default, i.e. differs from the reference unless told not to.)
import type { RawPixels } from './pixels.ts';

const readU16 = (b: Uint8Array, o: number, le: boolean) => (le ? b[o] | (b[o + 1] << 8) : (b[o] << 8) | b[o + 1]);
const readU32 = (b: Uint8Array, o: number, le: boolean) =>
  (le ? b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24) : (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/** Orientation (0x0112) from a TIFF structure (the payload of an Exif APP1 after "Exif\0\0"), or 1. */
function orientationFromTiff(t: Uint8Array): number {
  if (t.length < 8) return 1;
  let le: boolean;
  if (t[0] === 0x49 && t[1] === 0x49) le = true;
  else if (t[0] === 0x4d && t[1] === 0x4d) le = false;
  else return 1;
  if (readU16(t, 2, le) !== 42) return 1;
  const ifd = readU32(t, 4, le);
  if (ifd + 2 > t.length) return 1;
  const count = readU16(t, ifd, le);
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    if (e + 12 > t.length) return 1;
    if (readU16(t, e, le) !== 0x0112) continue;
    const type = readU16(t, e + 2, le);
    // SHORT is what the standard prescribes; LONG shows up in the wild and Pillow reads it too.
    const v = type === 3 ? readU16(t, e + 8, le) : type === 4 ? readU32(t, e + 8, le) : 0;
    return v >= 1 && v <= 8 ? v : 1;
  }
  return 1;
}

/**
 * EXIF Orientation (1–8) of a JPEG: the first APP1 "Exif" segment's IFD0 tag 0x0112, either byte
 * order. 1 when the file is not a JPEG, has no Exif segment, no tag, or an out-of-range value.
 */
export function readExifOrientation(jpegBytes: Uint8Array): number {
  const b = jpegBytes;
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return 1;
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return 1;
    const marker = b[o + 1];
    if (marker === 0xff) {
      o++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return 1; // metadata comes before the scan
    const len = (b[o + 2] << 8) | b[o + 3];
    if (len < 2) return 1;
    const start = o + 4;
    const end = Math.min(o + 2 + len, b.length);
    if (
      marker === 0xe1 &&
      end - start >= 6 &&
      b[start] === 0x45 &&
      b[start + 1] === 0x78 &&
      b[start + 2] === 0x69 &&
      b[start + 3] === 0x66 &&
      b[start + 4] === 0 &&
      b[start + 5] === 0
    ) {
      return orientationFromTiff(b.subarray(start + 6, end));
    }
    o += 2 + len;
  }
  return 1;
}

/**
 * PIL `ImageOps.exif_transpose` for an orientation value: 2 FLIP_LEFT_RIGHT, 3 ROTATE_180,
 * 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270 (90° clockwise), 7 TRANSVERSE, 8 ROTATE_90 (90°
 * counter-clockwise); 5–8 swap width and height. 1 and unknown values return a copy, as PIL does.
 */
export function applyOrientation(pixels: RawPixels, orientation: number): RawPixels {
  const { width: W, height: H, channels: C } = pixels;
  const src = pixels.data;
  const swap = orientation >= 5 && orientation <= 8;
  const outW = swap ? H : W;
  const outH = swap ? W : H;
  const out = new Uint8Array(W * H * C);
  // For each output (x, y): which source pixel lands there.
  let pick: (x: number, y: number) => number;
  switch (orientation) {
    case 2:
      pick = (x, y) => y * W + (W - 1 - x);
      break;
    case 3:
      pick = (x, y) => (H - 1 - y) * W + (W - 1 - x);
      break;
    case 4:
      pick = (x, y) => (H - 1 - y) * W + x;
      break;
    case 5:
      pick = (x, y) => x * W + y;
      break; // transpose: mirror on the main diagonal
    case 6:
      pick = (x, y) => (H - 1 - x) * W + y;
      break; // clockwise: output row y is source column y, bottom-up
    case 7:
      pick = (x, y) => (H - 1 - x) * W + (W - 1 - y);
      break; // mirror on the anti-diagonal
    case 8:
      pick = (x, y) => x * W + (W - 1 - y);
      break; // counter-clockwise
    default:
      pick = (x, y) => y * W + x;
  }
  let o = 0;
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      const s = pick(x, y) * C;
      for (let c = 0; c < C; c++) out[o++] = src[s + c];
    }
  }
  return { data: out, width: outW, height: outH, channels: C };
}
