// The shape of a rerank request and the reference's rules for reading one side of it
// (QwenLM/Qwen3-VL-Embedding `qwen3_vl_reranker.py`: `format_mm_content`, `is_video_input`,
// `is_image_path`, `sample_frames`). Media are opaque handles here: nothing is opened.

export type { MediaRef, VideoInput, RerankSide, RerankRequest } from '../contracts/request.ts';
import type { MediaRef, RerankSide, VideoInput } from '../contracts/request.ts';

/** Options that the reference fixes in `Qwen3VLReranker.__init__`. */
export interface ConversationOptions {
  defaultInstruction: string;
  /** Image pixel bounds written on every image item (reference MIN_PIXELS / MAX_PIXELS). */
  minPixels: number;
  maxPixels: number;
  /** Frame rate and frame cap for video files when the request gives none. */
  fps: number;
  /** Also the cap frame lists are subsampled to (the reference uses its own setting, not the request's). */
  maxFrames: number;
  /** Whole-video pixel budget. The reference writes it on frame lists only; Sift (README, 'Where Sift deliberately differs') on every video. */
  totalPixels: number;
  /** true = Sift's behaviour (budget on video files too); false = the reference's. */
  totalPixelsOnFiles: boolean;
  /**
   * Decides whether an opaque (non-string) handle is a frame image. The reference treats a list whose
   * first element is a PIL image as one frame-list video; the default treats any object as an image
   * unless it carries a `type` string starting with "video/" (a video Blob / File).
   */
  isImageHandle: (handle: object) => boolean;
}

export const DEFAULT_INSTRUCTION = 'Given a search query, retrieve relevant candidates that answer the query.';

const IMAGE_FACTOR = 32;
export const DEFAULT_CONVERSATION_OPTIONS: ConversationOptions = {
  defaultInstruction: DEFAULT_INSTRUCTION,
  minPixels: 4 * IMAGE_FACTOR * IMAGE_FACTOR,
  maxPixels: 1800 * IMAGE_FACTOR * IMAGE_FACTOR,
  fps: 1,
  maxFrames: 64,
  totalPixels: 10 * 768 * IMAGE_FACTOR * IMAGE_FACTOR,
  totalPixelsOnFiles: true,
  isImageHandle: defaultIsImageHandle,
};

function defaultIsImageHandle(handle: object): boolean {
  const type = (handle as { type?: unknown }).type;
  return !(typeof type === 'string' && type.startsWith('video/'));
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.gif', '.bmp', '.webp', '.tiff', '.svg']);

/** Python's `os.path.splitext(p)[1]` on a POSIX path: leading dots of the last component don't count. */
function pythonSplitextExt(path: string): string {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  if (dot <= 0 || /^\.+$/.test(base.slice(0, dot + 1))) return '';
  return base.slice(dot);
}

/** The reference's `is_image_path`: the extension (of the URL path for http(s) URLs) names an image. */
export function isImagePath(path: string): boolean {
  let clean = path;
  if (path.startsWith('http://') || path.startsWith('https://')) {
    // urlparse(...).path: drop scheme, authority, query and fragment, without decoding.
    const rest = path.slice(path.indexOf('//') + 2);
    const slash = rest.search(/[/?#]/);
    const afterHost = slash < 0 ? '' : rest.slice(slash);
    clean = afterHost.startsWith('/') ? afterHost.split(/[?#]/, 1)[0] : '';
    // urlparse also splits ";params" off the last path segment.
    const semi = clean.indexOf(';', clean.lastIndexOf('/'));
    if (semi >= 0) clean = clean.slice(0, semi);
  }
  return IMAGE_EXTENSIONS.has(pythonSplitextExt(clean.toLowerCase()));
}

/**
 * The reference's `is_video_input`: is this `video` value ONE video (a path, or a frame list whose first
 * element is an image) rather than a list of videos? Sift extension: a lone opaque handle is one video
 * (the reference only takes strings and lists).
 */
export function isVideoInput(video: unknown, isImageHandle = defaultIsImageHandle): boolean {
  if (typeof video === 'string') return true;
  if (Array.isArray(video)) {
    if (video.length === 0) return false;
    const first: unknown = video[0];
    if (typeof first === 'string') return isImagePath(first);
    if (first !== null && typeof first === 'object' && !Array.isArray(first)) return isImageHandle(first);
    return false;
  }
  return video !== null && typeof video === 'object';
}

/**
 * The reference's `sample_frames`: keep `maxSegments` frames at
 * `np.linspace(0, n - 1, maxSegments, dtype=int)`, i.e. floor(i * step) in float64 with the last
 * index exactly n - 1.
 */
export function sampleFrames<T>(frames: T[], maxSegments: number): T[] {
  const n = frames.length;
  if (n <= maxSegments) return frames;
  if (maxSegments <= 0) return [];
  if (maxSegments === 1) return [frames[0]];
  const step = (n - 1) / (maxSegments - 1);
  const out: T[] = [];
  for (let i = 0; i < maxSegments; i++) {
    const value = i === maxSegments - 1 ? n - 1 : i * step;
    out.push(frames[Math.trunc(value)]);
  }
  return out;
}

/** A side's items in the reference's normalised form, before any order is imposed. */
export interface NormalizedSide {
  texts: string[];
  images: MediaRef[];
  videos: VideoInput[];
}

function isNone(v: unknown): boolean {
  return v === undefined || v === null;
}

/** `format_mm_content`'s normalisation of text / image / video to lists. */
export function normalizeSide(side: RerankSide | null | undefined, isImageHandle = defaultIsImageHandle): NormalizedSide {
  const s = side ?? {};
  let texts: unknown[];
  if (isNone(s.text)) texts = [];
  else if (typeof s.text === 'string') texts = [s.text];
  else if (Array.isArray(s.text)) texts = s.text;
  else throw new TypeError(`text must be a string or a list of strings, got ${typeof s.text}`);
  for (const t of texts) {
    if (typeof t !== 'string') throw new TypeError(`text items must be strings, got ${t === null ? 'null' : typeof t}`);
  }

  let images: unknown[];
  if (isNone(s.image)) images = [];
  else if (!Array.isArray(s.image)) images = [s.image];
  else images = s.image;
  for (const img of images) {
    if (typeof img !== 'string' && (img === null || typeof img !== 'object' || Array.isArray(img))) {
      throw new TypeError(`Unrecognized image type: ${img === null ? 'null' : Array.isArray(img) ? 'list' : typeof img}`);
    }
  }

  let videos: unknown[];
  if (isNone(s.video)) videos = [];
  else if (isVideoInput(s.video, isImageHandle)) videos = [s.video];
  else if (Array.isArray(s.video)) videos = s.video;
  else throw new TypeError(`Unrecognized video type: ${typeof s.video}`);
  for (const v of videos) {
    if (typeof v !== 'string' && (v === null || typeof v !== 'object')) {
      throw new TypeError(`Unrecognized video type: ${v === null ? 'null' : typeof v}`);
    }
  }

  return { texts: texts as string[], images: images as MediaRef[], videos: videos as VideoInput[] };
}
