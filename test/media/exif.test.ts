// EXIF orientation. The transposes are PIL's `ImageOps.exif_transpose` table (2 FLIP_LEFT_RIGHT,
// 3 ROTATE_180, 4 FLIP_TOP_BOTTOM, 5 TRANSPOSE, 6 ROTATE_270, 7 TRANSVERSE, 8 ROTATE_90; PIL's ROTATE_n
// turns counter-clockwise), worked out by hand on a 3×2 image; libvips' auto-rotation (sharp) is a
// second, independent implementation of the same EXIF rules. The reference itself never applies the
// tag (fetch_image = Image.open → to_rgb → resize, vision_process.py l.93–141), which the decoder's
// default follows — checked at the end.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { applyOrientation, readExifOrientation } from '../../src/media/exif.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import type { RawPixels } from '../../src/media/pixels.ts';
import { encodeJpeg, encodePng, exifSegment, insertAfterSoi, patternImage, toRgba } from './fixtures.ts';
import { tempDir } from './helpers.ts';

// A 3×2 one-channel-per-pixel image, labelled by position:
//   a b c
//   d e f
const W = 3;
const H = 2;
const labels = 'abcdef';
const small: RawPixels = { data: new Uint8Array(W * H * 3), width: W, height: H, channels: 3 };
for (let i = 0; i < W * H; i++) small.data[i * 3] = labels.charCodeAt(i);

/** The image as rows of labels. */
function rows(p: RawPixels): string[] {
  const out: string[] = [];
  for (let y = 0; y < p.height; y++) {
    let r = '';
    for (let x = 0; x < p.width; x++) r += String.fromCharCode(p.data[(y * p.width + x) * p.channels]);
    out.push(r);
  }
  return out;
}

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('readExifOrientation', () => {
  const jpg = encodeJpeg(16, 8, toRgba(patternImage(16, 8)));

  it('reads 1–8 in both byte orders', () => {
    for (const le of [false, true]) {
      for (let o = 1; o <= 8; o++) expect(readExifOrientation(insertAfterSoi(jpg, exifSegment(o, le)))).toBe(o);
    }
  });

  it('is 1 without Exif, with an out-of-range value, or for a non-JPEG', () => {
    expect(readExifOrientation(jpg)).toBe(1);
    expect(readExifOrientation(insertAfterSoi(jpg, exifSegment(9)))).toBe(1);
    expect(readExifOrientation(insertAfterSoi(jpg, exifSegment(0, true)))).toBe(1);
    expect(readExifOrientation(encodePng(4, 4, toRgba(patternImage(4, 4))))).toBe(1);
    expect(readExifOrientation(new Uint8Array(0))).toBe(1);
  });

  it('finds the Exif segment after other APPn segments', () => {
    const app2 = Uint8Array.from([0xff, 0xe2, 0x00, 0x06, 1, 2, 3, 4]);
    expect(readExifOrientation(insertAfterSoi(insertAfterSoi(jpg, exifSegment(6, true)), app2))).toBe(6);
  });
});

describe('applyOrientation = PIL exif_transpose', () => {
  const expected: Record<number, string[]> = {
    1: ['abc', 'def'],
    2: ['cba', 'fed'], // FLIP_LEFT_RIGHT
    3: ['fed', 'cba'], // ROTATE_180
    4: ['def', 'abc'], // FLIP_TOP_BOTTOM
    5: ['ad', 'be', 'cf'], // TRANSPOSE: rows become columns
    6: ['da', 'eb', 'fc'], // ROTATE_270 = 90° clockwise
    7: ['fc', 'eb', 'da'], // TRANSVERSE: mirror on the anti-diagonal
    8: ['cf', 'be', 'ad'], // ROTATE_90 = 90° counter-clockwise
  };

  it('maps every orientation as worked out by hand', () => {
    for (let o = 1; o <= 8; o++) {
      const out = applyOrientation(small, o);
      expect({ o, rows: rows(out) }).toEqual({ o, rows: expected[o] });
      expect([out.width, out.height]).toEqual(o >= 5 ? [H, W] : [W, H]);
    }
    // Unknown values leave the image as it is, like PIL.
    expect(rows(applyOrientation(small, 0))).toEqual(expected[1]);
  });

  it('agrees exactly with libvips auto-rotation (sharp) for all 8 orientations', async () => {
    const jpg = encodeJpeg(24, 16, toRgba(patternImage(24, 16)), 95);
    for (let o = 1; o <= 8; o++) {
      const tagged = await sharp(Buffer.from(jpg)).withMetadata({ orientation: o }).jpeg({ quality: 100 }).toBuffer();
      // Same decoder on both sides: decode the tagged file upright with libvips, and rotate its stored pixels ourselves.
      const upright = await sharp(tagged).rotate().raw().toBuffer({ resolveWithObject: true });
      const storedAgain = await sharp(tagged).raw().toBuffer({ resolveWithObject: true });
      expect(readExifOrientation(new Uint8Array(tagged))).toBe(o);
      const ours = applyOrientation(
        { data: new Uint8Array(storedAgain.data), width: storedAgain.info.width, height: storedAgain.info.height, channels: 3 },
        o,
      );
      expect([ours.width, ours.height]).toEqual([upright.info.width, upright.info.height]);
      expect(Buffer.from(ours.data).equals(upright.data)).toBe(true);
    }
  });
});

describe('the Node decoder and EXIF', () => {
  // A 128×64 JPEG tagged "rotate 90° clockwise" (6). smart_resize keeps 64×128 (8192 px ≥ 4096).
  const tagged = insertAfterSoi(encodeJpeg(128, 64, toRgba(patternImage(128, 64))), exifSegment(6));
  writeFileSync(join(tmp.dir, 'tagged.jpg'), tagged);
  const item = { type: 'image' as const, image: 'tagged.jpg', min_pixels: 4096, max_pixels: 1843200 };

  it('ignores the tag by default, as the reference does (stored 128×64 → grid [1, 4, 8])', async () => {
    const d = nodeMediaDecoder(tmp.dir);
    expect((await d.measure(item)).grid).toEqual([1, 4, 8]);
    expect((await d.image(item)).grid).toEqual([1, 4, 8]);
  });

  it("turns the image upright with exifOrientation 'apply' (64×128 → grid [1, 8, 4])", async () => {
    const d = nodeMediaDecoder(tmp.dir, { exifOrientation: 'apply' });
    expect((await d.measure(item)).grid).toEqual([1, 8, 4]);
    expect((await d.image(item)).grid).toEqual([1, 8, 4]);
  });
});
