// Moments and cover frames in real Chromium (issue G, browser backend): `reranker.moments` and
// `reranker.coverFrames` (public API → worker → src/engine/moments.ts / covers.ts over
// src/media/browserVideoReader.ts, WebCodecs) on a 3-minute video of six distinct scenes made by ffmpeg
// at test time, against the Node CLI (`sift moments`, `sift cover`: the same engine over ffmpeg) on the
// same file and the same model (the built-in tiny reranker, tiny-int8 on WASM in both).
// The windows, frame times, duration and display size are equal; scores differ only through the
// decoders' pixels (Chromium's I420 → RGB vs ffmpeg's swscale: ≤ 5 levels, e2e/media.spec.ts), so they
// are compared within SCORE_TOLERANCE (measured and printed below). That the gap is the decoders' alone
// is checked too: a window scores as the browser's own `rank` of that clip (|Δ| ≤ 1e-6), and Node's
// `sift rank` of the clip is as far from the browser's `rank` as the moments are.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page, type Route } from '@playwright/test';
import { ffmpeg, probe } from './helpers/mediaFixtures.ts';

test.describe.configure({ mode: 'serial' });

/**
 * |browser − Node| per window / frame score. The tiny model's int8 layers (dynamic quantization of the
 * activations) turn the decoders' few-level pixel differences into score gaps of ~1e-2 (measured here:
 * 1.3e-2 on the windows, 1.9e-2 on the cover frames, on scores of 0.43–0.53).
 */
const SCORE_TOLERANCE = 0.03;
const MEDIA = '/moments-fixtures/';
const QUERY = 'a red and green test pattern';
const WINDOWS = { window: 30, stride: 15, fps: 0.5 };
const COVER = { fps: 0.2, top: 5 };

type Window = { start: number; end: number; score: number | null; error?: string; code?: string };
type Frame = { time: number; score: number | null };
interface NodeMoments {
  duration: number;
  windows: Window[];
  top: number[];
}
interface NodeCover {
  frames: Frame[];
  top: number[];
  best: number;
}

let dir = '';
let page: Page;
let nodeMoments: Promise<NodeMoments>;
let nodeCover: Promise<NodeCover>;
/** Windows also ranked as clips (indices into the windows), in the browser and by `sift rank`. */
const RANKED = [0, 5, 10];
let nodeRank: Promise<{ scores: number[] }>;

/** `node bin/sift.mjs …args` → its JSON output (run alongside the browser). */
function sift(args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/sift.mjs', ...args]);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`sift ${args[0]} exited ${code}: ${out} ${err}`))));
  });
}

const call = <T>(name: string, ...args: unknown[]): Promise<T> =>
  page.evaluate(
    ([n, a]) =>
      (window as unknown as { momentsTest: Record<string, (...x: unknown[]) => Promise<unknown>> }).momentsTest[n as string](
        ...(a as unknown[]),
      ),
    [name, args] as const,
  ) as Promise<T>;

const maxGap = (a: (number | null)[], b: (number | null)[]) => Math.max(...a.map((s, i) => Math.abs(s! - b[i]!)));

