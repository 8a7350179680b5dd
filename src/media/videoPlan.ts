// Which frames of a video the reference keeps, at what size, and the `<t seconds>` of each temporal
// group — pure arithmetic, no pixels. Video files follow qwen-vl-utils 0.0.14 `fetch_video` +
// `smart_nframes` (decord / torchcodec / torchvision readers all sample the same indices); frame lists
// follow the reranker's `sample_frames` then `fetch_video`'s list branch; timestamps follow
// transformers' Qwen3VLProcessor._calculate_timestamps.
import { MediaError } from './errors.ts';
import { ceilByFactor, floorByFactor, roundHalfEven } from './rounding.ts';
import {
  FRAME_FACTOR,
  IMAGE_FACTOR,
  smartResize,
  VIDEO_FRAME_MAX_PIXELS,
  VIDEO_FRAME_MIN_PIXELS,
  VIDEO_TOTAL_PIXELS,
  videoFrameMaxPixels,
} from './smartResize.ts';

const PATCH = 16;
const MERGE = 2;

/** Reranker defaults: FPS = 1, MAX_FRAMES = 64; qwen-vl-utils FPS_MIN_FRAMES = 4. */
export const DEFAULT_VIDEO_FPS = 1;
export const DEFAULT_MAX_FRAMES = 64;
export const DEFAULT_MIN_FRAMES = 4;
/** fetch_video's list branch: `sample_fps = ele.get("sample_fps", 2.0)`, also used as the fake source fps. */
export const FRAME_LIST_FPS = 2;

export interface NFramesOptions {
  totalFrames: number;
  sourceFps: number;
  fps?: number;
  minFrames?: number;
  maxFrames?: number;
}

/** `smart_nframes` in fps mode: an even frame count in [2, totalFrames]; throws MediaError otherwise. */
export function smartNFrames(o: NFramesOptions): number {
  const { totalFrames, sourceFps } = o;
  if (!Number.isInteger(totalFrames) || totalFrames < 1) {
    throw new MediaError('bad-frames', `a video needs a positive whole number of frames, got ${totalFrames}`);
  }
  if (!(sourceFps > 0) || !Number.isFinite(sourceFps)) {
    throw new MediaError('bad-frames', `a video needs a positive frame rate, got ${sourceFps}`);
  }
  if (totalFrames < FRAME_FACTOR) {
    // A one-frame video, or a still image given as a video (ffprobe reads an image as a 1-frame video).
    throw new MediaError(
      'bad-frames',
      `this video has ${totalFrames} frame; a video needs at least ${FRAME_FACTOR} frames. Give a single frame (or a still image) as "image" instead of "video"`,
    );
  }
  const fps = o.fps ?? DEFAULT_VIDEO_FPS;
  const minFrames = ceilByFactor(o.minFrames ?? DEFAULT_MIN_FRAMES, FRAME_FACTOR);
  const maxFrames = floorByFactor(o.maxFrames ?? DEFAULT_MAX_FRAMES, FRAME_FACTOR);
  let n = (totalFrames / sourceFps) * fps;
  n = Math.min(Math.min(Math.max(n, minFrames), maxFrames), totalFrames);
  n = floorByFactor(n, FRAME_FACTOR);
  if (!(n >= FRAME_FACTOR && n <= totalFrames)) {
    // Only a max_frames below 2 gets here (the frame count is at least 2).
    throw new MediaError(
      'bad-frames',
      `max_frames ${o.maxFrames} leaves no frames to sample: a video needs at least ${FRAME_FACTOR} sampled frames; raise max_frames to ${FRAME_FACTOR} or more`,
    );
  }
  return n;
}

/**
 * `torch.linspace(start, end, steps).round().long()`: float32 linspace as PyTorch's CPU kernel computes it
 * (step = (end − start) / (steps − 1) in float32; the first half counts up from start, the second half
 * down from end; with the FMA that the AVX2/AVX512 kernels use, each value is rounded once), then
 * rounded half-to-even. Checked against torch 2.13 (AVX2 and AVX512) on 298,666 (total, n) pairs;
 * a CPU without FMA (PyTorch's DEFAULT kernel) can differ for videos above ~260,000 frames.
 */
