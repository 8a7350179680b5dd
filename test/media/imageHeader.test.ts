// Header reading. Hand-built headers follow the format specifications (PNG IHDR; JPEG SOFn; GIF logical
// screen descriptor; WebP VP8 / VP8L / VP8X; BMP BITMAPINFOHEADER / BITMAPCOREHEADER; TIFF IFD0 tags
// 256/257; HEIF `ispe`); files written by other encoders (pngjs, jpeg-js, ffmpeg) check the same readers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectImageFormat, readImageHeader } from '../../src/media/imageHeader.ts';
import { encodeJpeg, encodePng, exifSegment, insertAfterSoi, patternImage, toRgba } from './fixtures.ts';
import { chunk, concat, ffmpeg, ihdr, mediaErrorOf, PNG_SIGNATURE, tempDir } from './helpers.ts';

const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0));
const le32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const le16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];
const be32 = (v: number) => [(v >>> 24) & 0xff, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];

function riff(chunkType: string, payload: number[]): Uint8Array {
  const body = [...ascii('WEBP'), ...ascii(chunkType), ...le32(payload.length), ...payload];
  return Uint8Array.from([...ascii('RIFF'), ...le32(body.length), ...body]);
}

function box(type: string, payload: number[]): number[] {
  return [...be32(8 + payload.length), ...ascii(type), ...payload];
}

