// Moments (src/engine/moments.ts) on a generated 3-minute video with six 30-second scenes: every window
// scores as `sift rank` of that window cut to its own file (lossless cut: the same decoded frames), the
// windows cover the video, results stream, and overlapping windows share decoded frames where they
// sample the same ones. Also the window rule at the end of a video and bad settings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bestFirst, momentWindows, moments, type MomentsResult } from '../../src/engine/moments.ts';
import type { VideoReader } from '../../src/media/decoder.ts';
import { report } from '../helpers/report.ts';
import { ffmpeg, rankScores, scenesVideo, tempDir, tinyContext } from './helpers.ts';

const tmp = tempDir('sift-moments-');
let ctx: Awaited<ReturnType<typeof tinyContext>>;
beforeAll(async () => {
  ctx = await tinyContext(tmp.dir);
});
afterAll(async () => {
  await ctx?.release();
  tmp.cleanup();
});

const query = { text: 'a purple test pattern with a moving circle' };

/** The window [start, end) of `src` as its own file, losslessly (H.264 -qp 0, same yuv420p frames). */
function cut(src: string, start: number, end: number, out: string): string {
  const path = `${tmp.dir}/${out}`;
  ffmpeg([
    '-i',
    src,
    '-vf',
    `trim=start=${start}:end=${end},setpts=PTS-STARTPTS`,
    '-c:v',
    'libx264',
    '-qp',
    '0',
    '-pix_fmt',
    'yuv420p',
    path,
  ]);
  return path;
}

describe('window rule', () => {
  const at = (n: number, fps: number) => Array.from({ length: n }, (_, i) => i / fps);
  it('starts every stride, ends the last window at the duration, merges a last window of < 2 frames', () => {
    expect(momentWindows(at(62, 1), 62, 10, 5).slice(-3)).toEqual([
      { start: 45, end: 55 },
      { start: 50, end: 60 },
      { start: 55, end: 62 },
    ]);
    // 50.5 s at 2 fps, stride = window: [50, 50.5) holds 1 frame → merged into [40, 50.5).
    const w = momentWindows(at(101, 2), 50.5, 10, 10);
    expect(w[w.length - 1]).toEqual({ start: 40, end: 50.5 });
    expect(w.length).toBe(5);
    // Shorter than one window: one window, the whole video.
    expect(momentWindows(at(8, 2), 4, 10, 5)).toEqual([{ start: 0, end: 4 }]);
    // Strides that are not exact in binary stay on the microsecond.
    expect(momentWindows(at(30, 10), 3, 0.3, 0.1)[3]).toEqual({ start: 0.3, end: 0.6 });
  });

  it('refuses bad windows and strides before opening the video', async () => {
    await expect(moments(ctx, query, 'missing.mp4', { window: 0 })).rejects.toThrow(/"window" must be a positive number/);
    await expect(moments(ctx, query, 'missing.mp4', { window: 10, stride: 11 })).rejects.toThrow(/"stride" must be/);
    expect(bestFirst([0.2, null, 0.9, 0.2])).toEqual([2, 0, 3]);
  });
});

