// Target sizes, as qwen-vl-utils 0.0.14 `smart_resize` computes them, and the pixel bounds the
// reference passes for images (Qwen3VLReranker) and video frames (`fetch_video`).
import { withArticle } from './article.ts';
import { MediaError } from './errors.ts';
import { ceilByFactor, floorByFactor, roundByFactor } from './rounding.ts';

/** Patch 16 × spatial merge 2: every side becomes a multiple of 32. */
export const IMAGE_FACTOR = 32;
/** Qwen3VLReranker MIN_PIXELS = 4 · 32² (4 LLM tokens). */
export const IMAGE_MIN_PIXELS = 4 * 32 * 32;
/** Qwen3VLReranker MAX_PIXELS = 1800 · 32² (1800 LLM tokens). */
export const IMAGE_MAX_PIXELS = 1800 * 32 * 32;
/** qwen-vl-utils VIDEO_MIN_TOKEN_NUM · factor² — the per-frame minimum for videos. */
export const VIDEO_FRAME_MIN_PIXELS = 128 * 32 * 32;
/** qwen-vl-utils VIDEO_MAX_TOKEN_NUM · factor² (= the reranker's FRAME_MAX_PIXELS). */
export const VIDEO_FRAME_MAX_PIXELS = 768 * 32 * 32;
/** The reranker's MAX_TOTAL_PIXELS = 10 · FRAME_MAX_PIXELS; Sift applies it to every video (README, 'Where Sift deliberately differs'). */
export const VIDEO_TOTAL_PIXELS = 10 * VIDEO_FRAME_MAX_PIXELS;
/** What the reference uses for a video *file* (no total_pixels given): MODEL_SEQ_LEN · 32² · 0.9. */
export const REFERENCE_FILE_TOTAL_PIXELS = 128000 * 32 * 32 * 0.9;
/** qwen-vl-utils MAX_RATIO. */
export const MAX_ASPECT_RATIO = 200;
/** Frames are grouped in pairs (temporal patch 2). */
export const FRAME_FACTOR = 2;

export interface SmartResizeOptions {
  factor?: number;
  minPixels?: number;
  maxPixels?: number;
}

function checkSide(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) {
    throw new MediaError('bad-size', `image ${name} must be a positive integer, got ${v}`);
  }
}

/**
 * `smart_resize(height, width, factor, min_pixels, max_pixels)` → [height, width]: both multiples of
 * `factor` (Python round, ties to even), then shrunk with floor if above maxPixels or grown with ceil if
 * below minPixels, keeping the aspect ratio. Throws MediaError for an aspect ratio above 200.
 */
export function smartResize(height: number, width: number, options: SmartResizeOptions = {}): [number, number] {
  const factor = options.factor ?? IMAGE_FACTOR;
  const minPixels = options.minPixels ?? IMAGE_MIN_PIXELS;
  const maxPixels = options.maxPixels ?? IMAGE_MAX_PIXELS;
  checkSide('height', height);
  checkSide('width', width);
  if (!(maxPixels >= minPixels)) {
    throw new MediaError('bad-argument', `max_pixels (${maxPixels}) must be ≥ min_pixels (${minPixels})`);
  }
  const ratio = Math.max(height, width) / Math.min(height, width);
  if (ratio > MAX_ASPECT_RATIO) {
    throw new MediaError(
      'bad-size',
      `aspect ratio ${ratio.toFixed(1)} of ${withArticle(`${width}×${height}`)} image is above ${MAX_ASPECT_RATIO}; the model cannot take it`,
    );
  }
  let hBar = Math.max(factor, roundByFactor(height, factor));
  let wBar = Math.max(factor, roundByFactor(width, factor));
  if (hBar * wBar > maxPixels) {
    const beta = Math.sqrt((height * width) / maxPixels);
    hBar = floorByFactor(height / beta, factor);
    wBar = floorByFactor(width / beta, factor);
  } else if (hBar * wBar < minPixels) {
    const beta = Math.sqrt(minPixels / (height * width));
    hBar = ceilByFactor(height * beta, factor);
    wBar = ceilByFactor(width * beta, factor);
  }
  // The floor branch can reach 0 for very thin images; PIL then refuses the resize.
  if (hBar <= 0 || wBar <= 0) {
    throw new MediaError('bad-size', `${withArticle(`${width}×${height}`)} image resizes to ${wBar}×${hBar} under max ${maxPixels} px`);
  }
  return [hBar, wBar];
}

export interface VideoPixelOptions {
  /** Whole-video budget divided over the frames (default: Sift's 7,864,320 for every video). */
  totalPixels?: number;
  perFrameMaxPixels?: number;
  minPixels?: number;
}

/**
 * `fetch_video`'s per-frame cap: max(min(VIDEO_FRAME_MAX, total_pixels / nframes · 2), int(min_pixels · 1.05)).
 * nframes is the (even) number of frames actually kept.
 */
export function videoFrameMaxPixels(nframes: number, options: VideoPixelOptions = {}): number {
  const total = options.totalPixels ?? VIDEO_TOTAL_PIXELS;
  const perFrame = options.perFrameMaxPixels ?? VIDEO_FRAME_MAX_PIXELS;
  const minPixels = options.minPixels ?? VIDEO_FRAME_MIN_PIXELS;
  return Math.max(Math.min(perFrame, (total / nframes) * FRAME_FACTOR), Math.trunc(minPixels * 1.05));
}

/** The size every frame of a video is resized to (smart_resize with the video's pixel bounds). */
export function smartResizeVideoFrame(
  height: number,
  width: number,
  nframes: number,
  options: VideoPixelOptions & { factor?: number } = {},
): [number, number] {
  return smartResize(height, width, {
    factor: options.factor ?? IMAGE_FACTOR,
    minPixels: options.minPixels ?? VIDEO_FRAME_MIN_PIXELS,
    maxPixels: videoFrameMaxPixels(nframes, options),
  });
}