test.beforeAll(async ({ browser }) => {
  test.setTimeout(120_000);
  dir = mkdtempSync(join(tmpdir(), 'sift-moments-e2e-'));
  // Six 30-second scenes: testsrc2 with the hue turned 60° per scene; H.264, GOP 2 s, B-frames;
  // pixels twice as wide as tall (display 320×90), so the cover's display size differs from the stored one.
  const scenes = 'testsrc2=s=160x90:r=10:d=180,hue=H=PI*floor(t/30)/3,setsar=2';
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    scenes,
    '-c:v',
    'libx264',
    '-crf',
    '20',
    '-g',
    '20',
    '-bf',
    '2',
    '-threads',
    '1',
    '-pix_fmt',
    'yuv420p',
    join(dir, 'long.mp4'),
  ]);
  writeFileSync(join(dir, 'moments.json'), JSON.stringify({ query: { text: QUERY }, video: 'long.mp4', ...WINDOWS }));
  // The app's engine (onnxruntime-web's WASM build) in Node too: only the decoders differ.
  const model = ['--model', 'public/models/tiny-int8', '--backend', 'wasm'];
  nodeMoments = sift(['moments', ...model, join(dir, 'moments.json')]) as Promise<NodeMoments>;
  nodeMoments.catch(() => {});
  const clips = RANKED.map((k) => ({ start: k * WINDOWS.stride, end: Math.min(k * WINDOWS.stride + WINDOWS.window, 180) }));
  const documents = clips.map((clip) => ({ video: 'long.mp4', clip }));
  writeFileSync(join(dir, 'rank.json'), JSON.stringify({ query: { text: QUERY }, documents, fps: WINDOWS.fps }));
  nodeRank = sift(['rank', ...model, join(dir, 'rank.json')]) as Promise<{ scores: number[] }>;
  nodeRank.catch(() => {});
  const cover = ['--title', QUERY, '--fps', String(COVER.fps), '--top', String(COVER.top), '--out', join(dir, 'node-cover.png')];
  nodeCover = sift(['cover', ...model, ...cover, join(dir, 'long.mp4')]) as Promise<NodeCover>;
  nodeCover.catch(() => {});

  const context = await browser.newContext();
  await context.route(`**${MEDIA}**`, async (route: Route) => {
    const path = join(dir, decodeURIComponent(new URL(route.request().url()).pathname.slice(MEDIA.length)));
    if (!existsSync(path)) return route.fulfill({ status: 404, body: 'not found' });
    const body = readFileSync(path);
    const headers: Record<string, string> = { 'content-type': 'video/mp4', 'accept-ranges': 'bytes' };
    const range = /^bytes=(\d+)-(\d*)$/.exec(route.request().headers()['range'] ?? '');
    if (!range) return route.fulfill({ status: 200, headers, body });
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
    headers['content-range'] = `bytes ${start}-${end}/${body.length}`;
    return route.fulfill({ status: 206, headers, body: body.subarray(start, end + 1) });
  });
  page = await context.newPage();
  await page.goto('/e2e/pages/moments.html');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  await call('load');
});

