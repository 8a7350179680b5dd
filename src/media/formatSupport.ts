// Which image files Sift decodes: one set for Node and the browser, decided by what the reference
// (PIL's Image.open + convert) opens, so a request scores the same everywhere or fails the same way.
// Accepted: PNG, JPEG (8-bit; Huffman or arithmetic coded), GIF, WebP (animated: the first frame, as
// PIL and browsers take), BMP, AVIF without alpha; TIFF in Node only (no browser decodes it). Refused
// here: what PIL cannot open either (12-bit JPEGs, HEIC without a plugin), AVIF with alpha, and
// lossless / hierarchical JPEGs (no browser decodes them).
import { MediaError } from './errors.ts';
import type { ImageHeader } from './imageHeader.ts';

/** Throws 'unsupported-format' for a header naming a file no Sift decoder reads. */
export function checkSupportedFormat(h: ImageHeader): void {
  if (h.format === 'heic') {
    throw new MediaError(
      'unsupported-format',
      'HEIC images are not supported (the reference cannot open them without a plugin, and browsers do not decode them); convert it to JPEG or PNG',
    );
  }
  if (h.format === 'avif' && h.alpha) {
    // Node's decoder (ffmpeg) reads an AVIF's colour item only, not the alpha item beside it.
    throw new MediaError('unsupported-format', 'AVIF images with an alpha channel (transparency) are not supported; convert it to PNG');
  }
  if (h.format !== 'jpeg') return;
  const sof = h.sof ?? 0xc0;
  if (sof === 0xc3 || sof === 0xcb || (sof >= 0xc5 && sof <= 0xc7) || sof >= 0xcd) {
    // Chromium cannot decode these (measured: "The source image could not be decoded"), nor can Node's decoders.
    const kind = sof === 0xc3 || sof === 0xcb ? 'lossless' : 'hierarchical';
    throw new MediaError(
      'unsupported-format',
      `this is a ${kind} JPEG, which browsers and Sift cannot decode; re-save it as a standard JPEG or as PNG`,
    );
  }
  if (h.precision !== undefined && h.precision !== 8) {
    throw new MediaError(
      'unsupported-format',
      `this is a ${h.precision}-bit JPEG: the reference (Pillow) opens only 8-bit JPEGs and browsers cannot decode it; convert it to an 8-bit JPEG or to PNG`,
    );
  }
}
