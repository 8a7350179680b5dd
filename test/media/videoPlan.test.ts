// Frame sampling and timing against the reference's semantics:
// - qwen-vl-utils vision_process.py (QwenLM/Qwen3-VL, 0.0.14): smart_nframes l.144–181 (fps mode,
//   FPS_MIN_FRAMES 4, FRAME_FACTOR 2, l.32–33), frame indices `torch.linspace(start, end, nframes)
//   .round().long()` (l.317 decord, l.366 torchcodec, l.215 torchvision), fetch_video's list branch
//   l.415–446 (pad to even with the last frame, sample_fps 2.0, fake frames_indices 0..n−1 at fps 2).
// - Qwen3-VL-Embedding qwen3_vl_reranker.py: FPS 1, MAX_FRAMES 64 (l.22–23), sample_frames l.60–71
//   (`np.linspace(0, n−1, max, dtype=int)`), total_pixels only on frame lists (l.269–283).
// - transformers Qwen3VLProcessor._calculate_timestamps: pad indices to a multiple of the temporal patch
//   with the last one, idx / fps, then the mean of the first and last of each pair.
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.ts';
import {
  groupTimestamps,
  planFrameList,
  planVideo,
  sampleFrameIndices,
  smartNFrames,
  torchLinspaceRounded,
} from '../../src/media/videoPlan.ts';

const nframes = (totalFrames: number, sourceFps: number, fps = 1, maxFrames = 64) =>
  smartNFrames({ totalFrames, sourceFps, fps, maxFrames });

describe('smart_nframes, fps mode with the reranker defaults', () => {
  it('takes duration·fps frames, floored to even', () => {
    expect(nframes(300, 30)).toBe(10); // 10 s at 1 fps
    expect(nframes(300, 29.97)).toBe(10); // 10.01 → min/max → floor_by_factor(10.01, 2) = 10
    expect(nframes(25, 5)).toBe(4); // 5 → floor_by_factor(5, 2) = 4 (even)
    expect(nframes(100, 25, 2)).toBe(8); // 4 s at 2 fps
  });

  it('raises short videos to min_frames 4, but never above the frame count', () => {
    expect(nframes(90, 30)).toBe(4); // 3 → max(3, 4) = 4
    // 3 frames: max(0.1, 4) = 4 → min(4, 64) → min(4, 3) = 3 → floor_by_factor(3, 2) = 2.
    expect(nframes(3, 30)).toBe(2);
  });

  it('caps at max_frames (floored to even)', () => {
    expect(nframes(7201, 30)).toBe(64); // 240 s
    expect(nframes(600, 30, 1, 9)).toBe(8); // floor_by_factor(9, 2) = 8 < 20
  });

  it('rejects what the reference rejects: fewer than 2 frames after flooring (l.179–180)', () => {
    // 1 frame: min(…, 1) = 1 → floor_by_factor(1, 2) = 0 → "nframes should in interval [2, 1]".
    expect(() => nframes(1, 30)).toThrow(MediaError);
    // A 1-frame video (or a still image given as a video): say what is wrong and what to do.
    expect(() => nframes(1, 30)).toThrow(
      'this video has 1 frame; a video needs at least 2 frames. Give a single frame (or a still image) as "image" instead of "video"',
    );
    expect(() => nframes(10, 30, 1, 1)).toThrow(/^max_frames 1 leaves no frames to sample: .*raise max_frames to 2 or more$/);
    expect(() => nframes(0, 30)).toThrow(/positive whole number of frames/);
    expect(() => nframes(10, 0)).toThrow(/positive frame rate/);
  });
});

describe('torch.linspace(...).round() in float32', () => {
  it('matches hand-computed indices', () => {
    // linspace(0, 89, 4): step = 89/3 = 29.667 → 0, 29.67, (back from end) 89 − 29.67 = 59.33, 89.
    expect(torchLinspaceRounded(0, 89, 4)).toEqual([0, 30, 59, 89]);
    // linspace(0, 299, 10): step 33.22 → 0, 33.2, 66.4, 99.7, 132.9, 166.1, 199.3, 232.6, 265.8, 299.
    expect(torchLinspaceRounded(0, 299, 10)).toEqual([0, 33, 66, 100, 133, 166, 199, 233, 266, 299]);
  });

  it('rounds exact halves to even (torch.round)', () => {
    expect(torchLinspaceRounded(0, 1, 3)).toEqual([0, 0, 1]); // 0.5 → 0
    expect(torchLinspaceRounded(0, 5, 3)).toEqual([0, 2, 5]); // 2.5 → 2
    expect(torchLinspaceRounded(0, 7, 3)).toEqual([0, 4, 7]); // 3.5 → 4
  });

  it('rounds the float32 value, not the exact one (a 75-minute video)', () => {
    // 135435 frames, 64 samples: step = 135434/63 = 2149.746… → float32 2149.74609375 (ulp 2^-12).
    // Index 61 is in the second half: end − 2·step = 135434 − 4299.4921875 = 131134.5078125, which
    // float32 (ulp 2^-6 there) stores as the tie 131134.5 → half-to-even → 131134. In exact arithmetic
    // it is 131134.5079… → 131135.
    const idx = torchLinspaceRounded(0, 135434, 64);
    expect(idx[61]).toBe(131134);
    expect(planVideo({ frames: 135435, sourceFps: 30, width: 1280, height: 720 }).indices[61]).toBe(131134);
  });
});

