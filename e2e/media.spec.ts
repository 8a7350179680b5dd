// The browser media decoder (src/media/browserDecoder.ts) in real Chromium, inside a module worker as
// the app runs it, with real WebCodecs: sampling plans, pixels against ffmpeg / pngjs / jpeg-js / PIL,
// EXIF orientation, PIL's alpha rules, clear errors, and every VideoFrame closed. Media are generated
// at test time into a temp dir and served through a Playwright route (with Range support).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, test, type BrowserContext, type Page, type Route } from '@playwright/test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { preprocessImage } from '../src/media/image.ts';
import { decodeImageBytes } from '../src/media/nodeImage.ts';
import { bombPng } from '../test/media/bombs.ts';
import { formatPythonFixed1 } from '../src/prompt/pyFormat.ts';
import type { RawPixels } from '../src/media/pixels.ts';
import { VIDEO_TOTAL_PIXELS } from '../src/media/smartResize.ts';
import { preprocessFrameList, preprocessVideoFrames } from '../src/media/video.ts';
import { planVideo, type VideoPlan } from '../src/media/videoPlan.ts';
import { ffmpegFrames, findPil, makeFixtures, pilRgb, probe, seekLowerBound, type Fixtures } from './helpers/mediaFixtures.ts';
import type { MediaTestApi, SpecRef } from './pages/media.ts';
import { measure } from './helpers/measure.ts';

test.describe.configure({ mode: 'serial' });

let fx: Fixtures;
let page: Page;
const MEDIA = '/media-fixtures/';

type CallArgs = Parameters<MediaTestApi['call']>[0];
type Ok = {
  ok: true;
  patches: Float32Array;
  grid: number[];
  timestamps?: number[];
  warnings?: string[];
  ms: number;
  decoded: number;
  stats: Stats;
};
type Fail = { ok: false; name: string; code?: string; message: string; stats: Stats };
type Stats = { framesOut: number; framesClosed: number; bitmaps: number; open: number };

async function evaluateCall(args: CallArgs) {
  return (await page.evaluate((a) => (window as unknown as { mediaTest: MediaTestApi }).mediaTest.call(a), args)) as unknown as
    (Omit<Ok, 'patches'> & { patches: string }) | Fail;
}

async function call(args: CallArgs): Promise<Ok | Fail> {
  let r: Awaited<ReturnType<typeof evaluateCall>>;
  try {
    r = await evaluateCall(args);
  } catch (e) {
    // The vite dev server reloads the page when a module it imports is edited (or a dependency gets
    // optimised) mid-run; that is not the decoder's doing: wait for the page and ask once more.
    if (!/Execution context was destroyed/.test((e as Error).message)) throw e;
    measure('(the dev server reloaded the page; repeating the call)', 'note');
    await expect(page.locator('body[data-ready="true"]')).toBeAttached();
    r = await evaluateCall(args);
  }
  if (!r.ok || typeof r.patches !== 'string') return r as Ok | Fail;
  const bytes = Buffer.from(r.patches, 'base64');
  return { ...r, patches: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) };
}

async function ok(args: CallArgs): Promise<Ok> {
  const r = await call(args);
  if (!r.ok) throw new Error(`expected success, got ${r.name} ${r.code ?? ''}: ${r.message}`);
  return r;
}

async function fails(args: CallArgs): Promise<Fail> {
  const r = await call(args);
  if (r.ok) throw new Error('expected an error, the decode succeeded');
  return r;
}

const url = (f: string) => MEDIA + f;
const file = (f: string, type?: string): SpecRef => ({ file: MEDIA + f, type });
const at = (f: string) => join(fx.dir, f);

function diff(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d > max) max = d;
    sum += d;
  }
  return { max, mean: sum / a.length };
}

function expectSame(a: Float32Array, b: Float32Array): void {
  const d = diff(a, b);
  expect(d.max).toBe(0);
}

