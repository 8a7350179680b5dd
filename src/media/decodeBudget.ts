// How large an image Sift agrees to decode, checked on the header before any pixel is allocated, the
// same in Node and in the browser. Every image is resized to at most max_pixels (1.8 MP by default)
// afterwards, so a larger file only costs time and memory: a 290 KB PNG can declare 10000×10000 and
// inflate to 300 MB of pixels (a decompression bomb). The default is the reference's own bomb
// threshold — PIL warns (DecompressionBombWarning) above Image.MAX_IMAGE_PIXELS = 89,478,485 — so
// Sift refuses only what PIL itself flags; every image up to it decodes exactly as before.
import { MediaError } from './errors.ts';
import type { ImageHeader } from './imageHeader.ts';

export const DEFAULT_MAX_IMAGE_PIXELS = 89_478_485;

/**
 * Bytes a decode holds at its peak, per pixel: the decoder's own buffers plus the RGB(A) handed on.
 * Rough (decoders differ), for the error message and the documentation; the limit itself is in pixels.
 */
export function decodeBytesPerPixel(h: ImageHeader): number {
  if (h.format === 'png' && h.png) {
    const samples = [1, 0, 3, 1, 2, 0, 4][h.png.colorType] ?? 4;
    const bytes = Math.max(1, h.png.bitDepth / 8);
    return samples * bytes + 4 * bytes + 3; // inflated rows + decoded RGBA + RGB
  }
  if (h.format === 'jpeg') return 3 + 3 + 3; // component planes + colour conversion + RGB
  return 4 + 4; // a decoded bitmap + its RGBA copy
}

const mp = (n: number) => (n >= 1e6 ? `${Math.round(n / 1e5) / 10} MP` : `${n.toLocaleString('en-US')} pixels`);
const gb = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(1)} GB` : `${Math.round(n / 1e6)} MB`);

/** The limit to use: a positive number of pixels, else the default. */
export function resolveMaxImagePixels(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_IMAGE_PIXELS;
  if (!(typeof value === 'number' && value > 0))
    throw new MediaError('bad-argument', `the image pixel limit must be a positive number, got ${String(value)}`);
  return value;
}

/** Throws 'too-large' when the header's size is above the limit, naming the size, the memory and the way out. */
export function checkDecodeBudget(h: ImageHeader, maxPixels: number = DEFAULT_MAX_IMAGE_PIXELS): void {
  const px = h.width * h.height;
  if (px <= maxPixels) return;
  const perPixel = decodeBytesPerPixel(h);
  throw new MediaError(
    'too-large',
    `a ${h.width}×${h.height} ${h.format.toUpperCase()} image (${mp(px)}) is above the decode limit of ${mp(maxPixels)}: ` +
      `decoding it would take about ${gb(px * perPixel)} of memory (the limit allows about ${gb(maxPixels * perPixel)}); ` +
      'Sift resizes every image to max_pixels (1.8 MP by default) anyway, ' +
      'so downscale it first (e.g. ffmpeg -i in.png -vf scale=4096:-1 out.png), or raise the limit ' +
      '(maxImagePixels in the library, --max-image-pixels in the CLI) if it is a real image and the memory is there',
  );
}
