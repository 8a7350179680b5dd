// VideoItem.clip in Node (nodeDecoder + nodeFfmpeg): a window of a long video decodes exactly as that
// window cut to its own file does — same grid, same timestamps, bit-identical patches. The long videos
// are lossy H.264 with B-frames (reordering) and VP9 WebM (millisecond timestamps); each cut file holds
// the long file's decoded frames of the window, re-encoded losslessly (H.264 -qp 0, same yuv420p), so
// both decodes see the same YUV planes. Also: clip errors, and a late clip of a 10-minute video costs
// about what the clip costs (measured and reported, not asserted).
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { VideoItem } from '../../src/contracts/request.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { checkClip, framesInClip, planVideo, planVideoClip } from '../../src/media/videoPlan.ts';
import { report } from '../helpers/report.ts';
import { ffmpeg, mediaErrorOf, tempDir } from './helpers.ts';

const tmp = tempDir();
const at = (name: string) => join(tmp.dir, name);
afterAll(() => tmp.cleanup());

const item = (video: string, extra: Partial<VideoItem> = {}): VideoItem => ({
  type: 'video',
  video,
  fps: 1,
  max_frames: 64,
  total_pixels: 7864320,
  ...extra,
});

/**
 * Bit-identical patches, compared as bytes (vitest's toEqual walks millions of floats slowly, and the
 * diff it prints for a mismatch is huge); a mismatch says how far apart they are.
 */
function expectBitIdentical(a: Float32Array, b: Float32Array): void {
  expect(a.length).toBe(b.length);
  const bytes = (x: Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  if (bytes(a).equals(bytes(b))) return;
  let max = 0;
  let count = 0;
  let first = -1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    count++;
    if (first < 0) first = i;
    max = Math.max(max, Math.abs(a[i] - b[i]));
  }
  expect.fail(`${count} of ${a.length} values differ (first at ${first}, max |Δ| ${max})`);
}

/** 60 s at 30 fps, six 10-second scenes (testsrc2 with its hue turned 60° per scene, so every frame differs). */
const SCENES = 'testsrc2=s=320x180:r=30:d=60,hue=H=PI*floor(t/10)/3';

/** The window [start, end) of `src` as its own file: the decoded frames of the window, losslessly. */
function cut(src: string, start: number, end: number, out: string): void {
  ffmpeg([
    '-i',
    at(src),
    '-vf',
    `trim=start=${start}:end=${end},setpts=PTS-STARTPTS`,
    '-c:v',
    'libx264',
    '-qp',
    '0',
    '-pix_fmt',
    'yuv420p',
    at(out),
  ]);
}

describe('clip plans (videoPlan.ts)', () => {
  it('counts the frames in [start, end) to the microsecond, plans them as a file and moves the indices', () => {
    const stamps = Array.from({ length: 300 }, (_, i) => i / 30); // 10 s at 30 fps
    // [2, 4): frames 60..119 (the one at exactly 4 s is out).
    expect(framesInClip(stamps, { start: 2, end: 4 }, 10)).toEqual({ first: 60, count: 60 });
    // 2.01 s starts after frame 60 (2.000 s); 9.5 – 20 runs past the end: frames 285..299.
    expect(framesInClip(stamps, { start: 2.01, end: 4 }, 10)).toEqual({ first: 61, count: 59 });
    expect(framesInClip(stamps, { start: 9.5, end: 20 }, 10)).toEqual({ first: 285, count: 15 });
    const clip = planVideoClip({ frames: 60, sourceFps: 30, width: 320, height: 180 }, 60);
    const own = planVideo({ frames: 60, sourceFps: 30, width: 320, height: 180 });
    expect(clip.indices).toEqual(own.indices.map((i) => i + 60));
    expect(clip.timestamps).toEqual(own.timestamps);
    expect(clip.grid).toEqual(own.grid);
  });

  it('refuses malformed windows, windows after the end and windows of fewer than 2 frames (bad-clip)', async () => {
    const stamps = Array.from({ length: 300 }, (_, i) => i / 30);
    const calls = [
      () => checkClip({ start: 5, end: 5 }),
      () => checkClip({ start: 6, end: 5 }),
      () => checkClip({ start: -1, end: 5 }),
      () => checkClip({ start: 0, end: Infinity }),
      () => checkClip({ start: '0', end: 5 }),
      () => framesInClip(stamps, { start: 12, end: 20 }, 10),
      () => framesInClip(stamps, { start: 2, end: 2.02 }, 10),
    ];
    const errs = await Promise.all(calls.map(mediaErrorOf));
    for (const e of errs) expect(e.code).toBe('bad-clip');
    report(errs.map((e) => e.message).join('\n'));
    expect(errs[5].message).toMatch(/starts after the end of this 10\.000 s video/);
    expect(errs[6].message).toMatch(/holds 1 frame; a video clip needs at least 2 frames/);
  });
});

