// Issue 18 point 5: Node accepts the image formats the browser accepts, decided by the reference (PIL):
// AVIF (ffmpeg), animated WebP (its first frame, libwebp in WebAssembly — as PIL and Chromium),
// arithmetic-coded JPEG (libjpeg-turbo in WebAssembly, = PIL exactly); 12-bit JPEG and AVIF with alpha
// are refused with a clear message (PIL cannot open a 12-bit JPEG either). The same files go through
// Chromium in e2e/media.spec.ts ('image formats: …'), which compares the two decoders' patches.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, describe, expect, it } from 'vitest';
import { readImageHeader } from '../../src/media/imageHeader.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { decodeImageBytes } from '../../src/media/nodeImage.ts';
import { toRgb, type RawPixels } from '../../src/media/pixels.ts';
import { animatedWebpWithOffsetFrame, relabelJpegPrecision, webpChunks } from './formatFixtures.ts';
import { ffmpeg, mediaErrorOf, tempDir } from './helpers.ts';
import { report } from '../helpers/report.ts';

const tmp = tempDir();
const at = (f: string) => join(tmp.dir, f);
const data = (f: string) => new Uint8Array(readFileSync(join(import.meta.dirname, 'data', f)));
afterAll(() => tmp.cleanup());

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** ffmpeg's own decode of a file as raw RGB24 / RGBA. */
function ffmpegRaw(file: string, pixFmt: 'rgb24' | 'rgba'): Uint8Array {
  const args = ['-v', 'error', '-i', file, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', pixFmt, '-'];
  return new Uint8Array(execFileSync('ffmpeg', args, { maxBuffer: 1 << 26 }));
}

/** PIL (the reference) decode + to_rgb, when this machine has Pillow. */
function pilRgb(file: string): Uint8Array | null {
  const py = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import PIL'], { stdio: 'ignore' }).status === 0);
  if (!py) return null;
  const code =
    'import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1])\nif im.mode == "RGBA":\n  bg = Image.new("RGB", im.size, (255, 255, 255)); bg.paste(im, mask=im.split()[3]); im = bg\nsys.stdout.buffer.write(im.convert("RGB").tobytes())';
  return new Uint8Array(execFileSync(py, ['-c', code, file], { maxBuffer: 1 << 26 }));
}

const rgbOf = (px: RawPixels) => toRgb(px).data;

describe('image formats in Node = the browser set', () => {
  it("AVIF (4:2:0, 4:4:4): decoded (ffmpeg's AV1 planes, libavif's conversion), close to the source", async () => {
    // Chromium's pixels for the same files: e2e/media.spec.ts ('image formats: …').
    for (const [size, pixFmt] of [
      ['120x90', 'yuv420p'],
      ['130x86', 'yuv420p'],
      ['120x90', 'yuv444p'],
    ] as const) {
      const [w, h] = size.split('x').map(Number);
      ffmpeg(['-f', 'lavfi', '-i', `testsrc2=size=${size}`, '-frames:v', '1', at('src.png')]);
      ffmpeg(['-i', at('src.png'), '-c:v', 'libaom-av1', '-still-picture', '1', '-crf', '4', '-pix_fmt', pixFmt, at('still.avif')]);
      const bytes = new Uint8Array(readFileSync(at('still.avif')));
      const header = readImageHeader(bytes);
      expect(header).toMatchObject({ format: 'avif', width: w, height: h });
      expect(header.av1).toMatchObject({
        bitDepth: 8,
        monochrome: false,
        matrix: 2,
        fullRange: false,
        subsamplingX: pixFmt === 'yuv420p',
        subsamplingY: pixFmt === 'yuv420p',
      });
      const px = await decodeImageBytes(bytes);
      expect([px.width, px.height, px.channels]).toEqual([w, h, 3]);
      const src = ffmpegRaw(at('src.png'), 'rgb24');
      let sum = 0;
      for (let i = 0; i < src.length; i++) sum += Math.abs(src[i] - px.data[i]);
      // Nearly lossless: a wrong matrix, range or plane layout would be tens of levels off on average.
      report(`${size} ${pixFmt}: mean ${(sum / src.length).toFixed(3)}`);
      expect(sum / src.length, `${size} ${pixFmt}`).toBeLessThan(pixFmt === 'yuv444p' ? 1.5 : 7); // 4:2:0 of this sharp pattern alone costs ~5 (ffmpeg's own round trip: 5.1)
    }
  });

  it('AVIF with an alpha channel: refused with a clear message (ffmpeg reads only the colour item)', async () => {
    const bytes = new Uint8Array(readFileSync(at('still.avif')));
    // An auxiliary-alpha declaration in the meta box is what marks the alpha item.
    const urn = new TextEncoder().encode('urn:mpeg:mpegB:cicp:systems:auxiliary:alpha');
    const withAlpha = new Uint8Array(bytes.length + urn.length);
    withAlpha.set(bytes);
    withAlpha.set(urn, bytes.length);
    expect(readImageHeader(withAlpha).alpha).toBe(true);
    const e = await mediaErrorOf(() => decodeImageBytes(withAlpha));
    expect(e.code).toBe('unsupported-format');
    expect(e.message).toMatch(/AVIF images with an alpha channel .* convert it to PNG/);
  });

  it('animated WebP: the first frame, exactly (lossless); = PIL for a lossy animation', async () => {
    // Three different frames (PNGs first: ffmpeg cannot decode animated WebP); lossless, so frame 0
    // must come back bit-exact.
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=120x90:rate=5', '-frames:v', '3', at('f%d.png')]);
    ffmpeg(['-framerate', '5', '-i', at('f%d.png'), '-c:v', 'libwebp_anim', '-lossless', '1', '-loop', '0', at('anim.webp')]);
    const bytes = new Uint8Array(readFileSync(at('anim.webp')));
    const h = readImageHeader(bytes);
    expect(h).toMatchObject({ format: 'webp', width: 120, height: 90, animated: true });
    expect(webpChunks(bytes).filter((c) => c === 'ANMF').length).toBe(3);
    const px = await decodeImageBytes(bytes);
    const frame0 = ffmpegRaw(at('f1.png'), 'rgb24');
    expect(maxDiff(frame0, ffmpegRaw(at('f2.png'), 'rgb24'))).toBeGreaterThan(50); // the frames do differ
    expect(maxDiff(rgbOf(px), frame0)).toBe(0);

    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=120x90:rate=5',
      '-t',
      '0.6',
      '-c:v',
      'libwebp_anim',
      '-lossless',
      '0',
      '-q:v',
      '75',
      '-loop',
      '0',
      at('anim-lossy.webp'),
    ]);
    const lossy = await decodeImageBytes(new Uint8Array(readFileSync(at('anim-lossy.webp'))));
    const pil = pilRgb(at('anim-lossy.webp'));
    if (pil) expect(maxDiff(rgbOf(lossy), pil)).toBe(0);
    else report('(no Pillow here: the lossy animation is compared in Chromium only, e2e/media.spec.ts)');
  });

  it('animated images say in a warning that only the first frame is scored (WebP and GIF); still ones do not', async () => {
    const warning = (format: string, n: number) =>
      `this ${format} is animated (${n} frames): only its first frame is scored, as the reference (PIL) does`;
    expect((await decodeImageBytes(new Uint8Array(readFileSync(at('anim.webp'))))).warning).toBe(warning('WebP', 3));
    ffmpeg(['-framerate', '5', '-i', at('f%d.png'), at('anim.gif')]);
    expect((await decodeImageBytes(new Uint8Array(readFileSync(at('anim.gif'))))).warning).toBe(warning('GIF', 3));
    ffmpeg(['-i', at('f1.png'), at('still.gif')]);
    expect((await decodeImageBytes(new Uint8Array(readFileSync(at('still.gif'))))).warning).toBeUndefined();
    expect((await decodeImageBytes(new Uint8Array(readFileSync(at('f1.png'))))).warning).toBeUndefined();
  });

  it('animated WebP whose first frame covers part of the canvas: placed at its offset on a transparent canvas', async () => {
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=40x30', '-frames:v', '1', '-c:v', 'libwebp', '-lossless', '1', at('frame.webp')]);
    const file = animatedWebpWithOffsetFrame(new Uint8Array(readFileSync(at('frame.webp'))), { canvas: [100, 80], offset: [20, 10] });
    const px = await decodeImageBytes(file);
    expect([px.width, px.height, px.channels]).toEqual([100, 80, 4]); // VP8X alpha flag: PIL "RGBA"
    const frame = ffmpegRaw(at('frame.webp'), 'rgba');
    for (const [x, y] of [
      [0, 0],
      [19, 10],
      [99, 79],
      [60, 40],
    ])
      expect(px.data[(y * 100 + x) * 4 + 3]).toBe(0); // outside: transparent
    for (const [x, y] of [
      [20, 10],
      [59, 39],
      [35, 20],
    ]) {
      const got = Array.from(px.data.subarray((y * 100 + x) * 4, (y * 100 + x) * 4 + 4));
      const want = Array.from(frame.subarray(((y - 10) * 40 + x - 20) * 4, ((y - 10) * 40 + x - 20) * 4 + 4));
      expect(got).toEqual(want);
    }
    writeFileSync(at('offset.webp'), file);
    const pil = pilRgb(at('offset.webp'));
    if (pil) expect(maxDiff(rgbOf(px), pil)).toBe(0); // PIL's WebPAnimDecoder draws it the same way
  });

  it('arithmetic-coded JPEG (sequential and progressive): bit-identical to PIL', async () => {
    const png = PNG.sync.read(Buffer.from(data('arithmetic.pil.png')));
    const pil = new Uint8Array(png.width * png.height * 3);
    for (let i = 0; i < png.width * png.height; i++) for (let c = 0; c < 3; c++) pil[i * 3 + c] = png.data[i * 4 + c];
    for (const [f, sof] of [
      ['arithmetic.jpg', 0xc9],
      ['arithmetic-progressive.jpg', 0xca],
    ] as const) {
      const bytes = data(f);
      expect(readImageHeader(bytes).sof).toBe(sof);
      const px = await decodeImageBytes(bytes);
      expect([px.width, px.height, px.channels]).toEqual([96, 64, 3]);
      expect(maxDiff(px.data as Uint8Array, pil)).toBe(0);
    }
  });

  it("lossless JPEG (ffmpeg ljpeg): refused with the browser's message (Chromium cannot decode it)", async () => {
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64',
      '-frames:v',
      '1',
      '-c:v',
      'ljpeg',
      '-pix_fmt',
      'yuvj420p',
      '-strict',
      '-1',
      at('lossless.jpg'),
    ]);
    const bytes = new Uint8Array(readFileSync(at('lossless.jpg')));
    expect(readImageHeader(bytes)).toMatchObject({ format: 'jpeg', sof: 0xc3, precision: 8 });
    const e = await mediaErrorOf(() => decodeImageBytes(bytes));
    expect(e.code).toBe('unsupported-format');
    expect(e.message).toBe('this is a lossless JPEG, which browsers and Sift cannot decode; re-save it as a standard JPEG or as PNG');
  });

  it('12-bit JPEG: refused, as PIL refuses it ("cannot handle 12-bit layers")', async () => {
    const twelve = relabelJpegPrecision(data('arithmetic-source.jpg'), 12);
    expect(readImageHeader(twelve)).toMatchObject({ format: 'jpeg', precision: 12, sof: 0xc1 });
    const e = await mediaErrorOf(() => decodeImageBytes(twelve));
    expect(e.code).toBe('unsupported-format');
    writeFileSync(at('twelve.jpg'), twelve); // sizing it for `sift prompt --expand` refuses it too
    const measured = await mediaErrorOf(() =>
      nodeMediaDecoder(tmp.dir).measure({ type: 'image', image: 'twelve.jpg', min_pixels: 4096, max_pixels: 1_843_200 }),
    );
    expect(measured.message).toBe(`twelve.jpg: ${e.message}`);
    expect(e.message).toBe(
      'this is a 12-bit JPEG: the reference (Pillow) opens only 8-bit JPEGs and browsers cannot decode it; convert it to an 8-bit JPEG or to PNG',
    );
  });
});