/** Serves the fixture dir, honouring Range (mediabunny's UrlSource reads videos in ranges). */
async function serveFixtures(context: BrowserContext): Promise<void> {
  await context.route(`**${MEDIA}**`, async (route: Route) => {
    const reqUrl = new URL(route.request().url());
    const name = decodeURIComponent(reqUrl.pathname.slice(MEDIA.length));
    const path = join(fx.dir, name);
    if (!existsSync(path)) return route.fulfill({ status: 404, body: 'not found' });
    const body = readFileSync(path);
    const type = /\.png$/.test(name)
      ? 'image/png'
      : /\.jpg$/.test(name)
        ? 'image/jpeg'
        : /\.webm$/.test(name)
          ? 'video/webm'
          : /\.mp4$/.test(name)
            ? 'video/mp4'
            : 'application/octet-stream';
    const headers: Record<string, string> = { 'content-type': type, 'accept-ranges': 'bytes', 'cache-control': 'no-store' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(route.request().headers()['range'] ?? '');
    if (range && body.length > 0) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
      return route.fulfill({ status: 206, headers, body: body.subarray(start, end + 1) });
    }
    return route.fulfill({ status: 200, headers, body });
  });
}

test.beforeAll(async ({ browser }) => {
  const t0 = Date.now();
  fx = makeFixtures();
  measure(`fixtures in ${fx.dir} (${Date.now() - t0} ms)`);
  const context = await browser.newContext();
  page = await context.newPage();
  await serveFixtures(context);
  await page.goto('/e2e/pages/media.html');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
});

