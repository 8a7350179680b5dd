// Covers (src/engine/covers.ts) and a damaged video. Covers: every frame sampled at 1 fps of a 40-s
// video is scored as an image document; its score equals `sift rank` of that frame saved as a PNG by
// ffmpeg (same RGB conversion: bilinear chroma), its time is its presentation timestamp, and the best
// frame is written at the display size (a 4:3 video with 2:1 pixels is written twice as wide). Damage:
// 8 KB overwritten in the middle of a 3-minute MP4 fails only the windows around it, each with the
// reason, as decoding that clip alone (the `sift rank` path) fails.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverFrameIndices, coverFramesOf } from '../../src/engine/covers.ts';
import { momentsOf } from '../../src/engine/moments.ts';
import { report } from '../helpers/report.ts';
import { ffmpeg, rankScores, scenesVideo, tempDir, tinyContext } from './helpers.ts';

const tmp = tempDir('sift-covers-');
let ctx: Awaited<ReturnType<typeof tinyContext>>;
beforeAll(async () => {
  ctx = await tinyContext(tmp.dir);
});
afterAll(async () => {
  await ctx?.release();
  tmp.cleanup();
});

describe('cover frames', () => {
  it('samples the frame shown at each k / fps, each once', () => {
    const times = Array.from({ length: 10 }, (_, i) => i * 0.4); // 2.5 fps, 4 s
    expect(coverFrameIndices(times, 4, 1)).toEqual([0, 2, 5, 7]); // 0 s, 0.8 s, 2.0 s, 2.8 s
    expect(coverFrameIndices(times, 4, 5)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('scores every sampled frame as sift rank scores it saved as a PNG; writes the best at display size', async () => {
    // 2:1 sample aspect ratio: stored 64×48, displayed 128×48.
    const video = join(tmp.dir, 'cover.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=s=64x48:r=5:d=40,hue=H=PI*floor(t/8)/3,setsar=2',
      '-c:v',
      'libx264',
      '-bf',
      '2',
      '-pix_fmt',
      'yuv420p',
      video,
    ]);
    const title = 'a green test pattern';
    const t0 = performance.now();
    const out = join(tmp.dir, 'best.png');
    const r = await ctx.media.withVideo({ type: 'video', video }, async (reader) => {
      const res = await coverFramesOf(ctx, reader, title, { fps: 1, top: 5 });
      await reader.saveFrame(res.bestFrame!, out);
      return res;
    });
    const ms = performance.now() - t0;
    expect(r.frames.length).toBe(40);
    expect(r.frames.map((f) => f.time)).toEqual(Array.from({ length: 40 }, (_, k) => k));
    expect(r.top.length).toBe(5);
    expect(r.best).toBe(r.frames[r.top[0]].time);
    // Frames at 0, 13, 27 s and the best, as PNGs cut by ffmpeg (frame numbers at 5 fps).
    const picks = [0, 13, 27, r.top[0]];
    const pngs = picks.map((k) => {
      const png = join(tmp.dir, `frame-${k}.png`);
      ffmpeg(['-i', video, '-vf', `select=eq(n\\,${k * 5})`, '-frames:v', '1', '-sws_flags', 'bilinear', '-pix_fmt', 'rgb24', png]);
      return { image: png };
    });
    const ranked = await rankScores(ctx, tmp.dir, { query: { text: title }, documents: pngs });
    expect(ranked.errors).toEqual([]);
    const delta = Math.max(...picks.map((k, j) => Math.abs(r.frames[k].score! - ranked.scores[j]!)));
    report(
      `40 frames of 64×48 scored in ${(ms / 1000).toFixed(1)} s (${((40 * 1000) / ms).toFixed(1)} frames/s); max |Δ| vs PNGs ${delta.toExponential(2)}`,
    );
    expect(delta).toBeLessThanOrEqual(1e-6);
    // The PNG signature, then IHDR width 128, height 48: the display size.
    const head = readFileSync(out);
    expect([head.readUInt32BE(16), head.readUInt32BE(20)]).toEqual([128, 48]);
  });
});

describe('a damaged stretch', () => {
  it('fails only the windows it touches, with the reason; the same clips fail decoded alone', async () => {
    const video = scenesVideo(tmp.dir, 'good.mp4', { seconds: 180, fps: 2, scene: 30 });
    const bytes = readFileSync(video);
    const mid = Math.floor(bytes.length / 2);
    for (let i = mid; i < mid + 8000; i++) bytes[i] = (i * 7919) & 0xff;
    const bad = join(tmp.dir, 'bad.mp4');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, bytes);
    const r = await ctx.media.withVideo({ type: 'video', video: bad }, (reader) => momentsOf(ctx, reader, { text: 'q' }, { fps: 0.5 }));
    const failed = r.windows.flatMap((w, k) => (w.score === null ? [k] : []));
    report(`failed windows: ${failed.map((k) => `${r.windows[k].start}–${r.windows[k].end}`).join(', ')}; ${r.windows[failed[0]]?.error}`);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed.length).toBeLessThanOrEqual(4);
    expect(failed[failed.length - 1] - failed[0]).toBe(failed.length - 1); // one stretch
    for (const k of failed) {
      expect(r.windows[k].code).toBe('corrupt');
      expect(r.windows[k].error).toMatch(/bad\.mp4: .*(missing|decode)/);
    }
    expect(r.windows.length - failed.length).toBeGreaterThanOrEqual(31);
    // Decoded alone through the plain decoder (as sift rank decodes a clip): the same windows fail.
    for (const k of [failed[0] - 1, ...failed, failed[failed.length - 1] + 1]) {
      const w = r.windows[k];
      const alone = await ctx.media.video({ type: 'video', video: bad, fps: 0.5, clip: { start: w.start, end: w.end } }).then(
        () => 'ok',
        () => 'failed',
      );
      expect(alone).toBe(w.score === null ? 'failed' : 'ok');
    }
  });
});
