// VideoItem.clip in real Chromium (browserDecoder → browserVideo.ts, WebCodecs in a module worker):
// a window of a long video decodes as the window cut to its own file does, and as Node decodes the
// same clip (nodeMediaDecoder, ffmpeg). Against the cut file: VP9 lossless WebM at 25 fps (whole
// milliseconds), so the browser sees the same YUV planes either way and the patches are bit-identical.
// Against Node: H.264 with B-frames (and the WebM), grid and timestamps equal, pixels within the bounds
// e2e/media.spec.ts measured between Chromium's YUV → RGB and ffmpeg's swscale. Also: a late clip decodes
// only the GOPs of its sampled frames.
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page, type Route } from '@playwright/test';
import type { VideoItem } from '../src/contracts/request.ts';
import { nodeMediaDecoder } from '../src/media/nodeDecoder.ts';
import { VIDEO_TOTAL_PIXELS } from '../src/media/smartResize.ts';
import { ffmpeg, probe } from './helpers/mediaFixtures.ts';
import type { MediaTestApi } from './pages/media.ts';

test.describe.configure({ mode: 'serial' });

const MEDIA = '/clip-fixtures/';
let dir = '';
let page: Page;

/** As e2e/media.spec.ts: Chromium's I420 → RGB vs ffmpeg's swscale, 5 levels max, mean 0.0065 (normalised units). */
const VIDEO_MAX_DIFF = 5 / 127.5;
const VIDEO_MEAN_DIFF = 0.0065;

const ITEM = { fps: 1, max_frames: 64, total_pixels: VIDEO_TOTAL_PIXELS };
/** Six 10-second scenes (testsrc2, hue turned 60° per scene: every frame differs). */
const scenes = (rate: number) => `testsrc2=s=320x180:r=${rate}:d=60,hue=H=PI*floor(t/10)/3`;

type Decoded = { ok: true; patches: Float32Array; grid: number[]; timestamps: number[]; decoded: number; ms: number };

async function browserVideo(file: string, clip?: { start: number; end: number }): Promise<Decoded> {
  const r = await page.evaluate((a) => (window as unknown as { mediaTest: MediaTestApi }).mediaTest.call(a), {
    op: 'video' as const,
    ref: MEDIA + file,
    item: { ...ITEM, ...(clip ? { clip } : {}) },
  });
  if (!r.ok || !('patches' in r)) throw new Error(`expected a decoded video, got ${JSON.stringify(r)}`);
  const bytes = Buffer.from(r.patches as unknown as string, 'base64');
  return { ...(r as unknown as Decoded), patches: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4) };
}

