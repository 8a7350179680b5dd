// `sift plan-image` / `sift plan-video` on cases worked out by hand from the reference
// (qwen-vl-utils vision_process.py smart_resize l.56–81, smart_nframes l.144–181, torch.linspace(...)
// .round() l.317/366, fetch_video's per-frame cap l.449–455; transformers Qwen3VLProcessor:
// `f"<{curr_time:.1f} seconds>"` and _calculate_timestamps), not from Sift's output.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

async function sift(...argv: string[]): Promise<{ code: number; out: Record<string, unknown> }> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(argv);
  } finally {
    process.stdout.write = write;
  }
  const text = chunks.join('').trim();
  expect(text.split('\n')).toHaveLength(1); // one JSON document
  return { code, out: JSON.parse(text) };
}

describe('sift plan-image', () => {
  it('1920×1080 → 1792×992, 1736 tokens', async () => {
    // round(33.75) = 34 → 1088, 60 → 1920: 2,088,960 > 1,843,200 → beta = sqrt(1.125) →
    // floor(31.82)·32 = 992, floor(56.57)·32 = 1792; 62·112 = 6944 patches, /4 = 1736 tokens.
    expect(await sift('plan-image', '--width', '1920', '--height', '1080')).toEqual({
      code: 0,
      out: { width: 1792, height: 992, tokens: 1736, patches: 6944 },
    });
  });

  it('half-to-even rounding: 80×48 → 64×64', async () => {
    // 48/32 = 1.5 → 2; 80/32 = 2.5 → 2 (not 3) → 64×64 = 4096, exactly min_pixels → 16 patches, 4 tokens.
    expect((await sift('plan-image', '--width', '80', '--height', '48')).out).toEqual({ width: 64, height: 64, tokens: 4, patches: 16 });
  });

  it('honours --min-pixels and --max-pixels', async () => {
    // 100² with min 65536: 96² < 65536 → beta = 2.56 → ceil(8)·32 = 256 → 256 patches, 64 tokens.
    expect((await sift('plan-image', '--width', '100', '--height', '100', '--min-pixels', '65536')).out).toEqual({
      width: 256,
      height: 256,
      tokens: 64,
      patches: 256,
    });
    // 1000² with max 16384: beta = 7.8125 → 1000/7.8125 = 128 → 64 patches, 16 tokens.
    expect((await sift('plan-image', '--width=1000', '--height=1000', '--max-pixels=16384')).out).toEqual({
      width: 128,
      height: 128,
      tokens: 16,
      patches: 64,
    });
  });

  it('prints {"error"} and exits non-zero for a rejected image', async () => {
    const r = await sift('plan-image', '--width', '201', '--height', '1');
    expect(r.code).toBe(1);
    expect(r.out).toEqual({ error: expect.stringMatching(/aspect ratio 201\.0 .*above 200/) });
    const z = await sift('plan-image', '--width', '0', '--height', '10');
    expect(z.code).toBe(1);
    expect(Object.keys(z.out)).toEqual(['error']);
  });

  it('usage errors exit 2 with {"error"}', async () => {
    const r = await sift('plan-image', '--width', '10');
    expect(r.code).toBe(2);
    expect(r.out.error).toMatch(/--height is required/);
    const n = await sift('plan-image', '--width', 'wide', '--height', '10');
    expect(n.code).toBe(2);
    expect(n.out.error).toMatch(/--width needs a number/);
  });
});

