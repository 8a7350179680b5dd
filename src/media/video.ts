// Video pixels → model input, following the plans in videoPlan.ts. A decoded video file goes through
// torchvision's antialiased bicubic only; a frame list first goes through fetch_image per frame
// (to_rgb + Pillow bicubic pre-resize), is padded to an even count, then through torchvision's resize.
import { MediaError } from './errors.ts';
import { patchify, type Patches } from './patches.ts';
import { resizeBicubicPil } from './pilBicubic.ts';
import { checkPixels, toRgb, type RawPixels, type RgbImage } from './pixels.ts';
import { resizeBicubicTorch } from './torchBicubic.ts';
import { frameListPreSize, planFrameList, type FrameListPlan, type FrameListPlanOptions, type VideoPlan } from './videoPlan.ts';

export interface PreprocessedVideo extends Patches {
  width: number;
  height: number;
  /** Seconds per temporal group, for the `<t seconds>` texts. */
  timestamps: number[];
}

/** Video decoders deliver opaque RGB; an alpha channel (e.g. RGBA VideoFrame copies) is dropped, not composited. */
function opaqueRgb(p: RawPixels): RgbImage {
  checkPixels(p);
  if (p.channels === 3) return { data: Uint8Array.from(p.data), width: p.width, height: p.height };
  const n = p.width * p.height;
  const out = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    out[i * 3] = p.data[i * 4];
    out[i * 3 + 1] = p.data[i * 4 + 1];
    out[i * 3 + 2] = p.data[i * 4 + 2];
  }
  return { data: out, width: p.width, height: p.height };
}

function torchResize(frame: RgbImage, width: number, height: number): RgbImage {
  return { data: resizeBicubicTorch(frame.data, frame.width, frame.height, 3, width, height), width, height };
}

/**
 * Frames decoded from a video file — exactly the frames at `plan.indices`, in order, at source size —
 * resized and patchified. Timestamps come from the plan.
 */
export function preprocessVideoFrames(frames: RawPixels[], plan: VideoPlan): PreprocessedVideo {
  if (frames.length !== plan.frames) {
    throw new MediaError('bad-frames', `expected ${plan.frames} decoded frames (the planned indices), got ${frames.length}`);
  }
  const resized = frames.map((f) => torchResize(opaqueRgb(f), plan.width, plan.height));
  const { patches, grid } = patchify(resized);
  return { patches, grid, width: plan.width, height: plan.height, timestamps: plan.timestamps };
}

/**
 * A video given as a list of frame images (all of them; the reranker's subsampling to maxFrames is
 * applied here and is a no-op on an already subsampled list). Returns the patches and the plan.
 */
export function preprocessFrameList(
  images: RawPixels[],
  options: Omit<FrameListPlanOptions, 'count' | 'width' | 'height'> = {},
): PreprocessedVideo & { plan: FrameListPlan } {
  if (images.length === 0) throw new MediaError('bad-frames', 'a frame list needs at least one frame');
  const plan = planFrameList({ ...options, count: images.length, width: images[0].width, height: images[0].height });
  const pre: RgbImage[] = plan.sampled.map((i, k) => {
    const img = images[i];
    const [h, w] = frameListPreSize(img.width, img.height, options.preResizeFactor ?? 64);
    if (w !== plan.preWidth || h !== plan.preHeight) {
      throw new MediaError(
        'bad-frames',
        `frame ${k} (${img.width}×${img.height}) resizes to ${w}×${h}, unlike the first frame (${plan.preWidth}×${plan.preHeight}); ` +
          'all frames of a video must have the same size',
      );
    }
    const rgb = toRgb(img);
    return { data: resizeBicubicPil(rgb.data, rgb.width, rgb.height, 3, w, h), width: w, height: h };
  });
  while (pre.length < plan.frames) pre.push(pre[pre.length - 1]);
  const resized = pre.map((f) => torchResize(f, plan.width, plan.height));
  const { patches, grid } = patchify(resized);
  return { patches, grid, width: plan.width, height: plan.height, timestamps: plan.timestamps, plan };
}
