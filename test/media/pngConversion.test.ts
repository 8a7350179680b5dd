// PNG colour types → RGB the way the reference gets there: PIL opens the PNG in the mode that
// PngImagePlugin._MODES gives (e.g. (16, 0) → "I;16", (8, 4) → "LA", (16, 4) → "RGBA" via "LA;16B",
// (16, 2) → "RGB" via "RGB;16B", palette → "P" with tRNS kept in info), then qwen-vl-utils `to_rgb`
// (vision_process.py l.84–90) pastes only mode "RGBA" on white and calls convert("RGB") on everything
// else — which drops transparency (Image.convert: "P"/"L"/"RGB" → "RGB" deletes tRNS) and, for "I;16",
// clips at 255 (libImaging Convert.c I16_RGB: `in[1] == 0 ? in[0] : 255`). 16-bit rawmodes keep the
// high byte. The PNGs are hand-built, so pngjs' own conventions cannot leak into the expectations.
import { describe, expect, it } from 'vitest';
import { decodeImageBytes } from '../../src/media/nodeImage.ts';
import { toRgb, type RawPixels } from '../../src/media/pixels.ts';
import { makePng, mediaErrorOf, u16 } from './helpers.ts';

const rgbOf = async (png: Uint8Array): Promise<{ px: RawPixels; rgb: number[] }> => {
  const px = await decodeImageBytes(png);
  return { px, rgb: Array.from(toRgb(px).data) };
};
const gray = (...v: number[]) => v.flatMap((x) => [x, x, x]);

describe('PNG → RGB like PIL + to_rgb', () => {
  it('gray 8-bit is replicated', async () => {
    const { px, rgb } = await rgbOf(makePng({ width: 3, height: 1, bitDepth: 8, colorType: 0, rows: [[0, 128, 255]] }));
    expect(px.channels).toBe(3);
    expect(rgb).toEqual(gray(0, 128, 255));
  });

  it('gray 1-bit is 0 / 255', async () => {
    // 4 pixels 0,1,1,0 packed MSB first: 0b0110_0000.
    const { rgb } = await rgbOf(makePng({ width: 4, height: 1, bitDepth: 1, colorType: 0, rows: [[0x60]] }));
    expect(rgb).toEqual(gray(0, 255, 255, 0));
  });

  it('gray 16-bit ("I;16") clips at 255 instead of scaling', async () => {
    const { rgb } = await rgbOf(
      makePng({ width: 4, height: 1, bitDepth: 16, colorType: 0, rows: [[...u16(100), ...u16(255), ...u16(256), ...u16(40000)]] }),
    );
    expect(rgb).toEqual(gray(100, 255, 255, 255));
  });

  it('gray with tRNS keeps the pixel value (transparency dropped)', async () => {
    const { px, rgb } = await rgbOf(makePng({ width: 3, height: 1, bitDepth: 8, colorType: 0, rows: [[0, 128, 255]], trns: u16(128) }));
    expect(px.channels).toBe(3);
    expect(rgb).toEqual(gray(0, 128, 255));
  });

  it('RGB with tRNS keeps the colour (pngjs alone would blacken it)', async () => {
    const { px, rgb } = await rgbOf(
      makePng({
        width: 2,
        height: 1,
        bitDepth: 8,
        colorType: 2,
        rows: [[10, 20, 30, 1, 2, 3]],
        trns: [...u16(10), ...u16(20), ...u16(30)],
      }),
    );
    expect(px.channels).toBe(3);
    expect(rgb).toEqual([10, 20, 30, 1, 2, 3]);
  });

  it('RGB 16-bit keeps the high byte ("RGB;16B")', async () => {
    const { rgb } = await rgbOf(
      makePng({ width: 1, height: 1, bitDepth: 16, colorType: 2, rows: [[...u16(0x1234), ...u16(0xabff), ...u16(0x80ff)]] }),
    );
    expect(rgb).toEqual([0x12, 0xab, 0x80]);
  });

  it('palette + tRNS: the palette colour, alpha dropped', async () => {
    // Indices 0,1,2,1 in 2-bit: 0b00_01_10_01 = 0x19; index 1 is fully transparent.
    const png = makePng({
      width: 4,
      height: 1,
      bitDepth: 2,
      colorType: 3,
      rows: [[0x19]],
      plte: [255, 0, 0, 0, 255, 0, 0, 0, 255],
      trns: [255, 0],
    });
    const { px, rgb } = await rgbOf(png);
    expect(px.channels).toBe(3);
    expect(rgb).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 255, 0]);
  });

  it('gray + alpha 8-bit ("LA"): alpha dropped, not composited', async () => {
    const { px, rgb } = await rgbOf(makePng({ width: 2, height: 1, bitDepth: 8, colorType: 4, rows: [[200, 0, 50, 255]] }));
    expect(px.channels).toBe(3);
    expect(rgb).toEqual(gray(200, 50));
  });

  it('gray + alpha 16-bit opens as "RGBA": high bytes, composited on white', async () => {
    // L = 0x64 = 100 each; A = 0 → white; A = 0x80 = 128 → DIV255(100·128 + 255·127) = 177; A = 255 → 100.
    const rows = [[...u16(0x64ff), ...u16(0x0000), ...u16(0x6400), ...u16(0x80ff), ...u16(0x6400), ...u16(0xffff)]];
    const { px, rgb } = await rgbOf(makePng({ width: 3, height: 1, bitDepth: 16, colorType: 4, rows }));
    expect(px.channels).toBe(4);
    expect(rgb).toEqual(gray(255, 177, 100));
  });

  it('RGBA 8-bit is composited on white with PIL rounding', async () => {
    // (200,100,0) at alpha 128: (c·128 + 255·127)/255 = 227.4, 177.2, 127.0 → 227, 177, 127.
    const rows = [[10, 20, 30, 0, 10, 20, 30, 255, 200, 100, 0, 128]];
    const { px, rgb } = await rgbOf(makePng({ width: 3, height: 1, bitDepth: 8, colorType: 6, rows }));
    expect(px.channels).toBe(4);
    expect(rgb).toEqual([255, 255, 255, 10, 20, 30, 227, 177, 127]);
  });

  it('RGBA 16-bit: high bytes, then composited', async () => {
    const rows = [
      [...u16(0x0aff), ...u16(0x14ff), ...u16(0x1eff), ...u16(0x00ff), ...u16(0x0a00), ...u16(0x1400), ...u16(0x1e00), ...u16(0xff00)],
    ];
    const { rgb } = await rgbOf(makePng({ width: 2, height: 1, bitDepth: 16, colorType: 6, rows }));
    expect(rgb).toEqual([255, 255, 255, 10, 20, 30]);
  });

  it('a PNG with a damaged IDAT is corrupt', async () => {
    const png = makePng({ width: 4, height: 4, bitDepth: 8, colorType: 2, rows: Array.from({ length: 4 }, () => Array(12).fill(7)) });
    const broken = png.slice();
    broken[broken.length - 20] ^= 0xff; // inside IDAT: the CRC no longer matches
    const e = await mediaErrorOf(() => decodeImageBytes(broken));
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/cannot decode this PNG/);
  });
});