function heif(brand: string, compat: string[], sizes: [number, number][]): Uint8Array {
  const ftyp = box('ftyp', [...ascii(brand), 0, 0, 0, 0, ...compat.flatMap(ascii)]);
  const ispes = sizes.flatMap(([w, h]) => box('ispe', [0, 0, 0, 0, ...be32(w), ...be32(h)]));
  const meta = box('meta', [0, 0, 0, 0, ...box('hdlr', [0, 0, 0, 0, 0, 0, 0, 0, ...ascii('pict')]), ...box('iprp', box('ipco', ispes))]);
  return Uint8Array.from([...ftyp, ...meta]);
}

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('readImageHeader on hand-built headers', () => {
  it('PNG: IHDR width, height, bit depth, colour type', () => {
    const h = readImageHeader(concat([PNG_SIGNATURE, ihdr(300, 7, 16, 4)]));
    expect(h).toEqual({ format: 'png', width: 300, height: 7, png: { bitDepth: 16, colorType: 4 } });
  });

  it('a 20000×20000 PNG is sized from 33 bytes', () => {
    expect(readImageHeader(concat([PNG_SIGNATURE, ihdr(20000, 20000, 8, 6)]))).toMatchObject({ width: 20000, height: 20000 });
  });

  it('GIF: the logical screen size, little-endian', () => {
    expect(readImageHeader(Uint8Array.from([...ascii('GIF89a'), ...le16(300), ...le16(7), 0, 0, 0]))).toEqual({
      format: 'gif',
      width: 300,
      height: 7,
    });
    expect(readImageHeader(Uint8Array.from([...ascii('GIF87a'), ...le16(1), ...le16(65535), 0, 0, 0]))).toMatchObject({
      width: 1,
      height: 65535,
    });
  });

  it('WebP: VP8X (canvas − 1, 24 bit), VP8L (14-bit fields), VP8 (key frame)', () => {
    // VP8X with the alpha flag (0x10), canvas 1000×2000 stored as 999, 1999.
    const vp8x = riff('VP8X', [0x10, 0, 0, 0, ...le32(999).slice(0, 3), ...le32(1999).slice(0, 3)]);
    expect(readImageHeader(vp8x)).toEqual({ format: 'webp', width: 1000, height: 2000, alpha: true, animated: false });
    // VP8L: 0x2f, then width−1 (14 bits), height−1 (14 bits), alpha_is_used (1 bit), version (3 bits).
    const bits = 40 | (28 << 14) | (1 << 28);
    expect(readImageHeader(riff('VP8L', [0x2f, ...le32(bits), 0]))).toEqual({ format: 'webp', width: 41, height: 29, alpha: true });
    // VP8: 3-byte frame tag, start code 9d 01 2a, 14-bit width and height (top 2 bits = scale).
    const vp8 = riff('VP8 ', [0x50, 0x03, 0x00, 0x9d, 0x01, 0x2a, ...le16(41 | (1 << 14)), ...le16(29), 0, 0]);
    expect(readImageHeader(vp8)).toEqual({ format: 'webp', width: 41, height: 29, alpha: false });
  });

  it('BMP: signed height (top-down rows) and the OS/2 core header', () => {
    const info = [...ascii('BM'), ...le32(0), 0, 0, 0, 0, ...le32(54), ...le32(40), ...le32(41), ...le32(-29 >>> 0), 1, 0, 24, 0];
    expect(readImageHeader(Uint8Array.from(info))).toEqual({ format: 'bmp', width: 41, height: 29 });
    const core = [...ascii('BM'), ...le32(0), 0, 0, 0, 0, ...le32(26), ...le32(12), ...le16(41), ...le16(29), 1, 0, 24, 0];
    expect(readImageHeader(Uint8Array.from(core))).toEqual({ format: 'bmp', width: 41, height: 29 });
  });

  it('TIFF: ImageWidth (SHORT) and ImageLength (LONG) in both byte orders', () => {
    const entry = (tag: number, type: number, value: number, le: boolean) => {
      const b = new Uint8Array(12);
      const dv = new DataView(b.buffer);
      dv.setUint16(0, tag, le);
      dv.setUint16(2, type, le);
      dv.setUint32(4, 1, le);
      if (type === 3) dv.setUint16(8, value, le);
      else dv.setUint32(8, value, le);
      return b;
    };
    for (const le of [true, false]) {
      const head = new Uint8Array(10);
      const dv = new DataView(head.buffer);
      head.set(le ? [0x49, 0x49] : [0x4d, 0x4d]);
      dv.setUint16(2, 42, le);
      dv.setUint32(4, 8, le);
      dv.setUint16(8, 2, le);
      const file = concat([head, entry(256, 3, 41, le), entry(257, 4, 70000, le), new Uint8Array(4)]);
      expect(readImageHeader(file)).toEqual({ format: 'tiff', width: 41, height: 70000 });
    }
  });

  it('AVIF / HEIC: brand from ftyp, size from the largest ispe', () => {
    expect(
      readImageHeader(
        heif(
          'avif',
          ['mif1', 'miaf'],
          [
            [4032, 3024],
            [320, 240],
          ],
        ),
      ),
    ).toEqual({ format: 'avif', width: 4032, height: 3024 });
    expect(
      readImageHeader(
        heif(
          'heic',
          ['mif1', 'heic'],
          [
            [512, 512],
            [4032, 3024],
          ],
        ),
      ),
    ).toEqual({ format: 'heic', width: 4032, height: 3024 });
    // mif1 as the major brand with avif among the compatible ones is AVIF.
    expect(detectImageFormat(heif('mif1', ['avif'], [[1, 1]]))).toBe('avif');
    // An MP4 is ISO-BMFF too, but not an image.
    expect(detectImageFormat(heif('isom', ['iso2', 'mp41'], [[1, 1]]))).toBeNull();
  });
});