export function torchLinspaceRounded(start: number, end: number, steps: number): number[] {
  if (steps === 1) return [roundHalfEven(Math.fround(start))];
  const s = Math.fround(start);
  const e = Math.fround(end);
  const step = Math.fround(Math.fround(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const v = i < half ? Math.fround(s + step * i) : Math.fround(e - step * (steps - i - 1));
    out.push(roundHalfEven(v));
  }
  return out;
}

/**
 * Qwen3VLProcessor._calculate_timestamps: pad the index list to a multiple of the temporal patch with
 * its last index, idx / fps per frame, then the mean of the first and last frame of each group.
 */
export function groupTimestamps(indices: number[], fps: number, temporalPatch = FRAME_FACTOR): number[] {
  const idx = indices.slice();
  while (idx.length % temporalPatch !== 0) idx.push(idx[idx.length - 1]);
  const t = idx.map((i) => i / fps);
  const out: number[] = [];
  for (let i = 0; i < t.length; i += temporalPatch) out.push((t[i] + t[i + temporalPatch - 1]) / 2);
  return out;
}

export interface VideoPlanOptions {
  /** Frames in the source video (decord: len(reader)). */
  frames: number;
  /** The source's average frame rate. */
  sourceFps: number;
  width: number;
  height: number;
  /** Sampling rate (reranker default 1). */
  fps?: number;
  maxFrames?: number;
  minFrames?: number;
  perFrameMaxPixels?: number;
  /**
   * Whole-video pixel budget, divided over the kept frames. Default: Sift's 7,864,320 for every video
   * (README, 'Where Sift deliberately differs'). The reference passes no budget for a video file; REFERENCE_FILE_TOTAL_PIXELS reproduces that.
   */
  totalPixels?: number;
  minPixels?: number;
}

export interface VideoPlan {
  /** Number of frames kept (even). */
  frames: number;
  /** Source frame index of each kept frame. */
  indices: number[];
  /** Size every frame is resized to. */
  width: number;
  height: number;
  grid: [number, number, number];
  /** Seconds per temporal group (grid[0] values). */
  timestamps: number[];
  /** Video pad tokens = t · h · w / 4 (the `<t seconds>` texts are extra). */
  tokens: number;
  /** The per-frame pixel cap that smart_resize used. */
  maxPixels: number;
}

function gridOf(frames: number, width: number, height: number): { grid: [number, number, number]; tokens: number } {
  const grid: [number, number, number] = [Math.ceil(frames / FRAME_FACTOR), height / PATCH, width / PATCH];
  return { grid, tokens: (grid[0] * grid[1] * grid[2]) / (MERGE * MERGE) };
}

/** A video file: frame count, indices, per-frame size, grid, timestamps. */
export function planVideo(o: VideoPlanOptions): VideoPlan {
  const n = smartNFrames({ totalFrames: o.frames, sourceFps: o.sourceFps, fps: o.fps, minFrames: o.minFrames, maxFrames: o.maxFrames });
  const indices = torchLinspaceRounded(0, o.frames - 1, n);
  const maxPixels = videoFrameMaxPixels(n, {
    totalPixels: o.totalPixels ?? VIDEO_TOTAL_PIXELS,
    perFrameMaxPixels: o.perFrameMaxPixels ?? VIDEO_FRAME_MAX_PIXELS,
    minPixels: o.minPixels ?? VIDEO_FRAME_MIN_PIXELS,
  });
  const [height, width] = smartResize(o.height, o.width, {
    factor: IMAGE_FACTOR,
    minPixels: o.minPixels ?? VIDEO_FRAME_MIN_PIXELS,
    maxPixels,
  });
  return { frames: n, indices, width, height, ...gridOf(n, width, height), timestamps: groupTimestamps(indices, o.sourceFps), maxPixels };
}

/**
 * The reranker's `sample_frames`: `np.linspace(0, count − 1, maxFrames, dtype=int)` — float64 values
 * i · (count − 1) / (maxFrames − 1), the last forced to count − 1, then *floored* (not rounded).
 * A list no longer than maxFrames is kept whole.
 */
export function sampleFrameIndices(count: number, maxFrames: number = DEFAULT_MAX_FRAMES): number[] {
  if (count <= maxFrames) return Array.from({ length: count }, (_, i) => i);
  if (maxFrames <= 0) return [];
  if (maxFrames === 1) return [0];
  const step = (count - 1) / (maxFrames - 1);
  const out: number[] = [];
  for (let i = 0; i < maxFrames; i++) out.push(i === maxFrames - 1 ? count - 1 : Math.floor(i * step));
  return out;
}

export interface FrameListPlanOptions {
  /** Number of frame images given. */
  count: number;
  /** Size of the frames (they must all resize to the same size). */
  width: number;
  height: number;
  maxFrames?: number;
  totalPixels?: number;
  /**
   * Factor of the per-frame `fetch_image` pre-resize. qwen-vl-utils 0.0.14 as published passes
   * `image_factor` (32) where `image_patch_size` belongs, so the pre-resize rounds to multiples of 64
   * (with min 4·64², max 16384·64² px); the repository fixed it later (commit fe12058) to 32.
   */
  preResizeFactor?: number;
}

export interface FrameListPlan {
  /** Which of the given frames are used (reranker sample_frames), in order. */
  sampled: number[];
  /** Frames after padding to an even count (the last one repeated). */
  frames: number;
  /** Size of each frame after the Pillow pre-resize. */
  preWidth: number;
  preHeight: number;
  /** Final size after the torchvision resize. */
  width: number;
  height: number;
  grid: [number, number, number];
  timestamps: number[];
  tokens: number;
  maxPixels: number;
}

/** The pre-resize size of one frame of a frame list (fetch_image with the list's factor). */
export function frameListPreSize(width: number, height: number, preResizeFactor = 64): [number, number] {
  const f = preResizeFactor;
  return smartResize(height, width, { factor: f, minPixels: 4 * f * f, maxPixels: 16384 * f * f });
}

/** A video given as a list of frame images. */
export function planFrameList(o: FrameListPlanOptions): FrameListPlan {
  if (!Number.isInteger(o.count) || o.count < 1) throw new MediaError('bad-frames', 'a frame list needs at least one frame');
  const sampled = sampleFrameIndices(o.count, o.maxFrames ?? DEFAULT_MAX_FRAMES);
  const [preHeight, preWidth] = frameListPreSize(o.width, o.height, o.preResizeFactor ?? 64);
  const frames = ceilByFactor(sampled.length, FRAME_FACTOR);
  const maxPixels = videoFrameMaxPixels(frames, { totalPixels: o.totalPixels ?? VIDEO_TOTAL_PIXELS });
  const [height, width] = smartResize(preHeight, preWidth, { factor: IMAGE_FACTOR, minPixels: VIDEO_FRAME_MIN_PIXELS, maxPixels });
  // The list branch fakes metadata: frames_indices = 0..frames−1 at fps = sample_fps = 2.
  const timestamps = groupTimestamps(
    Array.from({ length: frames }, (_, i) => i),
    FRAME_LIST_FPS,
  );
  return { sampled, frames, preWidth, preHeight, width, height, ...gridOf(frames, width, height), timestamps, maxPixels };
}

/** A window of a video file: presentation times in seconds, `end` exclusive (VideoItem.clip). */
export interface VideoClip {
  start: number;
  end: number;
}

/** The clip as given, or a 'bad-clip' MediaError saying what is wrong with it. */
export function checkClip(clip: unknown): VideoClip {
  const c = clip as Partial<VideoClip> | null;
  const start = c?.start;
  const end = c?.end;
  if (typeof c !== 'object' || c === null || typeof start !== 'number' || typeof end !== 'number') {
    throw new MediaError('bad-clip', `a clip is {start, end} in seconds, got ${JSON.stringify(clip)}`);
  }
  if (!Number.isFinite(start) || !Number.isFinite(end)) {
    throw new MediaError('bad-clip', `a clip's start and end must be finite numbers of seconds, got ${start} – ${end}`);
  }
  if (start < 0) throw new MediaError('bad-clip', `a clip cannot start before 0 s (got start ${start})`);
  if (!(end > start)) throw new MediaError('bad-clip', `a clip must end after it starts (got ${start} s – ${end} s)`);
  return { start, end };
}

/** Seconds → whole microseconds: clip bounds and frame times are compared at this resolution. */
const microseconds = (seconds: number) => Math.round(seconds * 1e6);

/**
 * Which of the frames (presentation times in seconds, sorted ascending) lie in the clip [start, end):
 * the first one's position in `stamps` and how many. Compared in whole microseconds, so a frame exactly
 * at `start` is in and one exactly at `end` is out — as ffmpeg's trim filter cuts. Throws 'bad-clip'
 * when the clip starts after the last frame or holds fewer than 2 frames (`seconds`: the video's
 * length, for the message).
 */
export function framesInClip(stamps: readonly number[], clip: VideoClip, seconds: number): { first: number; count: number } {
  const lo = microseconds(clip.start);
  const hi = microseconds(clip.end);
  let first = 0;
  while (first < stamps.length && microseconds(stamps[first]) < lo) first++;
  let stop = first;
  while (stop < stamps.length && microseconds(stamps[stop]) < hi) stop++;
  const count = stop - first;
  const window = `the clip ${clip.start} s – ${clip.end} s`;
  if (first === stamps.length) {
    const last = stamps.length > 0 ? `, whose last frame is at ${stamps[stamps.length - 1].toFixed(3)} s` : '';
    throw new MediaError('bad-clip', `${window} starts after the end of this ${seconds.toFixed(3)} s video${last}`);
  }
  if (count < FRAME_FACTOR) {
    throw new MediaError(
      'bad-clip',
      `${window} holds ${count} frame${count === 1 ? '' : 's'}; a video clip needs at least ${FRAME_FACTOR} frames: widen it (or give a single frame as "image")`,
    );
  }
  return { first, count };
}

/**
 * The plan of a clip: the plan of a file made of the clip's `o.frames` frames (same fps, max_frames
 * and pixel rules; `o.sourceFps` is the whole video's rate), with indices moved by `first` so that
 * they address the frames of the whole video, and timestamps counted from the clip's first frame —
 * what the clip cut to its own file would give.
 */
export function planVideoClip(o: VideoPlanOptions, first: number): VideoPlan {
  const plan = planVideo(o);
  return { ...plan, indices: plan.indices.map((i) => i + first) };
}
