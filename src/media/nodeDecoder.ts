// The engine's MediaDecoder for Node (the `sift` CLI): request media → patches, grids, timestamps,
// plus `measure`, which computes the same grids from headers / ffprobe metadata without decoding
// pixels (for `sift prompt --expand`). Every failure is a MediaError naming the item and what to do.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DecodedImage, DecodedVideo, MediaDecoder } from './decoder.ts';
import type { ImageItem, MediaRef, VideoItem } from '../contracts/request.ts';
import type { MediaGridInfo } from '../contracts/request.ts';
import { MediaError } from './errors.ts';
import { checkSupportedFormat } from './formatSupport.ts';
import { planImage, preprocessImage } from './image.ts';
import { readImageHeader, type ImageHeader } from './imageHeader.ts';
import {
  clipFrameTimes,
  decodeFramesAt,
  decodeVideoFrames,
  FFMPEG_MISSING,
  findFfTools,
  probeVideo,
  type FfTools,
  type VideoProbe,
} from './nodeFfmpeg.ts';
import { checkDecodeLimit, decodeImageBytes, orientedSize, type NodeImageOptions } from './nodeImage.ts';
import { locate, readAll, readHead, type Located, type SourceOptions } from './nodeSource.ts';
import type { RawPixels } from './pixels.ts';
import { REFERENCE_FILE_TOTAL_PIXELS } from './smartResize.ts';
import { preprocessFrameList, preprocessVideoFrames } from './video.ts';
import { checkClip, frameListPreSize, framesInClip, planFrameList, planVideo, planVideoClip, type VideoPlan } from './videoPlan.ts';

export interface NodeMediaDecoderOptions extends NodeImageOptions, SourceOptions {
  /**
   * Factor of the per-frame pre-resize of frame-list videos: 64 reproduces qwen-vl-utils 0.0.14 as
   * published (it passes image_factor where the patch size belongs); 32 is the later upstream fix.
   */
  frameListPreResizeFactor?: number;
  /** Largest raw RGB buffer a video file may decode to (sampled frames × w × h × 3), default 2 GiB. */
  maxVideoBytes?: number;
}

export interface NodeMediaDecoder extends MediaDecoder {
  /** Grid (and video timestamps) from headers / metadata only. */
  measure(item: ImageItem | VideoItem): Promise<MediaGridInfo>;
}

const HEAD_BYTES = 256 * 1024;

/** Prefixes a MediaError's message with the item it is about; other errors become MediaErrors. */
export async function about<T>(label: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    // A message that names the item already (a URL timeout) is not prefixed twice.
    if (e instanceof MediaError)
      throw new MediaError(e.code, e.message.startsWith(label) || e.message.includes(` ${label} `) ? e.message : `${label}: ${e.message}`);
    throw new MediaError('corrupt', `${label}: ${(e as Error).message}`);
  }
}

/** The options with their defaults filled in, shared by the steps below. */
interface Settings {
  baseDir: string;
  opts: NodeMediaDecoderOptions;
  preFactor: number;
  maxVideoBytes: number;
}

async function pixelsOf(loc: Located, opts: NodeMediaDecoderOptions): Promise<RawPixels> {
  if (loc.kind === 'pixels') return loc.pixels;
  return decodeImageBytes(await readAll(loc, opts), opts);
}

/** Header (and oriented size) of an image; reads only the head of local files. */
async function imageSizeOf(loc: Located, opts: NodeMediaDecoderOptions): Promise<{ width: number; height: number }> {
  if (loc.kind === 'pixels') return { width: loc.pixels.width, height: loc.pixels.height };
  let bytes: Uint8Array;
  let h: ImageHeader;
  if (loc.kind === 'file') {
    const head = await readHead(loc.path, HEAD_BYTES);
    bytes = head.bytes;
    try {
      h = readImageHeader(bytes);
    } catch (e) {
      // A JPEG may carry >256 KB of metadata before its frame header: then read the whole file.
      if (head.complete || !(e instanceof MediaError) || e.code !== 'corrupt') throw e;
      bytes = await readAll(loc, opts);
      h = readImageHeader(bytes);
    }
  } else {
    bytes = await readAll(loc, opts);
    h = readImageHeader(bytes);
  }
  checkSupportedFormat(h); // `sift prompt --expand` refuses what `sift rank` would
  checkDecodeLimit(h, opts.maxDecodePixels);
  return orientedSize(h, bytes, opts.exifOrientation);
}

