// A video file opened once for moments and covers (issue G), in the browser: the twin of
// nodeVideoReader.ts on mediabunny + WebCodecs. Every frame's presentation time comes from the packet
// index (read once, metadata only); clips and frames are decoded by seeking to the key frame at or
// before each wanted frame and decoding forward (decodeAt), several clips per pass. A clip decodes
// exactly as browserVideo.ts's decodeVideoFile decodes it alone — the same plan (framesInClip +
// planVideoClip on the same times and frame rate), the same frames picked by timestamp, the same
// shrink to the plan's size and preprocessing — so a window scores as `rank` of that clip does in the
// browser. Frames a pass decoded stay in a small cache (RGB at the stored size, by frame index, bounded
// in bytes). `frameBlob` is the Node reader's saveFrame: one frame as PNG / JPEG at the display size.
import { Input, MATROSKA, MP4, QTFF, WEBM, type EncodedPacketSink } from 'mediabunny';
import type { VideoItem } from '../contracts/request.ts';
import { browserMediaDecoder, type BrowserDecoderOptions } from './browserDecoder.ts';
import { locate, openVideoSource, type BrowserLocated } from './browserSource.ts';
import { decoderConfig, frameIndex, primaryVideoTrack, type Fail } from './browserVideo.ts';
import { abortError, asMediaError, decodeAt, usOf } from './browserVideoDecode.ts';
import { videoFrameToRgb } from './browserVideoFrame.ts';
import type { DecodedVideo, VideoReader, VideoReaderDecoder } from './decoder.ts';
import { MediaError } from './errors.ts';
import type { RawPixels } from './pixels.ts';
import { REFERENCE_FILE_TOTAL_PIXELS } from './smartResize.ts';
import { resizeBicubicTorch } from './torchBicubic.ts';
import { preprocessVideoFrames } from './video.ts';
import { checkClip, framesInClip, planVideoClip, type VideoPlan } from './videoPlan.ts';
import { FrameCache } from './frameCache.ts';

/** Decoded frames kept between passes (bytes of RGB). */
const FRAME_CACHE_BYTES = 64 * 1024 * 1024;
/** Most RGB bytes one pass of `frames()` decodes. */
const FRAMES_PASS_BYTES = 64 * 1024 * 1024;

/** A browser VideoReader, which can also give one of its frames as an image (the Node reader's saveFrame). */
export interface BrowserVideoReader extends VideoReader {
  /** Size players show the video at: pixel aspect ratio and rotation applied. */
  readonly displayWidth: number;
  readonly displayHeight: number;
  /** The frame at `index` of `times` as an image Blob at the display size. */
  frameBlob(index: number, type?: 'image/png' | 'image/jpeg', quality?: number): Promise<Blob>;
}

interface Opened {
  sink: EncodedPacketSink;
  config: VideoDecoderConfig;
  stamps: number[];
  seconds: number;
  fps: number;
  width: number;
  height: number;
  /** Square-pixel size before rotation, and the clockwise rotation in degrees. */
  square: { width: number; height: number };
  rotation: number;
  label: string;
  maxVideoSeconds?: number;
  signal?: AbortSignal;
}

const sortedUnique = (xs: readonly number[]) => [...new Set(xs)].sort((a, b) => a - b);

/** The frame drawn at the display size (pixel aspect and rotation applied), encoded as `type`. */
async function frameImage(frame: VideoFrame, o: Opened, type: string, quality?: number): Promise<Blob> {
  const { width: w, height: h } = o.square;
  const turned = o.rotation % 180 !== 0;
  const canvas = new OffscreenCanvas(turned ? h : w, turned ? w : h);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new MediaError('unsupported-format', 'this browser has no 2D OffscreenCanvas to draw a video frame on');
  ctx.translate(canvas.width / 2, canvas.height / 2);
  ctx.rotate((o.rotation * Math.PI) / 180);
  ctx.drawImage(frame, -w / 2, -h / 2, w, h);
  return canvas.convertToBlob({ type, quality });
}