function diff(a: Float32Array, b: Float32Array): { max: number; mean: number } {
  expect(a.length).toBe(b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

test.beforeAll(async ({ browser }) => {
  dir = mkdtempSync(join(tmpdir(), 'sift-clip-e2e-'));
  // Lossy H.264, GOP 2 s, 3 B-frames; and VP9 lossless at 25 fps (40 ms per frame, exact in WebM's ms).
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    scenes(30),
    '-c:v',
    'libx264',
    '-crf',
    '20',
    '-g',
    '60',
    '-bf',
    '3',
    '-pix_fmt',
    'yuv420p',
    join(dir, 'long.mp4'),
  ]);
  const vp9 = ['-c:v', 'libvpx-vp9', '-lossless', '1', '-g', '50', '-deadline', 'realtime', '-cpu-used', '8', '-pix_fmt', 'yuv420p'];
  ffmpeg(['-f', 'lavfi', '-i', scenes(25), ...vp9, join(dir, 'long.webm')]);
  for (const [s, e] of [
    [25, 35],
    [52.3, 61],
  ]) {
    ffmpeg(['-i', join(dir, 'long.webm'), '-vf', `trim=start=${s}:end=${e},setpts=PTS-STARTPTS`, ...vp9, join(dir, `cut-${s}-${e}.webm`)]);
  }
  const context = await browser.newContext();
  await context.route(`**${MEDIA}**`, async (route: Route) => {
    const path = join(dir, decodeURIComponent(new URL(route.request().url()).pathname.slice(MEDIA.length)));
    if (!existsSync(path)) return route.fulfill({ status: 404, body: 'not found' });
    const body = readFileSync(path);
    const headers: Record<string, string> = {
      'content-type': path.endsWith('.mp4') ? 'video/mp4' : 'video/webm',
      'accept-ranges': 'bytes',
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(route.request().headers()['range'] ?? '');
    if (!range) return route.fulfill({ status: 200, headers, body });
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
    headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
    return route.fulfill({ status: 206, headers, body: body.subarray(start, end + 1) });
  });
  page = await context.newPage();
  await page.goto('/e2e/pages/media.html');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
});

test.afterAll(async () => {
  await page?.context().close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a clip decodes as the clip cut to its own file (bit-identical) and as Node decodes it (≈, as for whole files)', async () => {
  const node = nodeMediaDecoder(dir);
  const nodeClip = (video: string, clip: { start: number; end: number }) =>
    node.video({ type: 'video', video, ...ITEM, clip } as VideoItem);
  const notes: string[] = [];

  for (const [s, e] of [
    [25, 35],
    [52.3, 61],
  ]) {
    const clip = await browserVideo('long.webm', { start: s, end: e });
    const cut = await browserVideo(`cut-${s}-${e}.webm`);
    expect(clip.grid).toEqual(cut.grid);
    expect(clip.timestamps).toEqual(cut.timestamps);
    expect(diff(clip.patches, cut.patches).max).toBe(0);
    const n = await nodeClip('long.webm', { start: s, end: e });
    expect(clip.grid).toEqual(n.grid);
    expect(clip.timestamps).toEqual(n.timestamps);
    const d = diff(clip.patches, n.patches);
    notes.push(
      `long.webm ${s}–${e}: grid [${clip.grid}] = cut file's, bit-identical; vs Node max ${d.max.toFixed(4)} mean ${d.mean.toFixed(5)}`,
    );
    expect(d.max).toBeLessThanOrEqual(VIDEO_MAX_DIFF);
    expect(d.mean).toBeLessThanOrEqual(VIDEO_MEAN_DIFF);
  }

  // H.264 with B-frames, a clip near the end: only the GOPs of its sampled frames are decoded.
  const frames = probe(join(dir, 'long.mp4')).frames;
  const late = await browserVideo('long.mp4', { start: 50, end: 58 });
  const n = await nodeClip('long.mp4', { start: 50, end: 58 });
  expect(late.grid).toEqual(n.grid);
  expect(late.timestamps).toEqual(n.timestamps);
  const d = diff(late.patches, n.patches);
  const whole = await browserVideo('long.mp4');
  notes.push(
    `long.mp4 50–58: grid [${late.grid}], decoder emitted ${late.decoded} of ${frames} frames in ${late.ms.toFixed(0)} ms ` +
      `(whole file: ${whole.decoded} frames in ${whole.ms.toFixed(0)} ms); vs Node max ${d.max.toFixed(4)} mean ${d.mean.toFixed(5)}`,
  );
  expect(d.max).toBeLessThanOrEqual(VIDEO_MAX_DIFF);
  expect(d.mean).toBeLessThanOrEqual(VIDEO_MEAN_DIFF);
  // 8 sampled frames in 4 GOPs of 60 frames, within the last 10 s of 60.
  expect(late.decoded).toBeLessThanOrEqual(4 * 60 + 4 * 8);

  const bad = await page.evaluate((a) => (window as unknown as { mediaTest: MediaTestApi }).mediaTest.call(a), {
    op: 'video' as const,
    ref: MEDIA + 'long.mp4',
    item: { ...ITEM, clip: { start: 61, end: 70 } },
  });
  expect(bad).toMatchObject({ ok: false, code: 'bad-clip' });
  notes.push(`clip 61–70 s → ${(bad as { message: string }).message}`);
  for (const line of notes) test.info().annotations.push({ type: 'measure', description: line });
  console.log(notes.join('\n'));
});
