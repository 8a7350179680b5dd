// One still image, as qwen-vl-utils `fetch_image` + the Qwen2-VL fast image processor build it:
// to_rgb → smart_resize(factor 32, the reranker's min/max pixels) → Pillow bicubic → patches.
// The processor itself runs with do_resize=False, so this is the only resize.
import { MediaError } from './errors.ts';
import { patchify, type Patches } from './patches.ts';
import { resizeBicubicPil } from './pilBicubic.ts';
import { checkPixels, toRgb, type RawPixels, type RgbImage } from './pixels.ts';
import { IMAGE_FACTOR, IMAGE_MAX_PIXELS, IMAGE_MIN_PIXELS, smartResize } from './smartResize.ts';

const PATCH = 16;
const MERGE = 2;

export interface ImageSizeOptions {
  /** Default: the reranker's 4,096 (4 tokens). */
  minPixels?: number;
  /** Default: the reranker's 1,843,200 (1,800 tokens). */
  maxPixels?: number;
}

export interface ImagePlan {
  /** Size after smart_resize. */
  width: number;
  height: number;
  /** Vision-encoder patches (16×16 each) = rows of the patch matrix. */
  patches: number;
  /** LLM tokens (image pads) = patches / 4. */
  tokens: number;
  grid: [number, number, number];
}

/** Sizes and token count of an image without touching its pixels; throws MediaError when rejected. */
export function planImage(o: { width: number; height: number } & ImageSizeOptions): ImagePlan {
  const [height, width] = smartResize(o.height, o.width, {
    factor: IMAGE_FACTOR,
    minPixels: o.minPixels ?? IMAGE_MIN_PIXELS,
    maxPixels: o.maxPixels ?? IMAGE_MAX_PIXELS,
  });
  const gh = height / PATCH;
  const gw = width / PATCH;
  return { width, height, patches: gh * gw, tokens: (gh * gw) / (MERGE * MERGE), grid: [1, gh, gw] };
}

/** to_rgb + smart_resize + Pillow bicubic: the exact RGB image the reference hands the processor. */
export function resizeImageLikeReference(pixels: RawPixels, options: ImageSizeOptions = {}): RgbImage {
  checkPixels(pixels);
  const plan = planImage({ width: pixels.width, height: pixels.height, ...options });
  const rgb = toRgb(pixels);
  const data = resizeBicubicPil(rgb.data, rgb.width, rgb.height, 3, plan.width, plan.height);
  return { data, width: plan.width, height: plan.height };
}

export interface PreprocessedImage extends Patches {
  width: number;
  height: number;
}

/** Pixels → model input: `{ patches: Float32Array [h·w, 1536], grid: [1, h, w], width, height }`. */
export function preprocessImage(pixels: RawPixels, options: ImageSizeOptions = {}): PreprocessedImage {
  let resized: RgbImage;
  try {
    resized = resizeImageLikeReference(pixels, options);
  } catch (e) {
    if (e instanceof MediaError) throw e;
    throw new MediaError('bad-argument', `cannot preprocess image: ${(e as Error).message}`);
  }
  const { patches, grid } = patchify([resized]);
  return { patches, grid, width: resized.width, height: resized.height };
}