export async function requiredFfTools(opts: NodeMediaDecoderOptions): Promise<FfTools> {
  const t = await findFfTools(opts.ffTools);
  if (!t) throw new MediaError('unsupported-format', FFMPEG_MISSING);
  return t;
}

/**
 * A path ffmpeg can open. URLs are downloaded first (with the fetch and stall timeouts: ffmpeg's own
 * HTTP client waits forever on a silent server); they and in-memory bytes go through a temporary file.
 */
export async function withVideoLocation<T>(loc: Located, opts: NodeMediaDecoderOptions, use: (location: string) => Promise<T>): Promise<T> {
  if (loc.kind === 'file') return use(loc.path);
  if (loc.kind === 'pixels')
    throw new MediaError('bad-argument', 'a video must be a file, a URL or a list of frame images, not one decoded image');
  const bytes = loc.kind === 'url' ? await readAll(loc, opts) : loc.bytes;
  const dir = await mkdtemp(join(tmpdir(), 'sift-video-'));
  try {
    const path = join(dir, 'video');
    await writeFile(path, bytes);
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function videoPlanFor(item: VideoItem, probe: { frames: number; fps: number; width: number; height: number }, first?: number) {
  const o = {
    frames: probe.frames,
    sourceFps: probe.fps,
    width: probe.width,
    height: probe.height,
    fps: item.fps,
    maxFrames: item.max_frames,
    // No budget on the item = the reference's fetch_video default (MODEL_SEQ_LEN · 32² · 0.9).
    totalPixels: item.total_pixels ?? REFERENCE_FILE_TOTAL_PIXELS,
  };
  return first === undefined ? planVideo(o) : planVideoClip(o, first);
}

/**
 * The file's probe and plan; for a clip also the times of the frames read around it (the plan's
 * indices point into those), its frame count in the plan being the clip's.
 */
async function probedPlan(
  t: FfTools,
  location: string,
  item: VideoItem,
): Promise<{ probe: VideoProbe; plan: VideoPlan; stamps?: number[] }> {
  if (item.clip === undefined) {
    const probe = await probeVideo(t, location);
    return { probe, plan: videoPlanFor(item, probe) };
  }
  const clip = checkClip(item.clip);
  const probe = await probeVideo(t, location, { countFrames: false });
  const stamps = await clipFrameTimes(t, location, probe, clip);
  const { first, count } = framesInClip(stamps, clip, probe.seconds ?? NaN);
  return { probe, plan: videoPlanFor(item, { ...probe, frames: count }, first), stamps };
}

function refuseClipOfFrameList(item: VideoItem): void {
  if (item.clip !== undefined) {
    throw new MediaError(
      'bad-clip',
      'a clip is a time window of a video file; this video is a list of frames: give only the frames wanted',
    );
  }
}

const frameListOptions = (item: VideoItem, preFactor: number) => ({
  maxFrames: item.max_frames,
  totalPixels: item.total_pixels ?? REFERENCE_FILE_TOTAL_PIXELS,
  preResizeFactor: preFactor,
});

export const labelOf = (ref: unknown) => (typeof ref === 'string' ? (ref.length > 80 ? `${ref.slice(0, 60)}…` : ref) : 'image');

function decodedImage(item: ImageItem, s: Settings): Promise<DecodedImage> {
  return about(labelOf(item.image), async () => {
    const pixels = await pixelsOf(await locate(item.image, s.baseDir), s.opts);
    const out = preprocessImage(pixels, { minPixels: item.min_pixels, maxPixels: item.max_pixels });
    return { patches: out.patches, grid: out.grid, warnings: pixels.warning ? [pixels.warning] : undefined };
  });
}

async function decodedFrameList(item: VideoItem, refs: MediaRef[], s: Settings): Promise<DecodedVideo> {
  refuseClipOfFrameList(item);
  if (refs.length === 0) throw new MediaError('bad-frames', 'a frame-list video needs at least one frame');
  const frames: RawPixels[] = [];
  for (let k = 0; k < refs.length; k++) {
    frames.push(await about(`frame ${k} (${labelOf(refs[k])})`, async () => pixelsOf(await locate(refs[k], s.baseDir), s.opts)));
  }
  const out = preprocessFrameList(frames, frameListOptions(item, s.preFactor));
  return { patches: out.patches, grid: out.grid, timestamps: out.timestamps };
}

function decodedVideoFile(item: VideoItem, s: Settings): Promise<DecodedVideo> {
  return about(labelOf(item.video), async () => {
    const t = await requiredFfTools(s.opts);
    return withVideoLocation(await locate(item.video, s.baseDir), s.opts, async (location) => {
      const { probe, plan, stamps } = await probedPlan(t, location, item);
      const bytes = plan.frames * probe.width * probe.height * 3;
      if (bytes > s.maxVideoBytes) {
        throw new MediaError(
          'too-large',
          `${plan.frames} frames of ${probe.width}×${probe.height} need ${bytes} bytes of RGB, above the ${s.maxVideoBytes}-byte limit; lower max_frames or downscale the video`,
        );
      }
      const frames = stamps
        ? await decodeFramesAt(t, location, probe, stamps, plan.indices)
        : await decodeVideoFrames(t, location, probe, plan.indices);
      const out = preprocessVideoFrames(frames, plan);
      return { patches: out.patches, grid: out.grid, timestamps: out.timestamps };
    });
  });
}

function measuredImage(item: ImageItem, s: Settings): Promise<MediaGridInfo> {
  return about(labelOf(item.image), async () => {
    const size = await imageSizeOf(await locate(item.image, s.baseDir), s.opts);
    return { grid: planImage({ ...size, minPixels: item.min_pixels, maxPixels: item.max_pixels }).grid };
  });
}

async function measuredFrameList(item: VideoItem, refs: MediaRef[], s: Settings): Promise<MediaGridInfo> {
  refuseClipOfFrameList(item);
  if (refs.length === 0) throw new MediaError('bad-frames', 'a frame-list video needs at least one frame');
  const sizeOfFrame = (k: number) =>
    about(`frame ${k} (${labelOf(refs[k])})`, async () => imageSizeOf(await locate(refs[k], s.baseDir), s.opts));
  const first = await sizeOfFrame(0);
  const o = frameListOptions(item, s.preFactor);
  const plan = planFrameList({ ...o, count: refs.length, width: first.width, height: first.height });
  // The same check preprocessFrameList makes on decoded frames: every used frame pre-resizes alike.
  for (const k of plan.sampled) {
    const size = await sizeOfFrame(k);
    const [h, w] = frameListPreSize(size.width, size.height, s.preFactor);
    if (w !== plan.preWidth || h !== plan.preHeight) {
      throw new MediaError(
        'bad-frames',
        `frame ${k} (${size.width}×${size.height}) does not match the first frame (${first.width}×${first.height}); all frames of a video must have the same size`,
      );
    }
  }
  return { grid: plan.grid, timestamps: plan.timestamps };
}

function measuredVideoFile(item: VideoItem, s: Settings): Promise<MediaGridInfo> {
  return about(labelOf(item.video), async () => {
    const t = await requiredFfTools(s.opts);
    return withVideoLocation(await locate(item.video, s.baseDir), s.opts, async (location) => {
      const { plan } = await probedPlan(t, location, item);
      return { grid: plan.grid, timestamps: plan.timestamps };
    });
  });
}

export function nodeMediaDecoder(baseDir: string, opts: NodeMediaDecoderOptions = {}): NodeMediaDecoder {
  const s: Settings = { baseDir, opts, preFactor: opts.frameListPreResizeFactor ?? 64, maxVideoBytes: opts.maxVideoBytes ?? 2 ** 31 };
  return {
    async image(item) {
      return decodedImage(item, s);
    },
    async video(item) {
      return Array.isArray(item.video) ? decodedFrameList(item, item.video, s) : decodedVideoFile(item, s);
    },
    async measure(item) {
      if (item.type === 'image') return measuredImage(item, s);
      return Array.isArray(item.video) ? measuredFrameList(item, item.video, s) : measuredVideoFile(item, s);
    },
  };
}