test.afterAll(async () => {
  await page?.context().close();
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

// ── Videos ─────────────────────────────────────────────────────────────────────────────────────

/** What the app's conversation layer puts on a video file item (Sift's budget on every video). */
const FILE_ITEM = { fps: 1, max_frames: 64, total_pixels: VIDEO_TOTAL_PIXELS };

/** The plan from ffprobe's numbers, and from `sift plan-video` when that command exists. */
const plans = new Map<string, { plan: VideoPlan; probe: ReturnType<typeof probe> }>();
function referencePlan(f: string): { plan: VideoPlan; probe: ReturnType<typeof probe> } {
  const known = plans.get(f);
  if (known) return known;
  const p = probe(at(f));
  const plan = planVideo({
    frames: p.frames,
    sourceFps: p.fps,
    width: p.width,
    height: p.height,
    fps: 1,
    maxFrames: 64,
    totalPixels: VIDEO_TOTAL_PIXELS,
  });
  if (existsSync('src/cli/plan.ts')) {
    const args = [
      '--frames',
      String(p.frames),
      '--source-fps',
      String(p.fps),
      '--width',
      String(p.width),
      '--height',
      String(p.height),
      '--fps',
      '1',
      '--max-frames',
      '64',
      '--total-pixels',
      String(VIDEO_TOTAL_PIXELS),
    ];
    const r = spawnSync('node', ['bin/sift.mjs', 'plan-video', ...args], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const cli = JSON.parse(r.stdout);
    expect(cli.grid).toEqual(plan.grid);
    expect(cli.indices).toEqual(plan.indices);
    expect(cli.timestamps).toEqual(plan.timestamps.map((t) => `<${formatPythonFixed1(t)} seconds>`));
  } else {
    measure('(src/cli/plan.ts is not there yet: `sift plan-video` not compared)', 'note');
  }
  plans.set(f, { plan, probe: p });
  return { plan, probe: p };
}

/**
 * Chromium converts I420 → RGB itself (frame.copyTo RGBA), ffmpeg with swscale (bilinear chroma
 * upsampling, as Sift's Node reader asks); both use BT.601 limited range for these untagged clips.
 * Measured on Chromium 14x / ffmpeg 5.1 (normalised units, 1 level = 1/127.5 = 0.00784):
 * h264 mp4, vp9 webm, seek mp4 all max 0.0314 (4 levels), mean 0.0056–0.0057 (≈0.7 level).
 * Bounds just above: 5 levels max, mean 0.0065.
 */
const VIDEO_MAX_DIFF = 5 / 127.5;
const VIDEO_MEAN_DIFF = 0.0065;

async function checkVideo(name: string, ref: SpecRef, f: string): Promise<Ok> {
  const { plan, probe: p } = referencePlan(f);
  const r = await ok({ op: 'video', ref, item: FILE_ITEM });
  expect(r.grid).toEqual(plan.grid);
  expect(r.timestamps).toEqual(plan.timestamps);
  const frames = ffmpegFrames(at(f), p, plan.indices);
  const expected = preprocessVideoFrames(frames, plan).patches;
  const d = diff(r.patches, expected);
  measure(
    `${name}: ${p.frames} frames @ ${p.fps.toFixed(3)} fps ${p.width}×${p.height} → indices [${plan.indices}] grid [${r.grid}]; ` +
      `decoder emitted ${r.decoded} frames; vs ffmpeg: max |Δ| ${d.max.toFixed(4)}, mean ${d.mean.toFixed(5)} (normalised units); ${r.ms.toFixed(0)} ms`,
  );
  expect(d.max).toBeLessThanOrEqual(VIDEO_MAX_DIFF);
  expect(d.mean).toBeLessThanOrEqual(VIDEO_MEAN_DIFF);
  return r;
}

test('h264 mp4 (URL, Range requests), mov and mkv: plan = planVideo(ffprobe), pixels ≈ ffmpeg', async () => {
  const mp4 = await checkVideo('h264.mp4', url('h264.mp4'), 'h264.mp4');
  // Same bitstream in other containers: identical patches.
  const mov = await ok({ op: 'video', ref: file('h264.mov', 'video/quicktime'), item: FILE_ITEM });
  const mkv = await ok({ op: 'video', ref: file('h264.mkv', 'video/x-matroska'), item: FILE_ITEM });
  expect(mov.grid).toEqual(mp4.grid);
  expect(mkv.timestamps).toEqual(mp4.timestamps);
  expectSame(mov.patches, mp4.patches);
  expectSame(mkv.patches, mp4.patches);
});

test('vp9 webm (File): plan = planVideo(ffprobe), pixels ≈ ffmpeg', async () => {
  await checkVideo('vp9.webm', file('vp9.webm', 'video/webm'), 'vp9.webm');
});

test('seeks: 12 s at 29.97 fps, GOP 24, B-frames, odd size — decodes only the sampled GOPs', async () => {
  const r = await checkVideo('seek.mp4', url('seek.mp4'), 'seek.mp4');
  const p = probe(at('seek.mp4'));
  const plan = referencePlan('seek.mp4').plan;
  const need = seekLowerBound(at('seek.mp4'), plan.indices);
  // 12 sampled frames in 12 of the 15 GOPs. Each seek may also flush a few frames already in the
  // decoder's pipeline (B-frame reordering delay, and the packet or two fed before the target came out).
  const slackPerSeek = 8;
  measure(`seek.mp4: ${r.decoded} frames decoded of ${p.frames}; unavoidable ${need.frames} in ${need.seeks} seeks`);
  expect(r.decoded).toBeLessThanOrEqual(need.frames + slackPerSeek * need.seeks);
  expect(r.decoded).toBeLessThan(p.frames);
});

test('HEVC, truncated, zero-byte and too-long videos fail with clear MediaErrors', async () => {
  if (fx.hevc) {
    const e = await fails({ op: 'video', ref: url('hevc.mp4'), item: FILE_ITEM });
    measure(`hevc.mp4 → ${e.code}: ${e.message}`);
    expect(e.code).toBe('unsupported-format');
    expect(e.message).toMatch(/HEVC/);
    expect(e.message).toMatch(/re-encode it as H\.264, VP9 or AV1/);
  } else {
    measure(`HEVC case skipped: ${fx.hevcWhyNot}`, 'note');
  }
  for (const f of ['truncated.mp4', 'truncated-faststart.mp4']) {
    const e = await fails({ op: 'video', ref: url(f), item: FILE_ITEM });
    measure(`${f} (${statSync(at(f)).size} bytes) → ${e.code}: ${e.message}`);
    expect(e.code).toBe('corrupt');
    expect(e.message).toMatch(/truncated or damaged|truncated/);
  }
  const empty = await fails({ op: 'video', ref: file('empty.mp4', 'video/mp4'), item: FILE_ITEM });
  expect(empty.code).toBe('empty');
  expect(empty.message).toMatch(/empty \(0 bytes\)/);
  const before = (await ok({ op: 'stats' } as CallArgs)).stats.framesOut;
  const long = await fails({ op: 'video', ref: url('h264.mp4'), item: FILE_ITEM, maxVideoSeconds: 2 });
  expect(long.code).toBe('too-large');
  expect(long.message).toMatch(/3\.0 s long; the longest accepted is 2 s/);
  expect(long.stats.framesOut).toBe(before); // refused before decoding anything
  const missing = await fails({ op: 'video', ref: url('nope.mp4'), item: FILE_ITEM });
  expect(missing.code).toBe('unreachable');
  expect(missing.message).toMatch(/HTTP 404/);
});

test('abort mid-decode: AbortError, and every VideoFrame is closed', async () => {
  const e = await fails({ op: 'video', ref: url('seek.mp4'), item: FILE_ITEM, abortAfterFrames: 5 });
  expect(e.name).toBe('AbortError');
  // The decode can still be used afterwards.
  await ok({ op: 'video', ref: url('h264.mp4'), item: FILE_ITEM });
  const s = (await ok({ op: 'stats' } as CallArgs)).stats;
  measure(`VideoFrames emitted by decoders so far: ${s.framesOut}, closed: ${s.framesClosed}, open: ${s.open}`);
  expect(s.framesOut).toBeGreaterThan(0);
  expect(s.open).toBe(0);
  expect(s.framesClosed).toBe(s.framesOut);
});

test('a frame list: each image decoded, then preprocessFrameList — equal to pngjs in Node', async () => {
  const names = [1, 2, 3, 4, 5].map((i) => `frame${i}.png`);
  const r = await ok({ op: 'video', ref: names.map((n) => url(n)), item: { total_pixels: VIDEO_TOTAL_PIXELS } });
  const images = names.map((n) => pngPixels(at(n), 3));
  const expected = preprocessFrameList(images, { totalPixels: VIDEO_TOTAL_PIXELS });
  expect(r.grid).toEqual(expected.grid);
  expect(r.timestamps).toEqual(expected.timestamps);
  expectSame(r.patches, expected.patches);
});

// ── Images ─────────────────────────────────────────────────────────────────────────────────────

function pngPixels(path: string, channels: 3 | 4): RawPixels {
  const png = PNG.sync.read(readFileSync(path));
  const n = png.width * png.height;
  if (channels === 4) return { data: new Uint8Array(png.data), width: png.width, height: png.height, channels };
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) for (let c = 0; c < 3; c++) out[i * 3 + c] = png.data[i * 4 + c];
  return { data: out, width: png.width, height: png.height, channels };
}

const IMAGE_ITEM = { min_pixels: 4096, max_pixels: 1_843_200 };
/**
 * AVIF: Chromium (libavif) vs Node (ffmpeg's dav1d planes + yuvToRgb.ts), in levels of the model input
 * after the resize. Measured on Chromium 14x: 4:2:0 max 4, mean 0.31; 4:4:4 max 3, mean 0.19.
 * (swscale's own YUV → RGB had been max 137, mean 4.4.) Bound: 5 levels.
 */
const AVIF_MAX_LEVELS = 5;
const nodeImage = (px: RawPixels) => preprocessImage(px, { minPixels: IMAGE_ITEM.min_pixels, maxPixels: IMAGE_ITEM.max_pixels });

test('PNG with alpha (every level): exactly the Node decode (pngjs + composite on white)', async () => {
  const expected = nodeImage(pngPixels(at('rgba.png'), 4));
  for (const ref of [
    url('rgba.png'),
    file('rgba.png'),
    { blob: url('rgba.png') } as SpecRef,
    `data:image/png;base64,${readFileSync(at('rgba.png')).toString('base64')}`,
    readFileSync(at('rgba.png')).toString('base64'),
  ]) {
    const r = await ok({ op: 'image', ref });
    expect(r.grid).toEqual(expected.grid);
    expectSame(r.patches, expected.patches);
  }
  // 9000 px wide: above the 8192 texture limit, read back in tiles.
  const wide = await ok({ op: 'image', ref: url('wide.png') });
  expectSame(wide.patches, nodeImage(pngPixels(at('wide.png'), 4)).patches);
});

test("PIL's alpha rules: palette + tRNS and gray + alpha keep their colours and drop alpha", async () => {
  // Expected pixels straight from the generator's numbers (no decoder involved).
  const png = PNG.sync.read(readFileSync(at('palette.png')));
  const pal = await ok({ op: 'image', ref: url('palette.png') });
  const palRgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) {
    const k = (i * 7 + (i >> 6)) & 255;
    for (let c = 0; c < 3; c++) palRgb[i * 3 + c] = ((k * 3 + c) * 37 + ((k * 3 + c) % 3) * 91) & 255;
  }
  expectSame(pal.patches, nodeImage({ data: palRgb, width: png.width, height: png.height, channels: 3 }).patches);
  const la = await ok({ op: 'image', ref: url('gray-alpha.png') });
  const laRgb = new Uint8Array(png.width * png.height * 3);
  for (let i = 0; i < png.width * png.height; i++) laRgb.fill((i * 2 * 5 + 17) & 255, i * 3, i * 3 + 3);
  expectSame(la.patches, nodeImage({ data: laRgb, width: png.width, height: png.height, channels: 3 }).patches);
});

/**
 * jpeg-js (Node's JPEG decoder) vs Chromium's libjpeg-turbo on a 4:4:4 JPEG, measured: max 0.0235
 * (3 levels), mean 0.0042. Bounds just above: 4 levels, mean 0.005. (On 4:2:0 JPEGs jpeg-js, which has
 * no "fancy" chroma upsampling, is far off PIL — so those are compared with PIL itself, exactly.)
 */
const JPEG_MAX_DIFF = 4 / 127.5;
const JPEG_MEAN_DIFF = 0.005;

test('JPEG: ≈ jpeg-js (Node), = PIL where available; EXIF orientation ignored as PIL does', async () => {
  const q444 = await ok({ op: 'image', ref: url('q444.jpg') });
  const j = jpeg.decode(readFileSync(at('q444.jpg')), { useTArray: true, formatAsRGBA: false });
  const d = diff(q444.patches, nodeImage({ data: j.data, width: j.width, height: j.height, channels: 3 }).patches);
  measure(`q444.jpg vs jpeg-js: max |Δ| ${d.max.toFixed(4)}, mean ${d.mean.toFixed(5)}`);
  expect(d.max).toBeLessThanOrEqual(JPEG_MAX_DIFF);
  expect(d.mean).toBeLessThanOrEqual(JPEG_MEAN_DIFF);
  // Orientation 6 (rotate 90°) and 3 (180°): the reference sees the stored pixels, so do we.
  for (const f of ['exif6.jpg', 'exif3.jpg']) {
    const r = await ok({ op: 'image', ref: url(f) });
    expect(r.grid).toEqual(q444.grid);
    expectSame(r.patches, q444.patches);
  }
  const rgb = await ok({ op: 'image', ref: url('rgb.png') });
  const rgb6 = await ok({ op: 'image', ref: url('rgb-exif6.png') });
  expect(rgb6.grid).toEqual(rgb.grid);
  expectSame(rgb6.patches, rgb.patches);

  const py = findPil();
  if (!py) {
    measure('PIL comparison skipped: no python3 with Pillow on this machine', 'note');
    return;
  }
  for (const f of ['q420.jpg', 'q444.jpg', 'palette.png', 'gray-alpha.png']) {
    const pil = pilRgb(py, at(f));
    const r = await ok({ op: 'image', ref: url(f) });
    expectSame(r.patches, nodeImage({ ...pil, channels: 3 }).patches);
  }
  measure('q420.jpg, q444.jpg, palette.png, gray-alpha.png: bit-identical to PIL');
});

test('image errors: not an image, empty, truncated, too large (refused before decoding), unreachable, CORS', async () => {
  const notImage = await fails({ op: 'image', ref: url('not-an-image.png') });
  expect(notImage.code).toBe('not-an-image');
  const empty = await fails({ op: 'image', ref: file('empty.png') });
  expect(empty.code).toBe('empty');
  for (const f of ['truncated.png', 'truncated.jpg']) {
    const e = await fails({ op: 'image', ref: url(f) });
    measure(`${f} → ${e.code}: ${e.message}`);
    expect(e.code).toBe('corrupt');
  }
  const bitmapsBefore = (await ok({ op: 'stats' } as CallArgs)).stats.bitmaps;
  const big = await fails({ op: 'image', ref: url('rgba.png'), maxImagePixels: 5000 });
  expect(big.code).toBe('too-large');
  expect(big.message).toMatch(/97×61 PNG image/);
  expect(big.stats.bitmaps).toBe(bitmapsBefore);
  const missing = await fails({ op: 'image', ref: url('missing.png') });
  expect(missing.code).toBe('unreachable');
  expect(missing.message).toMatch(/HTTP 404/);
  // A real server on another origin that sends the image without Access-Control-Allow-Origin, as
  // most image hosts do (Playwright's route.fulfill would not be CORS-checked).
  const png = readFileSync(at('rgba.png'));
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/png' }).end(png));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const cors = await fails({ op: 'image', ref: `http://127.0.0.1:${port}/photo.png` });
    measure(`cross-origin without CORS → ${cors.code}: ${cors.message}`);
    expect(cors.code).toBe('unreachable');
    expect(cors.message).toMatch(/Access-Control-Allow-Origin/);
  } finally {
    server.close();
  }
});