describe('a clip of a long video = the clip cut to its own file (nodeMediaDecoder)', () => {
  // Lossy, GOP 2 s, 3 B-frames: frames come out of the decoder in another order than they go in.
  ffmpeg(['-f', 'lavfi', '-i', SCENES, '-c:v', 'libx264', '-crf', '20', '-g', '60', '-bf', '3', '-pix_fmt', 'yuv420p', at('long.mp4')]);
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    SCENES,
    '-c:v',
    'libvpx-vp9',
    '-b:v',
    '400k',
    '-g',
    '60',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    at('long.webm'),
  ]);
  const d = nodeMediaDecoder(tmp.dir);

  const windows: [string, number, number][] = [
    ['long.mp4', 0, 10],
    ['long.mp4', 25, 35],
    ['long.mp4', 50, 60],
    ['long.mp4', 55, 65], // crosses the end: the cut file has 5 s
    ['long.mp4', 12.34, 17.89], // bounds between frames
    ['long.mp4', 31, 31.5], // 15 frames, below min_frames' 4 s: all 15 → 14 sampled at linspace
    ['long.webm', 25, 35],
    ['long.webm', 41.7, 59.99],
  ];
  for (const [src, start, end] of windows) {
    it(`${src} ${start}–${end} s`, async () => {
      const name = `${src}-${start}-${end}.mp4`;
      cut(src, start, end, name);
      const t0 = performance.now();
      const got = await d.video(item(src, { clip: { start, end } }));
      const ms = performance.now() - t0;
      const want = await d.video(item(name));
      expect(got.grid).toEqual(want.grid);
      expect(got.timestamps).toEqual(want.timestamps);
      expectBitIdentical(got.patches, want.patches);
      // Measured without decoding pixels: the same grid and timestamps.
      expect(await d.measure(item(src, { clip: { start, end } }))).toEqual({ grid: got.grid, timestamps: got.timestamps });
      report(
        `${src} clip ${start}–${end}: grid [${got.grid}], timestamps [${got.timestamps.map((t) => t.toFixed(2))}]; ${ms.toFixed(0)} ms`,
      );
    });
  }

  it('clip errors name the item and say what is wrong', async () => {
    const cases: [VideoItem['clip'], RegExp][] = [
      [{ start: 70, end: 80 }, /starts after the end of this 60\.0\d\d s video/],
      [{ start: 10, end: 10.02 }, /holds 1 frame/],
      [{ start: 10, end: 9 }, /must end after it starts/],
    ];
    for (const [clip, message] of cases) {
      const e = await mediaErrorOf(() => d.video(item('long.mp4', { clip })));
      expect(e.code).toBe('bad-clip');
      expect(e.message).toMatch(/^long\.mp4: /);
      expect(e.message).toMatch(message);
      report(e.message);
    }
    const list = await mediaErrorOf(() => d.video({ ...item('x'), video: ['a.png', 'b.png'], clip: { start: 0, end: 1 } }));
    expect(list.code).toBe('bad-clip');
  });
});

describe('a late clip costs about what the clip costs, not the file', () => {
  it('10-minute video: clips at the start and at the end vs the whole file (measured, not asserted)', async () => {
    const t0 = performance.now();
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=320x180:r=25:d=600',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '50',
      '-pix_fmt',
      'yuv420p',
      at('tenmin.mp4'),
    ]);
    report(`made a 10-minute 320×180 25 fps H.264 file in ${(performance.now() - t0).toFixed(0)} ms`);
    const d = nodeMediaDecoder(tmp.dir);
    const time = async (extra: Partial<VideoItem>) => {
      const s = performance.now();
      const v = await d.video(item('tenmin.mp4', extra));
      return { ms: performance.now() - s, grid: v.grid };
    };
    await time({ clip: { start: 0, end: 10 } }); // warm the file cache
    const early = await time({ clip: { start: 0, end: 10 } });
    const late = await time({ clip: { start: 585, end: 595 } });
    const whole = await time({});
    expect(late.grid).toEqual(early.grid);
    report(
      `clip 0–10 s: ${early.ms.toFixed(0)} ms; clip 585–595 s: ${late.ms.toFixed(0)} ms; ` +
        `whole file (64 frames of 15,000): ${whole.ms.toFixed(0)} ms`,
    );
  });
});