describe('_calculate_timestamps', () => {
  it('averages the pair of each temporal group at the source fps', () => {
    // indices [0, 33, 66, 100, …] at 30 fps: (0 + 33/30)/2 = 0.55, (66/30 + 100/30)/2 = 2.7667.
    const t = groupTimestamps([0, 33, 66, 100], 30);
    expect(t[0]).toBeCloseTo(0.55, 12);
    expect(t[1]).toBeCloseTo(166 / 60, 12);
  });

  it('pads an odd index list with its last index', () => {
    // [0, 10, 20] at 10 fps → [0, 10, 20, 20] → [(0 + 1)/2, (2 + 2)/2] = [0.5, 2].
    expect(groupTimestamps([0, 10, 20], 10)).toEqual([0.5, 2]);
  });
});

describe('planVideo (a video file)', () => {
  it('300 frames at 30 fps, 1280×720', () => {
    const p = planVideo({ frames: 300, sourceFps: 30, width: 1280, height: 720 });
    expect(p.frames).toBe(10);
    // Per-frame cap 786432 (see smartResize.test.ts); smart_resize(720, 1280): round(22.5) = 22 → 704,
    // 40 → 1280; 901120 > 786432 → beta = 1.0825 → floor(20.78)·32 = 640, floor(36.95)·32 = 1152.
    expect([p.width, p.height]).toEqual([1152, 640]);
    expect(p.grid).toEqual([5, 40, 72]);
    expect(p.tokens).toBe(3600); // 5·40·72/4
  });

  it('the reference default budget for files vs Sift’s (README: where Sift deliberately differs)', () => {
    // 64 frames of 1280×720: Sift's 7864320 budget gives 245760 px per frame: smart_resize(720, 1280,
    // max 245760): beta = sqrt(921600/245760) = 1.9365 → floor(11.62)·32 = 352, floor(20.66)·32 = 640;
    // grid [32, 22, 40] → 7040 tokens.
    const sift = planVideo({ frames: 7200, sourceFps: 30, width: 1280, height: 720 });
    expect([sift.width, sift.height, sift.tokens]).toEqual([640, 352, 7040]);
    // The reference (no total_pixels on files) keeps the 786432 cap: 1152×640, 32·40·72/4 = 23040 tokens.
    const ref = planVideo({ frames: 7200, sourceFps: 30, width: 1280, height: 720, totalPixels: 128000 * 32 * 32 * 0.9 });
    expect([ref.width, ref.height, ref.tokens]).toEqual([1152, 640, 23040]);
  });
});

describe('frame lists', () => {
  it('sample_frames truncates numpy float64 values (np.linspace(..., dtype=int))', () => {
    // 100 frames → 64: step 99/63 = 1.5714…: floor(1.57) = 1, floor(3.14) = 3, floor(4.71) = 4, …, 99.
    const s = sampleFrameIndices(100, 64);
    expect(s.slice(0, 6)).toEqual([0, 1, 3, 4, 6, 7]);
    expect(s[63]).toBe(99);
    // 154 frames: step = 153/63 = 17/7 is stored just below 17/7, so 21·step = 50.999999999999993
    // truncates to 50 although 21·17/7 = 51 exactly (numpy 2.x gives 50 as well).
    const t = sampleFrameIndices(154, 64);
    expect([t[21], t[42], t[49]]).toEqual([50, 101, 118]);
    // Lists up to max_frames are kept whole.
    expect(sampleFrameIndices(5, 64)).toEqual([0, 1, 2, 3, 4]);
  });

  it('5 frames of 640×480: pad to 6, fake 2 fps timing, the 0.0.14 pre-resize factor 64', () => {
    // fetch_image per frame with factor 64 (0.0.14 passes image_factor as the patch size):
    // round(480/64 = 7.5) = 8 → 512, 640 → 640. Padded count 6 → cap min(786432, 7864320/6·2) =
    // 786432; smart_resize(512, 640) keeps 512×640 → grid [3, 32, 40].
    const p = planFrameList({ count: 5, width: 640, height: 480 });
    expect(p.frames).toBe(6);
    expect([p.preWidth, p.preHeight, p.width, p.height]).toEqual([640, 512, 640, 512]);
    expect(p.grid).toEqual([3, 32, 40]);
    // frames_indices 0..5 at fps 2: (0 + 0.5)/2, (1 + 1.5)/2, (2 + 2.5)/2.
    expect(p.timestamps).toEqual([0.25, 1.25, 2.25]);
    // With the later upstream fix (factor 32): 480 stays 480 → grid [3, 30, 40].
    expect(planFrameList({ count: 5, width: 640, height: 480, preResizeFactor: 32 }).grid).toEqual([3, 30, 40]);
  });

  it('40 frames of 1280×720 share the 7,864,320 px budget', () => {
    // Pre-resize (factor 64): round(11.25) = 11 → 704, 1280. Cap 7864320/40·2 = 393216:
    // beta = sqrt(704·1280/393216) = 1.5138 → floor(14.53)·32 = 448, floor(26.42)·32 = 832.
    const p = planFrameList({ count: 40, width: 1280, height: 720 });
    expect([p.width, p.height]).toEqual([832, 448]);
    expect(p.grid).toEqual([20, 28, 52]);
    expect(p.tokens).toBe(7280);
  });

  it('subsamples a long list to max_frames', () => {
    const p = planFrameList({ count: 100, width: 64, height: 64 });
    expect(p.sampled).toHaveLength(64);
    expect(p.frames).toBe(64);
    expect(p.grid[0]).toBe(32);
  });
});
