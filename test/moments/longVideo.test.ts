// An hour of video in bounded memory: a generated 1-hour 64×48 1-fps H.264 file, moments with 2-minute
// windows every minute (4 frames each): the process's RSS is sampled at every window and must stay
// flat (a generous bound on its growth after the first windows; time is not asserted). The numbers go
// to the test report (test/helpers/report.ts).
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { momentsOf } from '../../src/engine/moments.ts';
import { report } from '../helpers/report.ts';
import { ffmpeg, tempDir, tinyContext } from './helpers.ts';

const tmp = tempDir('sift-hour-');
let ctx: Awaited<ReturnType<typeof tinyContext>>;
beforeAll(async () => {
  ctx = await tinyContext(tmp.dir);
});
afterAll(async () => {
  await ctx?.release();
  tmp.cleanup();
});

it('moments of a 1-hour video run with flat memory', async () => {
  const video = join(tmp.dir, 'hour.mp4');
  let t0 = performance.now();
  const src = 'testsrc2=s=64x48:r=1:d=3600,hue=H=PI*floor(t/300)/3';
  ffmpeg(['-f', 'lavfi', '-i', src, '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-pix_fmt', 'yuv420p', video]);
  const made = performance.now() - t0;
  const mb = () => process.memoryUsage().rss / 1048576;
  const rss: number[] = [];
  t0 = performance.now();
  const r = await ctx.media.withVideo({ type: 'video', video }, async (reader) => {
    const out = await momentsOf(
      ctx,
      reader,
      { text: 'a blue test pattern' },
      {
        window: 120,
        stride: 60,
        fps: 1 / 30,
        onWindow: () => void rss.push(mb()),
      },
    );
    report(`decode: ${reader.stats.passes} passes, ${reader.stats.decoded} frames, ${(reader.stats.decodeMs / 1000).toFixed(1)} s`);
    return out;
  });
  const seconds = (performance.now() - t0) / 1000;
  expect(r.duration).toBe(3600);
  expect(r.windows.length).toBe(59);
  expect(r.windows.every((w) => w.score !== null)).toBe(true);
  const base = rss[9];
  const peak = Math.max(...rss.slice(10));
  report(
    `1-hour video made in ${(made / 1000).toFixed(1)} s; ${r.windows.length} windows in ${seconds.toFixed(1)} s; ` +
      `RSS MB by window (every 5th): ${rss
        .filter((_, i) => i % 5 === 0)
        .map((x) => x.toFixed(0))
        .join(', ')}; after window 10 ${base.toFixed(0)} MB, peak later ${peak.toFixed(0)} MB (+${(peak - base).toFixed(0)})`,
  );
  expect(peak - base).toBeLessThan(150);
});
