// nodeMediaDecoder end to end on real files written at test time (pngjs, ffmpeg), nothing mocked:
// image sources, decode limits and errors, the JPEG decoder gap to libjpeg-turbo, videos decoded with
// ffmpeg (H.264 MP4, VP9 WebM, HEVC), broken videos, frame lists. Expected grids and timestamps are
// worked out from the reference (vision_process.py smart_resize / smart_nframes / fetch_video,
// Qwen3VLProcessor._calculate_timestamps), as in smartResize.test.ts and videoPlan.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preprocessImage } from '../../src/media/image.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { decodeImageBytes } from '../../src/media/nodeImage.ts';
import { decodeVideoFrames, findFfTools, probeVideo } from '../../src/media/nodeFfmpeg.ts';
import { normalizedSample } from '../../src/media/patches.ts';
import type { ImageItem, VideoItem } from '../../src/prompt/conversation.ts';
import { encodePng, patternImage, solidImage, toRgba } from './fixtures.ts';
import { concat, ffmpeg, ihdr, mediaErrorOf, PNG_SIGNATURE, tempDir } from './helpers.ts';
import { report } from '../helpers/report.ts';

const tmp = tempDir();
const at = (name: string) => join(tmp.dir, name);
const imageItem = (image: unknown): ImageItem => ({ type: 'image', image: image as string, min_pixels: 4096, max_pixels: 1843200 });
const videoItem = (video: unknown, extra: Partial<VideoItem> = {}): VideoItem => ({
  type: 'video',
  video: video as string,
  fps: 1,
  max_frames: 64,
  total_pixels: 7864320,
  ...extra,
});