describe('sift plan-video', () => {
  it('300 frames at 30 fps, 1280×720', async () => {
    // 10 s at 1 fps = 10 frames; linspace(0, 299, 10) → 0, 33.2, 66.4, 99.7, 132.9 | 166.1, 199.3, 232.6, 265.8, 299.
    // Cap min(786432, 7864320/10·2) = 786432: round(22.5) = 22 → 704×1280 > cap → beta 1.0825 → 640×1152.
    // Timestamps: (0 + 1.1)/2 = 0.55 → "0.6" (0.55 is stored as 0.55000000000000004), (2.2 + 3.333)/2 = 2.767,
    // (4.433 + 5.533)/2 = 4.983, (6.633 + 7.767)/2 = 7.2, (8.867 + 9.967)/2 = 9.417.
    const r = await sift('plan-video', '--frames', '300', '--source-fps', '30', '--width', '1280', '--height', '720');
    expect(r).toEqual({
      code: 0,
      out: {
        frames: 10,
        indices: [0, 33, 66, 100, 133, 166, 199, 233, 266, 299],
        width: 1152,
        height: 640,
        grid: [5, 40, 72],
        timestamps: ['<0.6 seconds>', '<2.8 seconds>', '<5.0 seconds>', '<7.2 seconds>', '<9.4 seconds>'],
        tokens: 3600,
      },
    });
  });

  it('--fps 2 on 100 frames at 25 fps, 640×360', async () => {
    // 4 s · 2 fps = 8 frames; linspace(0, 99, 8): step 14.143 → 0, 14.1, 28.3, 42.4 | 56.6, 70.7, 84.9, 99.
    // smart_resize(360, 640) with min 131072, cap 786432: round(11.25) = 11 → 352, 20 → 640 (225280 px).
    // Timestamps ÷25: (0 + 0.56)/2 = 0.28, (1.12 + 1.68)/2 = 1.4, (2.28 + 2.84)/2 = 2.56, (3.4 + 3.96)/2 = 3.68.
    const r = await sift('plan-video', '--frames', '100', '--source-fps', '25', '--width', '640', '--height', '360', '--fps', '2');
    expect(r.out).toEqual({
      frames: 8,
      indices: [0, 14, 28, 42, 57, 71, 85, 99],
      width: 640,
      height: 352,
      grid: [4, 22, 40],
      timestamps: ['<0.3 seconds>', '<1.4 seconds>', '<2.6 seconds>', '<3.7 seconds>'],
      tokens: 880,
    });
  });

  it('--max-frames is floored to even; min 4 frames for short videos', async () => {
    const capped = await sift(
      'plan-video',
      '--frames',
      '600',
      '--source-fps',
      '30',
      '--width',
      '64',
      '--height',
      '64',
      '--max-frames',
      '9',
    );
    expect(capped.out.frames).toBe(8);
    // 3 s at 1 fps = 3 → raised to 4: linspace(0, 89, 4) = 0, 29.67, 59.33, 89.
    const short = await sift('plan-video', '--frames', '90', '--source-fps', '30', '--width', '64', '--height', '64');
    expect(short.out.frames).toBe(4);
    expect(short.out.indices).toEqual([0, 30, 59, 89]);
    // (0 + 1)/2 = 0.5, (59/30 + 89/30)/2 = 2.4667.
    expect(short.out.timestamps).toEqual(['<0.5 seconds>', '<2.5 seconds>']);
  });

  it('Python-style ties in the timestamps: exact x.x5 values round to even', async () => {
    // 4 frames at 2 fps (2 s): 2 frames at 1 fps, raised to min 4 → linspace(0, 3, 4) = [0, 1, 2, 3].
    // (0 + 0.5)/2 = 0.25 and (1 + 1.5)/2 = 1.25 are exact binary ties: Python's "{:.1f}" gives "0.2" and
    // "1.2" (half to even); JS toFixed(1) would give "0.3" and "1.3".
    const r = await sift('plan-video', '--frames', '4', '--source-fps', '2', '--width', '64', '--height', '64');
    expect(r.out.indices).toEqual([0, 1, 2, 3]);
    expect(r.out.timestamps).toEqual(['<0.2 seconds>', '<1.2 seconds>']);
  });

  it('rejects a one-frame video with {"error"} and exit 1', async () => {
    const r = await sift('plan-video', '--frames', '1', '--source-fps', '30', '--width', '64', '--height', '64');
    expect(r.code).toBe(1);
    expect(r.out.error).toMatch(/this video has 1 frame; a video needs at least 2 frames/);
  });

  it('runs through the installed bin (npx sift)', () => {
    const text = execFileSync(process.execPath, ['bin/sift.mjs', 'plan-image', '--width', '1920', '--height', '1080'], {
      encoding: 'utf8',
    });
    expect(JSON.parse(text)).toEqual({ width: 1792, height: 992, tokens: 1736, patches: 6944 });
  });
});
