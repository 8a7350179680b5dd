// smart_resize against the reference's semantics. Source: QwenLM/Qwen3-VL
// qwen-vl-utils/src/qwen_vl_utils/vision_process.py (0.0.14): round_by_factor / ceil_by_factor /
// floor_by_factor (l.41–53: Python round = ties to even, math.ceil, math.floor), smart_resize (l.56–81),
// and the reranker's bounds, Qwen3-VL-Embedding src/models/qwen3_vl_reranker.py l.18–25
// (IMAGE_FACTOR 32, MIN_PIXELS 4·32², MAX_PIXELS 1800·32², FRAME_MAX_PIXELS 768·32², MAX_TOTAL_PIXELS).
// Every expected value below is worked out by hand from those lines (shown in the comments).
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.ts';
import { planImage } from '../../src/media/image.ts';
import {
  IMAGE_MAX_PIXELS,
  IMAGE_MIN_PIXELS,
  REFERENCE_FILE_TOTAL_PIXELS,
  smartResize,
  VIDEO_TOTAL_PIXELS,
  videoFrameMaxPixels,
} from '../../src/media/smartResize.ts';

function mediaError(fn: () => unknown): MediaError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MediaError);
    return e as MediaError;
  }
  throw new Error('expected a MediaError');
}

describe('smart_resize (vision_process.py l.56–81, factor 32)', () => {
  it('uses the reranker bounds', () => {
    expect(IMAGE_MIN_PIXELS).toBe(4096); // 4 * 32 * 32
    expect(IMAGE_MAX_PIXELS).toBe(1_843_200); // 1800 * 32 * 32
    expect(VIDEO_TOTAL_PIXELS).toBe(7_864_320); // 10 * 768 * 32 * 32
    expect(REFERENCE_FILE_TOTAL_PIXELS).toBe(117_964_800); // MODEL_SEQ_LEN 128000 * 32² * 0.9
  });

  it('rounds halves to even like Python round()', () => {
    // 48/32 = 1.5 → round → 2 → 64; 80/32 = 2.5 → round → 2 → 64 (JS Math.round would give 96).
    // 64·64 = 4096 is not below min_pixels, so no growth.
    expect(smartResize(48, 80)).toEqual([64, 64]);
    expect(smartResize(80, 80)).toEqual([64, 64]);
    // 112/32 = 3.5 → 4 → 128.
    expect(smartResize(112, 112)).toEqual([128, 128]);
    // 333/32 = 10.41 → 10 → 320; 517/32 = 16.16 → 16 → 512.
    expect(smartResize(333, 517)).toEqual([320, 512]);
  });

  it('shrinks with floor above max_pixels', () => {
    // 1080×1920: 34·32 = 1088, 60·32 = 1920, 1088·1920 = 2,088,960 > 1,843,200 →
    // beta = sqrt(1920·1080 / 1843200) = sqrt(1.125) = 1.0607; floor(1080/1.0607/32) = floor(31.82) = 31 → 992,
    // floor(1920/1.0607/32) = floor(56.57) = 56 → 1792.
    expect(smartResize(1080, 1920)).toEqual([992, 1792]);
    // 3000×4000: beta = sqrt(12e6/1843200) = 2.5516; floor(3000/2.5516/32) = floor(36.74) = 36 → 1152;
    // floor(4000/2.5516/32) = floor(48.99) = 48 → 1536.
    expect(smartResize(3000, 4000)).toEqual([1152, 1536]);
    // 20000²: beta = sqrt(4e8/1843200) = 14.731; floor(20000/14.731/32) = floor(42.43) = 42 → 1344.
    expect(smartResize(20000, 20000)).toEqual([1344, 1344]);
    // Custom max 16384 on 1000²: beta = sqrt(1e6/16384) = 7.8125 exactly; 1000/7.8125 = 128 → 128.
    expect(smartResize(1000, 1000, { maxPixels: 16384 })).toEqual([128, 128]);
  });

  it('grows with ceil below min_pixels', () => {
    // 10×10: round(10/32) = 0 → max(32, 0) = 32; 32·32 = 1024 < 4096 → beta = sqrt(4096/100) = 6.4;
    // ceil(10·6.4/32) = ceil(2) = 2 → 64.
    expect(smartResize(10, 10)).toEqual([64, 64]);
    // Custom min 65536 on 100²: 3·32 = 96, 96² < 65536 → beta = 2.56, ceil(256/32) = 8 → 256.
    expect(smartResize(100, 100, { minPixels: 65536 })).toEqual([256, 256]);
    // Video frame bounds (min 128·32² = 131072): 120×160 → 128×160 = 20480 < 131072 →
    // beta = sqrt(131072/19200) = 2.6128; ceil(313.5/32) = 10 → 320; ceil(418.0/32) = 14 → 448.
    expect(smartResize(120, 160, { minPixels: 131072, maxPixels: 786432 })).toEqual([320, 448]);
  });

  it('accepts an aspect ratio of exactly 200 and rejects anything above (l.67–70)', () => {
    // 1×200: ratio 200 is not > 200. round(1/32) = 0 → 32; round(6.25) = 6 → 192; 6144 ≥ 4096.
    expect(smartResize(1, 200)).toEqual([32, 192]);
    // 17×3000: ratio 176.5; round(0.53) = 1 → 32; round(93.75) = 94 → 3008.
    expect(smartResize(17, 3000)).toEqual([32, 3008]);
    const e = mediaError(() => smartResize(1, 201));
    expect(e.code).toBe('bad-size');
    expect(e.message).toMatch(/aspect ratio 201\.0 .* above 200/);
    expect(mediaError(() => smartResize(4001, 20)).code).toBe('bad-size');
  });

  it('refuses what the reference would return as a zero side (PIL then fails to resize)', () => {
    // 10×2000 with max 4096: 32·1984 > 4096 → beta = sqrt(20000/4096) = 2.21; floor(10/2.21/32) = 0.
    // The reference returns (0, 896) and Image.resize raises; Sift says why up front.
    const e = mediaError(() => smartResize(10, 2000, { maxPixels: 4096 }));
    expect(e.code).toBe('bad-size');
    expect(e.message).toMatch(/resizes to 896×0/);
  });

  it('rejects zero, fractional and inverted bounds', () => {
    expect(mediaError(() => smartResize(0, 10)).code).toBe('bad-size');
    expect(mediaError(() => smartResize(10.5, 10)).code).toBe('bad-size');
    // The reference asserts max_pixels >= min_pixels (l.66).
    expect(mediaError(() => smartResize(100, 100, { minPixels: 10000, maxPixels: 5000 })).code).toBe('bad-argument');
  });

  it('plans image tokens as (h/16)·(w/16)/4', () => {
    // 992×1792 → 62·112 = 6944 patches, 1736 tokens.
    expect(planImage({ width: 1920, height: 1080 })).toEqual({ width: 1792, height: 992, patches: 6944, tokens: 1736, grid: [1, 62, 112] });
  });
});

describe("fetch_video's per-frame cap (vision_process.py l.449–455)", () => {
  it('max(min(VIDEO_FRAME_MAX_PIXELS, total/nframes·2), int(min_pixels·1.05))', () => {
    // 10 frames, Sift budget: min(786432, 7864320/10·2 = 1572864) = 786432.
    expect(videoFrameMaxPixels(10)).toBe(786432);
    // 40 frames: 7864320/40·2 = 393216.
    expect(videoFrameMaxPixels(40)).toBe(393216);
    // 64 frames: 245760.
    expect(videoFrameMaxPixels(64)).toBe(245760);
    // Tiny budget: the floor int(131072·1.05) = int(137625.6) = 137625 wins.
    expect(videoFrameMaxPixels(64, { totalPixels: 1_000_000 })).toBe(137625);
    // The reference's default for files (no total_pixels): 117964800/64·2 ≫ 786432 → 786432.
    expect(videoFrameMaxPixels(64, { totalPixels: REFERENCE_FILE_TOTAL_PIXELS })).toBe(786432);
  });
});
