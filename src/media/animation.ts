// Animated images: PIL (the reference) opens an animated GIF or WebP at its first frame, and so do
// Chromium's createImageBitmap and Sift's Node decoders. The document's result says so (a warning),
// since a caller may expect the whole animation to count.
import type { ImageHeader } from './imageHeader.ts';
import { webpFrameCount } from './webpFrame.ts';

/** Image descriptors in a GIF, walking its blocks (sub-block sizes only; no LZW decoding). */
export function gifFrameCount(b: Uint8Array): number {
  let o = 13;
  if (b.length < o) return 0;
  if (b[10] & 0x80) o += 3 << ((b[10] & 7) + 1); // global colour table
  let frames = 0;
  const skipSubBlocks = () => {
    while (o < b.length && b[o] !== 0) o += b[o] + 1;
    o++; // the terminator
  };
  while (o < b.length) {
    const tag = b[o];
    if (tag === 0x3b) break; // trailer
    if (tag === 0x21) {
      o += 2; // introducer, label
      skipSubBlocks();
    } else if (tag === 0x2c) {
      frames++;
      if (o + 10 > b.length) break;
      const packed = b[o + 9];
      o += 10;
      if (packed & 0x80) o += 3 << ((packed & 7) + 1); // local colour table
      o++; // LZW minimum code size
      skipSubBlocks();
    } else break; // damaged: count what was found
  }
  return frames;
}

/** The warning for a document whose image is an animation (more than one frame), else undefined. */
export function animationWarning(bytes: Uint8Array, h: ImageHeader): string | undefined {
  const frames = h.format === 'gif' ? gifFrameCount(bytes) : h.format === 'webp' && h.animated ? webpFrameCount(bytes) : 1;
  if (frames <= 1 && !(h.format === 'webp' && h.animated)) return undefined;
  return `this ${h.format === 'gif' ? 'GIF' : 'WebP'} is animated (${frames} frame${frames === 1 ? '' : 's'}): only its first frame is scored, as the reference (PIL) does`;
}