describe('moments of a 3-minute video', () => {
  let video: string;
  let result: MomentsResult;
  let stats: VideoReader['stats'];
  const streamed: number[] = [];
  let note = '';
  beforeAll(async () => {
    video = scenesVideo(tmp.dir, 'scenes.mp4', { seconds: 180, fps: 2, scene: 30 });
    const t0 = performance.now();
    result = await ctx.media.withVideo({ type: 'video', video }, async (reader) => {
      const { momentsOf } = await import('../../src/engine/moments.ts');
      const r = await momentsOf(ctx, reader, query, { fps: 0.5, onWindow: (e) => streamed.push(e.index) });
      stats = { ...reader.stats };
      return r;
    });
    note =
      `180 s, 64×48, 2 fps: ${result.windows.length} windows (10 s, stride 5 s, fps 0.5) in ${((performance.now() - t0) / 1000).toFixed(1)} s; ` +
      `decode: ${stats.passes} passes, ${stats.decoded} frames decoded, ${stats.reused} reused, ${stats.decodeMs.toFixed(0)} ms`;
  });

  it('covers [0, duration) with 10-s windows every 5 s, streams each window, ranks the scored ones', () => {
    report(note);
    expect(result.duration).toBe(180);
    expect(result.windows.length).toBe(35);
    expect(result.windows[0]).toMatchObject({ start: 0, end: 10 });
    expect(result.windows[34]).toMatchObject({ start: 170, end: 180 });
    expect(result.windows.every((w) => typeof w.score === 'number' && w.error === undefined)).toBe(true);
    expect([...streamed].sort((a, b) => a - b)).toEqual(result.windows.map((_, i) => i));
    expect(result.top.length).toBe(35);
    for (let k = 1; k < result.top.length; k++) {
      expect(result.windows[result.top[k - 1]].score!).toBeGreaterThanOrEqual(result.windows[result.top[k]].score!);
    }
  });

  it('each window scores as sift rank of that window cut to its own file, and of the same clip', async () => {
    const picks = [0, 7, 16, 34]; // 0–10, 35–45 (across a scene change), 80–90, 170–180
    const docs = picks.map((k) => {
      const w = result.windows[k];
      return { video: cut(video, w.start, w.end, `cut-${k}.mp4`) };
    });
    const clips = picks.map((k) => ({ video: 'scenes.mp4', clip: { start: result.windows[k].start, end: result.windows[k].end } }));
    const asCut = await rankScores(ctx, tmp.dir, { query, documents: docs, fps: 0.5 });
    const asClip = await rankScores(ctx, tmp.dir, { query, documents: clips, fps: 0.5 });
    expect(asCut.errors).toEqual([]);
    let maxCut = 0;
    let maxClip = 0;
    picks.forEach((k, j) => {
      maxCut = Math.max(maxCut, Math.abs(result.windows[k].score! - asCut.scores[j]!));
      maxClip = Math.max(maxClip, Math.abs(result.windows[k].score! - asClip.scores[j]!));
    });
    report(`windows ${picks.join(', ')}: max |Δ score| vs cut files ${maxCut.toExponential(2)}, vs clips ${maxClip.toExponential(2)}`);
    expect(maxCut).toBeLessThanOrEqual(1e-6);
    expect(maxClip).toBeLessThanOrEqual(1e-6);
  });

  it('a 1-fps source: overlapping windows share sampled frames, each decoded once', async () => {
    const slow = scenesVideo(tmp.dir, 'slow.mp4', { seconds: 60, fps: 1, scene: 20 });
    await ctx.media.withVideo({ type: 'video', video: slow }, async (reader) => {
      // fps 1 on a 1-fps source: a 10-s window samples all its 10 frames; the next one shares 5.
      const clips = momentWindows(reader.times, reader.duration, 10, 5).map((clip) => ({
        type: 'video' as const,
        video: slow,
        fps: 1,
        clip,
      }));
      const mine = await reader.clips(clips.slice(0, 4));
      const next = await reader.clips(clips.slice(4, 8));
      expect([...mine, ...next].every((d) => !(d instanceof Error))).toBe(true);
      // 8 windows × 10 frames; frames 0..44 exist once: 45 decoded, the rest reused or deduplicated.
      report(
        `60 s at 1 fps, 8 windows of 10 frames: ${reader.stats.decoded} decoded, ${reader.stats.reused} reused from the previous pass`,
      );
      expect(reader.stats.decoded).toBe(45);
      expect(reader.stats.reused).toBe(5);
      // Decoded alone (as sift rank does) the fifth window is the same.
      const alone = await ctx.media.video(clips[4]);
      expect(Buffer.from((next[0] as { patches: Float32Array }).patches.buffer).equals(Buffer.from(alone.patches.buffer))).toBe(true);
    });
  });
});