let server: Server;
let baseUrl = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    try {
      const body = readFileSync(at(name));
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  baseUrl = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

describe('images', () => {
  // 200×150 RGBA with varying alpha: smart_resize(150, 200): round(4.69) = 5 → 160, round(6.25) = 6 → 192;
  // 30720 px is within [4096, 1843200] → grid [1, 10, 12].
  const rgba = patternImage(200, 150, 4);
  const png = encodePng(200, 150, rgba.data as Uint8Array);
  writeFileSync(at('photo.png'), png);
  writeFileSync(at('pattern.png'), encodePng(200, 150, toRgba(patternImage(200, 150))));

  it('decodes a PNG exactly like an independent decoder (libvips/libspng via sharp) + preprocessImage', async () => {
    const d = nodeMediaDecoder(tmp.dir);
    const got = await d.image(imageItem('photo.png'));
    expect(got.grid).toEqual([1, 10, 12]);
    const ref = await sharp(Buffer.from(png)).raw().toBuffer({ resolveWithObject: true });
    expect(ref.info.channels).toBe(4);
    const expected = preprocessImage({ data: new Uint8Array(ref.data), width: 200, height: 150, channels: 4 });
    expect(got.patches).toEqual(expected.patches);
    expect(await d.measure(imageItem('photo.png'))).toEqual({ grid: [1, 10, 12] });
  });

  it('normalises a solid colour to (x/255 − 0.5)/0.5 exactly', async () => {
    // 64×64 needs no resize; (255, 0, 128) → 1, −1, (128/255 − 0.5)/0.5 = 0.00392157.
    writeFileSync(at('solid.png'), encodePng(64, 64, toRgba(solidImage(64, 64, [255, 0, 128]))));
    const got = await nodeMediaDecoder(tmp.dir).image(imageItem('solid.png'));
    expect(got.grid).toEqual([1, 4, 4]);
    // Row layout: channel-major, then temporal (2), then 16×16.
    const row = got.patches.subarray(0, 1536);
    expect(new Set(row.subarray(0, 512))).toEqual(new Set([1]));
    expect(new Set(row.subarray(512, 1024))).toEqual(new Set([-1]));
    expect(new Set(row.subarray(1024))).toEqual(new Set([Math.fround(0.5 / 127.5)]));
  });

  it('decodes JPEGs within 3 levels of libjpeg-turbo (what Pillow uses), any chroma subsampling', async () => {
    // Reference decoder: sharp's libjpeg-turbo (default islow IDCT + fancy upsampling, as in Pillow).
    // Measured on the hard pattern, 200×150 and 201×151, sharp 4:2:0 / 4:4:4 and ffmpeg 4:2:0 / 4:2:2 /
    // 4:4:0 / 4:4:4: max 3 levels, mean 0.11–0.13, ~88 % of samples identical (the IDCTs differ).
    // jpeg-js on its own (nearest chroma, float colour conversion) is 89 levels off on the 4:2:0 files.
    const jpegJs = (await import('jpeg-js')).default;
    for (const [W, H] of [
      [200, 150],
      [201, 151],
    ]) {
      const rgb = patternImage(W, H);
      writeFileSync(at('pp.png'), encodePng(W, H, toRgba(rgb)));
      const files: [string, Uint8Array][] = [];
      for (const sub of ['4:2:0', '4:4:4']) {
        const jpg = await sharp(Buffer.from(rgb.data), { raw: { width: W, height: H, channels: 3 } })
          .jpeg({ quality: 90, chromaSubsampling: sub })
          .toBuffer();
        files.push([`sharp ${sub}`, new Uint8Array(jpg)]);
      }
      for (const pf of ['yuvj420p', 'yuvj422p', 'yuvj444p']) {
        ffmpeg(['-i', at('pp.png'), '-pix_fmt', pf, '-q:v', '3', at(`pp-${pf}.jpg`)]);
        files.push([`ffmpeg ${pf}`, new Uint8Array(readFileSync(at(`pp-${pf}.jpg`)))]);
      }
      for (const [label, jpg] of files) {
        const name = `j-${W}-${label.replace(/[^a-z0-9]/gi, '')}.jpg`;
        writeFileSync(at(name), jpg);
        const ref = new Uint8Array(await sharp(Buffer.from(jpg)).raw().toBuffer());
        const ours = (await decodeImageBytes(jpg)).data;
        let max = 0;
        for (let i = 0; i < ref.length; i++) max = Math.max(max, Math.abs(ours[i] - ref[i]));
        expect({ label, W, max }).toEqual({ label, W, max: expect.toBeOneOf([0, 1, 2, 3]) });
        if (label.includes('4:2:0')) {
          const plain = jpegJs.decode(jpg, { useTArray: true, formatAsRGBA: false }).data;
          let plainMax = 0;
          for (let i = 0; i < ref.length; i++) plainMax = Math.max(plainMax, Math.abs(plain[i] - ref[i]));
          expect(plainMax).toBeGreaterThan(50);
        }
        // Through the decoder: the patches stay within the same 3 levels.
        const got = await nodeMediaDecoder(tmp.dir).image(imageItem(name));
        const expected = preprocessImage({ data: ref, width: W, height: H, channels: 3 });
        expect(got.grid).toEqual(expected.grid);
        let pmax = 0;
        for (let i = 0; i < got.patches.length; i++) pmax = Math.max(pmax, Math.abs(got.patches[i] - expected.patches[i]));
        report(`JPEG ${W}×${H} ${label}: max ${max} levels decoded, ${Math.round(pmax * 127.5)} levels in the patches`);
        // Bicubic weights above 1 can turn a 3-level input difference into 4 after the resize.
        expect(pmax).toBeLessThanOrEqual(4 / 127.5 + 1e-6);
      }
    }
    // The file later tests truncate and relabel.
    ffmpeg(['-i', at('pattern.png'), '-q:v', '3', at('photo.jpg')]);
  });

  it('decodes a progressive JPEG; refuses lossless ones with a clear message', async () => {
    const rgb = patternImage(200, 150);
    const progressive = await sharp(Buffer.from(rgb.data), { raw: { width: 200, height: 150, channels: 3 } })
      .jpeg({ progressive: true, quality: 90 })
      .toBuffer();
    writeFileSync(at('progressive.jpg'), progressive);
    const d = nodeMediaDecoder(tmp.dir);
    const got = await d.image(imageItem('progressive.jpg'));
    const ref = await sharp(progressive).raw().toBuffer({ resolveWithObject: true });
    const expected = preprocessImage({ data: new Uint8Array(ref.data), width: 200, height: 150, channels: 3 });
    let max = 0;
    for (let i = 0; i < got.patches.length; i++) max = Math.max(max, Math.abs(got.patches[i] - expected.patches[i]));
    expect(max).toBeLessThanOrEqual(4 / 127.5 + 1e-6); // measured: 4 levels after the resize, as for baseline
    // Relabel the frame header as SOF3 (lossless): no Sift decoder reads it. (Real arithmetic-coded
    // JPEGs decode: test/media/formats.test.ts.)
    const jpg = new Uint8Array(readFileSync(at('photo.jpg')));
    const sof = jpg.findIndex((v, i) => v === 0xff && jpg[i + 1] === 0xc0);
    for (const [marker, kind] of [[0xc3, 'lossless']] as const) {
      const relabelled = jpg.slice();
      relabelled[sof + 1] = marker;
      const e = await mediaErrorOf(() => d.image(imageItem(relabelled)));
      expect(e.code).toBe('unsupported-format');
      expect(e.message).toMatch(new RegExp(`this is a ${kind} JPEG`));
    }
  });

  it('reads every kind of source to the same patches', async () => {
    const d = nodeMediaDecoder(tmp.dir);
    const b64 = Buffer.from(png).toString('base64');
    const sources = [
      'photo.png',
      at('photo.png'),
      pathToFileURL(at('photo.png')).href,
      `${baseUrl}/photo.png`,
      `data:image/png;base64,${b64}`,
      b64,
      png,
    ];
    const first = await d.image(imageItem(sources[0]));
    for (const s of sources.slice(1)) {
      const got = await d.image(imageItem(s));
      expect(got.patches).toEqual(first.patches);
      expect((await d.measure(imageItem(s))).grid).toEqual([1, 10, 12]);
    }
  });

  it('decodes WebP (lossless), BMP, TIFF and GIF through ffmpeg', async () => {
    // Lossless conversions of the same pixels must decode to the same patches as the PNG.
    const base = await nodeMediaDecoder(tmp.dir).image(imageItem('pattern.png'));
    ffmpeg(['-i', at('pattern.png'), '-c:v', 'libwebp', '-lossless', '1', at('p.webp')]);
    ffmpeg(['-i', at('pattern.png'), at('p.bmp')]);
    ffmpeg(['-i', at('pattern.png'), at('p.tiff')]);
    for (const f of ['p.webp', 'p.bmp', 'p.tiff']) {
      expect((await nodeMediaDecoder(tmp.dir).image(imageItem(f))).patches).toEqual(base.patches);
    }
    // GIF: with a generated palette the colour is stored exactly (ffmpeg's default 3-3-2 palette would
    // store 252 for 255).
    writeFileSync(at('red.png'), encodePng(64, 64, toRgba(solidImage(64, 64, [255, 0, 0]))));
    ffmpeg(['-i', at('red.png'), '-vf', 'split[a][b];[a]palettegen[p];[b][p]paletteuse', at('red.gif')]);
    const gif = await nodeMediaDecoder(tmp.dir).image(imageItem('red.gif'));
    expect(gif.grid).toEqual([1, 4, 4]);
    expect(new Set(gif.patches.subarray(0, 512))).toEqual(new Set([1]));
    expect(new Set(gif.patches.subarray(512, 1536))).toEqual(new Set([-1]));
  });

  it("refuses a 20000×20000 PNG from its header ('too-large'), before decoding", async () => {
    // Header only: signature + IHDR + an IDAT that is not even valid. Decoding would fail as 'corrupt';
    // 'too-large' proves the limit stopped it first.
    writeFileSync(at('huge.png'), concat([PNG_SIGNATURE, ihdr(20000, 20000, 8, 6), new Uint8Array(64)]));
    const d = nodeMediaDecoder(tmp.dir);
    for (const run of [() => d.image(imageItem('huge.png')), () => d.measure(imageItem('huge.png'))]) {
      const e = await mediaErrorOf(run);
      expect(e.code).toBe('too-large');
      expect(e.message).toMatch(
        /^huge\.png: a 20000×20000 PNG image \(400 MP\) is above the decode limit of 89\.5 MP: decoding it would take about 4\.4 GB/,
      );
    }
    const raised = nodeMediaDecoder(tmp.dir, { maxDecodePixels: 500_000_000 });
    expect((await mediaErrorOf(() => raised.image(imageItem('huge.png')))).code).toBe('corrupt');
    // A configurable limit applies to ordinary images too.
    expect((await mediaErrorOf(() => nodeMediaDecoder(tmp.dir, { maxDecodePixels: 10_000 }).image(imageItem('photo.png')))).code).toBe(
      'too-large',
    );
  });

  it('names the file and the problem', async () => {
    writeFileSync(at('notes.jpg'), 'shopping list: milk, eggs\n');
    writeFileSync(at('empty.png'), '');
    const d = nodeMediaDecoder(tmp.dir);
    const cases: [string, string, RegExp][] = [
      ['notes.jpg', 'not-an-image', /^notes\.jpg: this is not an image/],
      ['empty.png', 'empty', /^empty\.png: the image file is empty/],
      ['missing.png', 'bad-argument', /^no such file: missing\.png \(looked in /], // the name once, not twice
      [`${baseUrl}/nothing.png`, 'unreachable', /the server answered HTTP 404/],
      // Node's fetch refuses port 9 outright ("bad port"): a real failure without any network.
      [
        'http://127.0.0.1:9/x.png',
        'unreachable',
        /cannot download http:\/\/127\.0\.0\.1:9\/x\.png: fetch failed \(.+\); check the address and your connection$/,
      ],
      ['data:image/png;base64,@@@@', 'bad-base64', /invalid base64/],
    ];
    for (const [src, code, message] of cases) {
      for (const run of [() => d.image(imageItem(src)), () => d.measure(imageItem(src))]) {
        const e = await mediaErrorOf(run);
        expect({ src, code: e.code }).toEqual({ src, code });
        expect(e.message).toMatch(message);
      }
    }
  });

  it('reports a truncated JPEG as corrupt', async () => {
    const jpg = new Uint8Array(readFileSync(at('photo.jpg')));
    writeFileSync(at('cut.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
    const e = await mediaErrorOf(() => nodeMediaDecoder(tmp.dir).image(imageItem('cut.jpg')));
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/^cut\.jpg: cannot decode this JPEG/);
  });
});

describe('videos through ffmpeg', () => {
  // 60 frames at 10 fps, 160×120, frame n is flat gray 4·n (lossless encodes), so a decoded frame
  // tells its own index: round(value / 4).
  const source = 'color=c=black:s=160x120:r=10:d=6,format=gray,geq=lum=N*4';
  beforeAll(() => {
    ffmpeg(['-f', 'lavfi', '-i', source, '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv420p', at('gray.mp4')]);
    ffmpeg(['-f', 'lavfi', '-i', source, '-c:v', 'libvpx-vp9', '-lossless', '1', '-pix_fmt', 'yuv420p', at('gray.webm')]);
  });

  // smart_nframes: 60/10 s · 1 fps = 6 → 6 frames; torch.linspace(0, 59, 6) in float32: step 11.8 →
  // 0, 11.8, 23.6 | 59 − 2·11.8 = 35.4, 47.2, 59 → [0, 12, 24, 35, 47, 59].
  // Timestamps (÷10 fps, pairs averaged): (0 + 1.2)/2 = 0.6, (2.4 + 3.5)/2 = 2.95, (4.7 + 5.9)/2 = 5.3.
  // Size: cap 786432, min 131072: smart_resize(120, 160) = 320×448 (see smartResize.test.ts) → grid [3, 20, 28].
  const INDICES = [0, 12, 24, 35, 47, 59];
  const TIMES = [0.6, 2.95, 5.3];

  /** The gray level of frame t (0/1) of temporal group g, read back from the patches. */
  function levelOf(patches: Float32Array, grid: number[], g: number, t: number): number {
    const rowsPerGroup = grid[1] * grid[2];
    const v = patches[g * rowsPerGroup * 1536 + t * 256]; // channel 0, temporal slot t, first sample
    return Math.round(v * 127.5 + 127.5);
  }

  for (const file of ['gray.mp4', 'gray.webm']) {
    it(`${file}: samples the reference's frames, with its grid and timestamps`, async () => {
      const d = nodeMediaDecoder(tmp.dir);
      const got = await d.video(videoItem(file));
      expect(got.grid).toEqual([3, 20, 28]);
      got.timestamps.forEach((t, i) => expect(t).toBeCloseTo(TIMES[i], 12));
      const frames = [0, 1, 2].flatMap((g) => [0, 1].map((t) => Math.round(levelOf(got.patches, got.grid, g, t) / 4)));
      expect(frames).toEqual(INDICES);
      const measured = await d.measure(videoItem(file));
      expect(measured.grid).toEqual(got.grid);
      expect(measured.timestamps).toEqual(got.timestamps);
    });
  }

  it('reads videos from http URLs and data URLs as well', async () => {
    const d = nodeMediaDecoder(tmp.dir);
    const local = await d.video(videoItem('gray.webm'));
    const b64 = `data:video/webm;base64,${readFileSync(at('gray.webm')).toString('base64')}`;
    for (const src of [`${baseUrl}/gray.webm`, b64, pathToFileURL(at('gray.webm')).href]) {
      const got = await d.video(videoItem(src));
      expect(got.grid).toEqual(local.grid);
      expect(got.patches).toEqual(local.patches);
    }
  });

  it('keeps the stored orientation of a video with rotation metadata (-noautorotate)', async () => {
    // Left half dark (20), right half bright (220), tagged "rotate 90". ffmpeg would rotate by default
    // (same byte count, different pixels); the frames must come back as stored.
    const lr = "color=c=black:s=160x120:r=10:d=1,format=gray,geq=lum='if(lt(X,80),20,220)'";
    ffmpeg(['-f', 'lavfi', '-i', lr, '-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv420p', at('lr.mp4')]);
    ffmpeg(['-i', at('lr.mp4'), '-c', 'copy', '-metadata:s:v:0', 'rotate=90', at('rotated.mp4')]);
    const tools = (await findFfTools())!;
    const probe = await probeVideo(tools, at('rotated.mp4'));
    expect([probe.width, probe.height]).toEqual([160, 120]);
    const [frame] = await decodeVideoFrames(tools, at('rotated.mp4'), probe, [0]);
    const at2 = (x: number, y: number) => Math.round(frame.data[(y * 160 + x) * 3] / 10) * 10;
    expect([at2(0, 0), at2(159, 0), at2(0, 119), at2(159, 119)]).toEqual([20, 220, 20, 220]);
    // 10 frames at 10 fps: 1 s → raised to min_frames 4 → 2 temporal groups.
    expect((await nodeMediaDecoder(tmp.dir).video(videoItem('rotated.mp4'))).grid).toEqual([2, 20, 28]);
  });

  it('decodes exactly the requested frame numbers, repeats included', async () => {
    const tools = (await findFfTools())!;
    const probe = await probeVideo(tools, at('gray.webm')); // WebM has no frame count: counted packets
    expect(probe).toMatchObject({ codec: 'vp9', width: 160, height: 120, frames: 60, fps: 10 });
    const frames = await decodeVideoFrames(tools, at('gray.webm'), probe, [59, 3, 3, 30]);
    expect(frames.map((f) => Math.round(f.data[0] / 4))).toEqual([59, 3, 3, 30]);
  });

  it('applies fps and max_frames from the item', async () => {
    // fps 2: 12 frames; max_frames 9 → floor_by_factor(9, 2) = 8 frames → 4 temporal groups.
    // linspace(0, 59, 8): step 59/7 = 8.43 → 0, 8.4, 16.9, 25.3 | 33.7, 42.1, 50.6, 59 → 0, 8, 17, 25, 34, 42, 51, 59.
    const got = await nodeMediaDecoder(tmp.dir).video(videoItem('gray.mp4', { fps: 2, max_frames: 9 }));
    expect(got.grid[0]).toBe(4);
    const frames = [0, 1, 2, 3].flatMap((g) => [0, 1].map((t) => Math.round(levelOf(got.patches, got.grid, g, t) / 4)));
    expect(frames).toEqual([0, 8, 17, 25, 34, 42, 51, 59]);
  });

  it('decodes HEVC too (ffmpeg has the decoder; a browser may not)', async () => {
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      source,
      '-c:v',
      'libx265',
      '-x265-params',
      'log-level=error',
      '-pix_fmt',
      'yuv420p',
      '-tag:v',
      'hvc1',
      at('gray-hevc.mp4'),
    ]);
    const got = await nodeMediaDecoder(tmp.dir).video(videoItem('gray-hevc.mp4'));
    expect(got.grid).toEqual([3, 20, 28]);
  });

  it('reports broken and unsupported videos clearly', async () => {
    const mp4 = new Uint8Array(readFileSync(at('gray.mp4')));
    // ffmpeg writes the moov atom last: half a file has no index at all.
    writeFileSync(at('half.mp4'), mp4.subarray(0, mp4.length >> 1));
    // With +faststart the index survives but the frames stop early.
    ffmpeg(['-f', 'lavfi', '-i', source, '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', at('fast.mp4')]);
    const fast = new Uint8Array(readFileSync(at('fast.mp4')));
    writeFileSync(at('fast-half.mp4'), fast.subarray(0, fast.length >> 1));
    // An unknown codec: rename the avc1 sample entry in stsd.
    const bad = mp4.slice();
    const stsd = Buffer.from(bad).indexOf('stsd');
    const entry = Buffer.from(bad).indexOf('avc1', stsd);
    bad.set([0x7a, 0x7a, 0x7a, 0x7a], entry); // "zzzz"
    writeFileSync(at('zzzz.mp4'), bad);
    writeFileSync(
      at('random.mp4'),
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff),
    );

    const d = nodeMediaDecoder(tmp.dir);
    const cases: [string, string, RegExp][] = [
      ['half.mp4', 'corrupt', /^half\.mp4: cannot read this video \(.*moov atom not found.*\); is it a complete video file\?/s],
      [
        'fast-half.mp4',
        'corrupt',
        /^fast-half\.mp4: ffmpeg could not decode this h264 video \(.*partial file.*\); the file may be truncated or damaged$/,
      ],
      ['zzzz.mp4', 'unsupported-format', /^zzzz\.mp4: this ffmpeg cannot decode the video codec "zzzz"; re-encode the video to H\.264/],
      ['random.mp4', 'corrupt', /^random\.mp4: cannot read this video/],
      ['nope.mp4', 'bad-argument', /^no such file: nope\.mp4 \(looked in /],
    ];
    for (const [file, code, message] of cases) {
      const e = await mediaErrorOf(() => d.video(videoItem(file)));
      expect({ file, code: e.code }).toEqual({ file, code });
      expect(e.message).toMatch(message);
    }
  });

  it('says how to fix a missing ffmpeg', async () => {
    const d = nodeMediaDecoder(tmp.dir, { ffTools: { ffmpeg: join(tmp.dir, 'no-ffmpeg'), ffprobe: join(tmp.dir, 'no-ffprobe') } });
    for (const run of [() => d.video(videoItem('gray.mp4')), () => d.measure(videoItem('gray.mp4'))]) {
      const e = await mediaErrorOf(run);
      expect(e.message).toBe(
        'gray.mp4: ffmpeg is not installed: install it (apt-get install ffmpeg) or pass the video as a list of frame images',
      );
    }
    // Frame lists need no ffmpeg.
    writeFileSync(at('f0.png'), encodePng(64, 64, toRgba(solidImage(64, 64, [10, 20, 30]))));
    expect((await d.video(videoItem(['f0.png', 'f0.png'], { fps: undefined, max_frames: undefined }))).grid[0]).toBe(1);
  });
});

describe('frame-list videos', () => {
  it('5 frames of 640×480: padded to 6, 2-fps timing, pre-resize factor 64', async () => {
    // Frame k is flat gray 40·k. Expected (videoPlan.test.ts): grid [3, 32, 40], timestamps
    // [0.25, 1.25, 2.25]; the padded 6th frame repeats the 5th.
    const names = [0, 1, 2, 3, 4].map((k) => {
      const name = `frame${k}.png`;
      writeFileSync(at(name), encodePng(640, 480, toRgba(solidImage(640, 480, [40 * k, 40 * k, 40 * k]))));
      return name;
    });
    const d = nodeMediaDecoder(tmp.dir);
    const item = videoItem(names, { fps: undefined, max_frames: undefined });
    const got = await d.video(item);
    expect(got.grid).toEqual([3, 32, 40]);
    expect(got.timestamps).toEqual([0.25, 1.25, 2.25]);
    const rows = 32 * 40;
    const levels = [0, 1, 2].flatMap((g) => [0, 1].map((t) => got.patches[g * rows * 1536 + t * 256]));
    expect(levels).toEqual([0, 40, 80, 120, 160, 160].map(normalizedSample));
    expect(await d.measure(item)).toEqual({ grid: [3, 32, 40], timestamps: [0.25, 1.25, 2.25] });
    // The later upstream fix (factor 32) keeps 480 rows: grid [3, 30, 40].
    expect((await nodeMediaDecoder(tmp.dir, { frameListPreResizeFactor: 32 }).measure(item)).grid).toEqual([3, 30, 40]);
  });

  it('refuses frames of different sizes, naming the frame', async () => {
    writeFileSync(at('wide.png'), encodePng(960, 480, toRgba(solidImage(960, 480, [1, 2, 3]))));
    const item = videoItem(['frame0.png', 'wide.png'], { fps: undefined, max_frames: undefined });
    const d = nodeMediaDecoder(tmp.dir);
    for (const run of [() => d.video(item), () => d.measure(item)]) {
      const e = await mediaErrorOf(run);
      expect(e.code).toBe('bad-frames');
      expect(e.message).toMatch(/frame 1 .*same size/);
    }
  });
});