test.afterAll(async () => {
  await page?.context().close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('moments stream windows whose scores equal `sift moments` on the same file and model (± tolerance)', async () => {
  test.setTimeout(120_000);
  const b = await call<{ result: NodeMoments; events: (Window & { index: number; ms: number })[]; ms: number }>(
    'moments',
    QUERY,
    MEDIA + 'long.mp4',
    { ...WINDOWS, maxVideoSeconds: 30 }, // the whole-video limit does not apply: 180 s is accepted
  );
  const n = await nodeMoments;
  expect(b.result.duration).toBeCloseTo(n.duration, 6);
  expect(b.result.windows.map((w) => [w.start, w.end])).toEqual(n.windows.map((w) => [w.start, w.end]));
  expect(b.result.windows.every((w) => typeof w.score === 'number' && !w.error)).toBe(true);
  // Streamed: one event per window, each as the result has it.
  expect(b.events.map((e) => e.index).sort((x, y) => x - y)).toEqual(n.windows.map((_, i) => i));
  for (const e of b.events) expect(e.score).toBe(b.result.windows[e.index].score);
  const gap = maxGap(
    b.result.windows.map((w) => w.score),
    n.windows.map((w) => w.score),
  );
  // The browser's best window is (within tolerance) Node's best.
  // Each window scores as the browser's `rank` of that clip; Node's `rank` of it is Node's window.
  const clips = RANKED.map((k) => ({ start: b.result.windows[k].start, end: b.result.windows[k].end }));
  const ranked = await call<number[]>('rankClips', QUERY, MEDIA + 'long.mp4', clips, WINDOWS.fps);
  const nr = (await nodeRank).scores;
  RANKED.forEach((k, j) => {
    expect(Math.abs(ranked[j] - b.result.windows[k].score!)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(nr[j] - n.windows[k].score!)).toBeLessThanOrEqual(1e-6);
  });
  const rankGap = maxGap(ranked, nr);
  const nodeBest = n.windows[n.top[0]].score!;
  expect(n.windows[b.result.top[0]].score!).toBeGreaterThanOrEqual(nodeBest - 2 * SCORE_TOLERANCE);
  const note =
    `moments: ${b.result.windows.length} windows of ${probe(join(dir, 'long.mp4')).frames} frames (180 s) in ${(b.ms / 1000).toFixed(1)} s; ` +
    `max |browser − node| = ${gap.toExponential(2)} (tolerance ${SCORE_TOLERANCE}); rank of windows ${RANKED} as clips: browser = browser window, node = node window, |browser − node| ${rankGap.toExponential(2)}; top browser ${b.result.top.slice(0, 3)} node ${n.top.slice(0, 3)}`;
  test.info().annotations.push({ type: 'measure', description: note });
  console.log(note);
  expect(gap).toBeLessThanOrEqual(SCORE_TOLERANCE);
});

test('cancel() stops moments: it rejects with an AbortError before all windows scored; bad calls fail with their codes', async () => {
  const r = await call<{ ended: string; message?: string; streamed: number; cancelledAt: number }>(
    'cancelAfter',
    QUERY,
    MEDIA + 'long.mp4',
    WINDOWS,
    2,
  );
  const total = (await nodeMoments).windows.length;
  console.log(`cancel: ${JSON.stringify(r)} of ${total} windows`);
  expect(r.cancelledAt).toBe(2);
  expect(r.ended).toBe('AbortError');
  expect(r.streamed).toBeLessThan(total);
  expect((await call<{ openVideoFrames: number }>('diagnostics')).openVideoFrames).toBe(0);

  type Outcome = { ok: boolean; name?: string; code?: string; message?: string };
  const badStride = await call<Outcome>('attempt', QUERY, MEDIA + 'long.mp4', { window: 10, stride: 20 });
  expect(badStride).toMatchObject({ ok: false, name: 'RequestError' });
  expect(badStride.message).toContain('stride');
  const missing = await call<Outcome>('attempt', QUERY, MEDIA + 'missing.mp4', WINDOWS);
  expect(missing).toMatchObject({ ok: false, name: 'MediaError' });
  const notVideo = await call<Outcome>('attempt', QUERY, '/models/tiny/manifest.json', WINDOWS);
  expect(notVideo).toMatchObject({ ok: false, name: 'MediaError', code: 'unsupported-format' });
  console.log(`errors: ${JSON.stringify([badStride, missing, notVideo])}`);
});

test('a damaged file: the windows whose frames cannot be decoded fail alone, the others are scored', async () => {
  test.setTimeout(90_000);
  const bytes = readFileSync(join(dir, 'long.mp4'));
  const damaged = Buffer.from(bytes);
  // 8 KB overwritten in the middle of the media data (the index, at the start with +faststart or the end, intact).
  damaged.fill(0x55, Math.floor(bytes.length * 0.5), Math.floor(bytes.length * 0.5) + 8192);
  writeFileSync(join(dir, 'damaged.mp4'), damaged);
  const b = await call<{ result: NodeMoments; events: unknown[] }>('moments', QUERY, MEDIA + 'damaged.mp4', WINDOWS);
  const failed = b.result.windows.filter((w) => w.score === null);
  const note = `damaged: ${failed.length} of ${b.result.windows.length} windows failed (${failed.map((w) => `${w.start}–${w.end} ${w.code}`).join(', ')})`;
  console.log(note);
  test.info().annotations.push({ type: 'measure', description: note });
  expect(b.events).toHaveLength(b.result.windows.length);
  expect(failed.length).toBeLessThan(b.result.windows.length);
  for (const w of failed) expect(w.code).toBeTruthy();
  expect((await call<{ openVideoFrames: number }>('diagnostics')).openVideoFrames).toBe(0);
});

test('cover frames: frames, top and best match `sift cover` (± tolerance); the best frame is an image at the display size', async () => {
  test.setTimeout(90_000);
  const b = await call<{
    frames: Frame[];
    top: number[];
    best: number;
    width: number;
    height: number;
    blob: { type: string; bytes: number; width: number; height: number };
    streamed: number;
  }>('cover', QUERY, MEDIA + 'long.mp4', { ...COVER, imageType: 'image/png' });
  const n = await nodeCover;
  expect(b.frames.map((f) => f.time)).toEqual(n.frames.map((f) => f.time));
  expect(b.streamed).toBe(n.frames.length);
  expect(b.top).toHaveLength(COVER.top);
  const gap = maxGap(
    b.frames.map((f) => f.score),
    n.frames.map((f) => f.score),
  );
  expect(gap).toBeLessThanOrEqual(SCORE_TOLERANCE);
  // Each top frame of the browser's is as good as Node's frame of the same rank, within tolerance.
  b.top.forEach((i, k) => expect(n.frames[i].score!).toBeGreaterThanOrEqual(n.frames[n.top[k]].score! - 2 * SCORE_TOLERANCE));
  expect(b.best).toBe(b.frames[b.top[0]].time);
  // Display size: 160×90 stored with 2:1 pixels → 320×90, as Node's --out writes it.
  const nodePng = probe(join(dir, 'node-cover.png'));
  expect([b.width, b.height]).toEqual([320, 90]);
  expect([b.blob.width, b.blob.height]).toEqual([nodePng.width, nodePng.height]);
  expect(b.blob.type).toBe('image/png');
  const note = `cover: ${b.frames.length} frames; max |browser − node| = ${gap.toExponential(2)}; best browser ${b.best} s node ${n.best} s; top ${b.top} vs ${n.top}`;
  test.info().annotations.push({ type: 'measure', description: note });
  console.log(note);
});