describe('readImageHeader on files from real encoders', () => {
  const img = patternImage(41, 29);
  const png = encodePng(41, 29, toRgba(img));
  const jpg = encodeJpeg(41, 29, toRgba(img));
  const pngPath = join(tmp.dir, 'src.png');
  writeFileSync(pngPath, png);
  // A source with real transparency, so that libwebp keeps an alpha channel.
  const alphaPath = join(tmp.dir, 'alpha.png');
  writeFileSync(alphaPath, encodePng(41, 29, patternImage(41, 29, 4).data as Uint8Array));

  it('pngjs PNG and jpeg-js JPEG', () => {
    expect(readImageHeader(png)).toEqual({ format: 'png', width: 41, height: 29, png: { bitDepth: 8, colorType: 6 } });
    expect(readImageHeader(jpg)).toEqual({ format: 'jpeg', width: 41, height: 29, sof: 0xc0, precision: 8 }); // baseline
  });

  it('a JPEG whose frame header comes after an Exif segment', () => {
    expect(readImageHeader(insertAfterSoi(jpg, exifSegment(6)))).toEqual({
      format: 'jpeg',
      width: 41,
      height: 29,
      sof: 0xc0,
      precision: 8,
    });
  });

  it('ffmpeg-written GIF, WebP (lossy, lossless, alpha), BMP, TIFF', () => {
    const cases: [string, string, string[], object][] = [
      ['x.gif', pngPath, [], { format: 'gif' }],
      ['x.webp', pngPath, ['-c:v', 'libwebp'], { format: 'webp', alpha: false }],
      ['xl.webp', pngPath, ['-c:v', 'libwebp', '-lossless', '1'], { format: 'webp', alpha: false }],
      ['xa.webp', alphaPath, ['-c:v', 'libwebp', '-pix_fmt', 'yuva420p'], { format: 'webp', alpha: true }],
      ['xla.webp', alphaPath, ['-c:v', 'libwebp', '-lossless', '1'], { format: 'webp', alpha: true }],
      ['x.bmp', pngPath, [], { format: 'bmp' }],
      ['x.tiff', pngPath, [], { format: 'tiff' }],
    ];
    for (const [name, src, opts, expected] of cases) {
      const out = join(tmp.dir, name);
      ffmpeg(['-i', src, ...opts, '-frames:v', '1', out]);
      const h = readImageHeader(new Uint8Array(readFileSync(out)));
      // Lossy WebP is 4:2:0 but keeps odd sizes; every format must report 41×29.
      expect({ name, ...h }).toMatchObject({ name, width: 41, height: 29, ...expected });
    }
  });
});

describe('readImageHeader errors', () => {
  it("'empty' for zero bytes", async () => {
    const e = await mediaErrorOf(() => readImageHeader(new Uint8Array(0)));
    expect(e.code).toBe('empty');
    expect(e.message).toMatch(/empty/);
  });

  it("'not-an-image' for a text file renamed .jpg", async () => {
    const e = await mediaErrorOf(() => readImageHeader(new TextEncoder().encode('just some notes, saved as notes.jpg\n')));
    expect(e.code).toBe('not-an-image');
    expect(e.message).toMatch(/not an image/);
  });

  it("'unsupported-format' for SVG", async () => {
    const svg = new TextEncoder().encode('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    expect((await mediaErrorOf(() => readImageHeader(svg))).code).toBe('unsupported-format');
  });

  it("'corrupt' for truncated headers", async () => {
    const png = encodePng(8, 8, toRgba(patternImage(8, 8)));
    const jpg = encodeJpeg(8, 8, toRgba(patternImage(8, 8)));
    // 20 bytes: signature + IHDR length/type + half the width.
    expect((await mediaErrorOf(() => readImageHeader(png.subarray(0, 20)))).code).toBe('corrupt');
    // jpeg-js writes APP0, DQT, SOF0…; 100 bytes end inside the quantisation tables, before SOF0.
    const sof = jpg.findIndex((v, i) => v === 0xff && jpg[i + 1] === 0xc0);
    expect(sof).toBeGreaterThan(100);
    const e = await mediaErrorOf(() => readImageHeader(jpg.subarray(0, 100)));
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/JPEG header is truncated/);
    expect((await mediaErrorOf(() => readImageHeader(Uint8Array.from([...ascii('GIF89a'), 1])))).code).toBe('corrupt');
    expect((await mediaErrorOf(() => readImageHeader(riff('VP8X', [0x10, 0, 0])))).code).toBe('corrupt');
  });

  it("'corrupt' for a zero side", async () => {
    const e = await mediaErrorOf(() => readImageHeader(concat([PNG_SIGNATURE, ihdr(0, 10, 8, 2)])));
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/0×10/);
  });

  it('ignores later chunks (only IHDR is needed)', () => {
    const withText = concat([PNG_SIGNATURE, ihdr(5, 6, 8, 0), chunk('tEXt', new TextEncoder().encode('a\0b'))]);
    expect(readImageHeader(withText)).toMatchObject({ width: 5, height: 6 });
  });
});