function readerOf(o: Opened): BrowserVideoReader {
  const { sink, config, stamps, seconds, fps, label, signal } = o;
  const cache = new FrameCache(FRAME_CACHE_BYTES);
  const stats = { passes: 0, decoded: 0, reused: 0, decodeMs: 0 };
  const duration = stamps[stamps.length - 1] + 1 / fps;
  /** The decoder's picture size, once a frame has come out (the container's is only a promise). */
  let decodedSize: { width: number; height: number } | null = null;
  const describe = (t: number) => `the frame at ${t.toFixed(3)} s (${stamps.length} frames)`;
  const checkAbort = () => {
    if (signal?.aborted) throw abortError(signal);
  };

  /** The frames at `indices` (sorted, unique), from the cache or one decode pass of the rest. */
  const fetch = async (indices: number[]): Promise<Map<number, RawPixels>> => {
    checkAbort();
    const got = new Map<number, RawPixels>();
    const missing: number[] = [];
    for (const i of indices) {
      const f = cache.get(i);
      if (f) got.set(i, f);
      else missing.push(i);
    }
    stats.reused += got.size;
    if (missing.length) {
      const t0 = performance.now();
      const { frames } = await decodeAt(
        sink,
        config,
        missing.map((i) => stamps[i]),
        describe,
        (frame) => videoFrameToRgb(frame),
        signal,
      );
      stats.decodeMs += performance.now() - t0;
      stats.passes++;
      stats.decoded += missing.length;
      for (const i of missing) {
        const f = frames.get(usOf(stamps[i]));
        if (!f) throw new MediaError('corrupt', `${describe(stamps[i])} was not decoded`);
        decodedSize ??= { width: f.width, height: f.height };
        got.set(i, f);
        cache.set(i, f);
      }
    }
    return got;
  };

  const planOf = (item: VideoItem, size: { width: number; height: number }): VideoPlan => {
    const clip = checkClip(item.clip);
    const { first, count } = framesInClip(stamps, clip, seconds);
    if (o.maxVideoSeconds !== undefined && count / fps > o.maxVideoSeconds) {
      throw new MediaError(
        'too-large',
        `this clip is ${(count / fps).toFixed(1)} s long; the longest accepted is ${o.maxVideoSeconds} s. Use shorter windows, or raise the "longest video" limit`,
      );
    }
    const totalPixels = item.total_pixels ?? REFERENCE_FILE_TOTAL_PIXELS;
    const opts = { frames: count, sourceFps: fps, ...size, fps: item.fps, maxFrames: item.max_frames, totalPixels };
    return planVideoClip(opts, first);
  };

  /** As decodeVideoFile: frames shrunk to the plan's size when the decoder's size is the container's, else planned on the decoder's size. */
  const decodedOf = (item: VideoItem, frames: Map<number, RawPixels>): DecodedVideo => {
    const t0 = performance.now();
    let plan = planOf(item, { width: o.width, height: o.height });
    const px = plan.indices.map((i) => frames.get(i)!);
    const sizes = new Set(px.map((f) => `${f.width}×${f.height}`));
    if (sizes.size > 1)
      throw new MediaError(
        'bad-frames',
        `the frames of this video change size midway (${[...sizes].join(', ')}); re-encode it at one size`,
      );
    const atContainerSize = px[0].width === o.width && px[0].height === o.height;
    const shrunk = atContainerSize
      ? px.map((f) => ({
          data: resizeBicubicTorch(f.data as Uint8Array, f.width, f.height, 3, plan.width, plan.height),
          width: plan.width,
          height: plan.height,
          channels: 3 as const,
        }))
      : px;
    if (!atContainerSize) plan = planOf(item, { width: px[0].width, height: px[0].height });
    const out = preprocessVideoFrames(shrunk, plan);
    stats.decodeMs += performance.now() - t0;
    return { patches: out.patches, grid: out.grid, timestamps: out.timestamps };
  };

  const failure = (e: unknown): Error => {
    if (signal?.aborted) throw abortError(signal);
    const m = asMediaError(e, 'the video could not be decoded');
    return m instanceof Error ? m : new MediaError('corrupt', String(m));
  };

  return {
    times: stamps,
    duration,
    width: o.width,
    height: o.height,
    displayWidth: o.rotation % 180 ? o.square.height : o.square.width,
    displayHeight: o.rotation % 180 ? o.square.width : o.square.height,
    stats,

    async clips(items) {
      const size = () => decodedSize ?? { width: o.width, height: o.height };
      const plans = items.map((item) => {
        try {
          return planOf(item, size());
        } catch (e) {
          return failure(e);
        }
      });
      let frames: Map<number, RawPixels> | null = null;
      try {
        frames = await fetch(sortedUnique(plans.flatMap((p) => (p instanceof Error ? [] : p.indices))));
      } catch (e) {
        failure(e); // rethrows an abort
        // A damaged stretch somewhere in the pass: each clip decodes alone, as it would on its own.
      }
      const out: (DecodedVideo | Error)[] = [];
      for (const [k, plan] of plans.entries()) {
        if (plan instanceof Error) {
          out.push(plan);
          continue;
        }
        try {
          out.push(decodedOf(items[k], frames ?? (await fetch(sortedUnique(plan.indices)))));
        } catch (e) {
          out.push(failure(e));
        }
      }
      return out;
    },

    async *frames(indices) {
      const per = Math.max(1, Math.min(64, Math.floor(FRAMES_PASS_BYTES / (o.width * o.height * 3))));
      for (let a = 0; a < indices.length; a += per) {
        const batch = indices.slice(a, a + per);
        let got: Map<number, RawPixels> | null = null;
        try {
          got = await fetch(sortedUnique(batch));
        } catch (e) {
          failure(e); // rethrows an abort
          // Damaged: each frame alone, so only the frames that cannot be decoded fail.
        }
        for (const i of batch) {
          if (got) yield got.get(i)!;
          else {
            try {
              yield (await fetch([i])).get(i)!;
            } catch (e) {
              yield failure(e);
            }
          }
        }
      }
    },

    async frameBlob(index, type = 'image/jpeg', quality = 0.92) {
      if (!Number.isInteger(index) || index < 0 || index >= stamps.length) {
        throw new MediaError('bad-argument', `frame ${index} does not exist: this video has ${stamps.length} frames`);
      }
      let blob: Blob | null = null;
      const empty: RawPixels = { data: new Uint8Array(0), width: 0, height: 0, channels: 3 };
      await decodeAt(
        sink,
        config,
        [stamps[index]],
        describe,
        async (frame) => {
          blob = await frameImage(frame, o, type, quality);
          return empty;
        },
        signal,
      );
      if (!blob) throw new MediaError('corrupt', `${label}: ${describe(stamps[index])} was not decoded`);
      return blob;
    },
  };
}