// ── Formats: the same set as Node (issue 18 point 5) ──────────────────────────────────────────

/** Node's decode of the same file (src/media/nodeImage.ts: ffmpeg / libwebp / libjpeg-turbo in WebAssembly). */
async function nodeDecode(f: string): Promise<RawPixels> {
  return decodeImageBytes(new Uint8Array(readFileSync(at(f))));
}

test('image formats: AVIF, animated WebP / GIF (first frame), arithmetic JPEG decode here as in Node; 12-bit / lossless JPEG and AVIF with alpha refused alike', async () => {
  // Measured max |Δ| between Chromium and Node, in 8-bit levels of the model input (normalised ×127.5).
  const bounds: Record<string, number> = {
    'arithmetic.jpg': 0, // libjpeg-turbo on both sides
    'arithmetic-progressive.jpg': 0,
    'anim-lossless.webp': 0,
    'anim-lossy.webp': 0, // libwebp on both sides
    'anim-offset.webp': 0,
    'still-lossy.webp': 0,
    'anim.gif': 0, // ffmpeg's first frame = Chromium's
    'still.avif': AVIF_MAX_LEVELS,
    'still444.avif': AVIF_MAX_LEVELS,
  };
  for (const [f, bound] of Object.entries(bounds)) {
    const r = await ok({ op: 'image', ref: url(f) });
    const expected = nodeImage(await nodeDecode(f));
    expect(r.grid, f).toEqual(expected.grid);
    const d = diff(r.patches, expected.patches);
    measure(`${f}: Chromium vs Node max |Δ| ${(d.max * 127.5).toFixed(2)} levels, mean ${(d.mean * 127.5).toFixed(3)}`);
    expect(d.max * 127.5, f).toBeLessThanOrEqual(bound + 1e-3);
  }
  // The first frame, not another one: the lossless animation's frame 0 is the first PNG, exactly.
  const first = await ok({ op: 'image', ref: url('anim-lossless.webp') });
  expectSame(first.patches, nodeImage(pngPixels(at('anim-f1.png'), 3)).patches);
  expect(first.warnings).toEqual(['this WebP is animated (3 frames): only its first frame is scored, as the reference (PIL) does']);
  expect((await nodeDecode('anim-lossless.webp')).warning).toBe(first.warnings![0]);
  expect((await ok({ op: 'image', ref: url('still-lossy.webp') })).warnings).toBeUndefined();
  const gif = await ok({ op: 'image', ref: url('anim.gif') });
  expect(gif.warnings).toEqual([(await nodeDecode('anim.gif')).warning]);
  expect(gif.warnings![0]).toMatch(/^this GIF is animated \(3 frames\)/);
  for (const [f, pattern] of [
    ['twelve-bit.jpg', /^this is a 12-bit JPEG: the reference \(Pillow\) opens only 8-bit JPEGs/],
    ['alpha.avif', /^AVIF images with an alpha channel \(transparency\) are not supported/],
    ['lossless.jpg', /^this is a lossless JPEG, which browsers and Sift cannot decode/], // Chromium said "could not be decoded … damaged"
  ] as const) {
    const e = await fails({ op: 'image', ref: url(f) });
    const n = await nodeDecode(f).then(
      () => null,
      (err: Error & { code?: string }) => err,
    );
    measure(`${f} → ${e.code}: ${e.message}`);
    expect(e.code).toBe('unsupported-format');
    expect(e.message).toMatch(pattern);
    expect(n?.message).toBe(e.message);
  }
});

test('a decompression bomb (290 KB PNG declaring 10000×10000) is refused from its header, before any decode', async () => {
  writeFileSync(at('bomb.png'), await bombPng(10000, 10000));
  const bitmapsBefore = (await ok({ op: 'stats' } as CallArgs)).stats.bitmaps;
  const t0 = Date.now();
  const e = await fails({ op: 'image', ref: url('bomb.png') });
  measure(`bomb.png → ${e.code} in ${Date.now() - t0} ms: ${e.message}`);
  expect(e.code).toBe('too-large');
  expect(e.message).toMatch(
    /^a 10000×10000 PNG image \(100 MP\) is above the decode limit of 89\.5 MP: decoding it would take about 1\.0 GB/,
  );
  expect(e.stats.bitmaps).toBe(bitmapsBefore); // createImageBitmap never called
});