/** Opens `loc` as a video file for the time `use` runs (no length limit: the reader decodes parts of it). */
export async function withBrowserVideo<T>(
  loc: BrowserLocated,
  opts: BrowserDecoderOptions,
  use: (reader: BrowserVideoReader) => Promise<T>,
): Promise<T> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const { source, size } = await openVideoSource(loc, signal, opts);
  if (size === 0) throw new MediaError('empty', `the video file ${loc.label} is empty (0 bytes)`);
  const input = new Input({ formats: [MP4, QTFF, WEBM, MATROSKA], source });
  const onAbort = () => input.dispose();
  const fail: Fail = (e, what) => (signal?.aborted ? abortError(signal) : asMediaError(e, what));
  signal?.addEventListener('abort', onAbort);
  try {
    const { track } = await primaryVideoTrack(input, loc, fail);
    let config: VideoDecoderConfig;
    try {
      config = (await decoderConfig(track)).config;
    } catch (e) {
      throw fail(e, 'cannot read the video codec');
    }
    const { sink, stamps, seconds, fps } = await frameIndex(input, track, loc.label, undefined, fail, signal);
    const reader = readerOf({
      sink,
      config,
      stamps,
      seconds,
      fps,
      width: await track.getCodedWidth(),
      height: await track.getCodedHeight(),
      square: { width: await track.getSquarePixelWidth(), height: await track.getSquarePixelHeight() },
      rotation: await track.getRotation(),
      label: loc.label,
      maxVideoSeconds: opts.maxVideoSeconds,
      signal,
    });
    return await use(reader);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    input.dispose();
  }
}

/**
 * browserMediaDecoder plus `withVideo`: a video file (URL, File / Blob, bytes) opened as a
 * BrowserVideoReader. `maxVideoSeconds` bounds each clip, not the file.
 */
export function browserVideoDecoder(opts: BrowserDecoderOptions = {}): VideoReaderDecoder<BrowserVideoReader> {
  return {
    ...browserMediaDecoder(opts),
    withVideo(item, use) {
      if (Array.isArray(item.video))
        return Promise.reject(new MediaError('bad-argument', 'moments and covers need a video file, not a list of frames'));
      return withBrowserVideo(locate(item.video), opts, use);
    },
  };
}
