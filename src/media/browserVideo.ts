// A video file → exactly the frames the reference samples, in the browser: mediabunny demuxes
// (MP4, MOV, WebM, MKV), WebCodecs decodes, and only the GOPs holding sampled frames are decoded
// (seek to the key frame at or before each sampled frame, decode forward). Frame count and rate come
// from the container's packets — what torchcodec's exact scan reports — and feed planVideo. A clip
// (VideoItem.clip) is planned on the frames whose timestamps lie in its window, and only the GOPs of
// its sampled frames are decoded, as for a whole file.
import { EncodedPacketSink, Input, MATROSKA, MP4, QTFF, WEBM, type InputVideoTrack } from 'mediabunny';
import type { BrowserLocated } from './browserSource.ts';
import { openVideoSource } from './browserSource.ts';
import type { FetchTimeouts } from './fetchTimeouts.ts';
import { videoFrameToRgb } from './browserVideoFrame.ts';
import { abortError, asMediaError, decodeAt, usOf } from './browserVideoDecode.ts';
import { withArticle } from './article.ts';
import { MediaError } from './errors.ts';
import { detectImageFormat } from './imageHeader.ts';
import type { RawPixels } from './pixels.ts';
import { REFERENCE_FILE_TOTAL_PIXELS } from './smartResize.ts';
import { resizeBicubicTorch } from './torchBicubic.ts';
import { checkClip, framesInClip, planVideo, planVideoClip, type VideoClip, type VideoPlan } from './videoPlan.ts';

// The leak check's count lives with the decoder; the worker reads it from here.
export { openVideoFrameCount } from './browserVideoDecode.ts';

export interface BrowserVideoOptions extends FetchTimeouts {
  fps?: number;
  maxFrames?: number;
  /** Whole-video pixel budget; undefined = the reference's for a file (REFERENCE_FILE_TOTAL_PIXELS). */
  totalPixels?: number;
  /** Refuse longer videos (seconds; for a clip, longer clips) before decoding anything. */
  maxVideoSeconds?: number;
  /** Only this window of the file, decoded as that clip cut to its own file (VideoItem.clip). */
  clip?: VideoClip;
  signal?: AbortSignal;
}

export interface VideoInfo {
  container: string;
  codec: string;
  frames: number;
  fps: number;
  seconds: number;
  width: number;
  height: number;
  /** Frames the decoder produced (sampled or not): less than `frames` when seeking skipped GOPs. */
  decodedFrames: number;
}

export interface DecodedVideoFrames {
  frames: RawPixels[];
  plan: VideoPlan;
  info: VideoInfo;
}

const CODEC_NAMES: Record<string, string> = { avc: 'H.264', hevc: 'HEVC (H.265)', vp8: 'VP8', vp9: 'VP9', av1: 'AV1' };
const REENCODE = 're-encode it as H.264, VP9 or AV1 (e.g. ffmpeg -i in.mp4 -c:v libx264 -pix_fmt yuv420p out.mp4)';

function tooLong(seconds: number, max: number): MediaError {
  return new MediaError(
    'too-large',
    `this video is ${seconds.toFixed(1)} s long; the longest accepted is ${max} s. Trim it, or raise the "longest video" limit`,
  );
}

/** The decoder config, or a clear error when this browser cannot decode the codec. */
export async function decoderConfig(track: InputVideoTrack): Promise<{ config: VideoDecoderConfig; codec: string }> {
  if (typeof VideoDecoder === 'undefined') {
    throw new MediaError(
      'unsupported-format',
      'this browser has no WebCodecs VideoDecoder, so it cannot decode videos; use a recent Chrome, Edge or Firefox, or give the video as a list of frame images',
    );
  }
  const codec = (await track.getCodec()) ?? 'unknown';
  const config = await track.getDecoderConfig();
  const name = CODEC_NAMES[codec] ?? codec;
  let supported = false;
  if (config) supported = (await VideoDecoder.isConfigSupported(config).catch(() => ({ supported: false }))).supported === true;
  if (!config || !supported) {
    const detail = config?.codec ? ` [${config.codec}]` : '';
    throw new MediaError('unsupported-format', `this video uses ${name}${detail}, which this browser cannot decode here: ${REENCODE}`);
  }
  return { config, codec: name };
}

/** Presentation timestamps of all frames (seconds, sorted) from packet metadata only. */
async function frameTimestamps(sink: EncodedPacketSink, signal?: AbortSignal): Promise<{ stamps: number[]; seconds: number }> {
  const stamps: number[] = [];
  let start = Infinity;
  let end = -Infinity;
  for await (const p of sink.packets(undefined, undefined, { metadataOnly: true })) {
    if (signal?.aborted && (stamps.length & 255) === 0) throw abortError(signal);
    stamps.push(p.timestamp);
    start = Math.min(start, p.timestamp);
    end = Math.max(end, p.timestamp + p.duration);
  }
  stamps.sort((a, b) => a - b);
  return { stamps, seconds: end - start };
}

/** The image format of a file or bytes given as a video, from their first bytes (null for URLs). */
async function imageFormatOf(loc: BrowserLocated): Promise<string | null> {
  const head =
    loc.kind === 'bytes'
      ? loc.bytes.subarray(0, 32)
      : loc.kind === 'blob'
        ? new Uint8Array(await loc.blob.slice(0, 32).arrayBuffer())
        : null;
  return head ? detectImageFormat(head) : null;
}

export type Fail = (e: unknown, what: string) => unknown;

/** The container's format name and its primary video track, or the error that says why there is none. */
export async function primaryVideoTrack(
  input: Input,
  loc: BrowserLocated,
  fail: Fail,
): Promise<{ track: InputVideoTrack; container: string }> {
  let track: InputVideoTrack | null;
  let container: string;
  try {
    if (!(await input.canRead())) {
      const image = await imageFormatOf(loc).catch(() => null);
      if (image)
        throw new MediaError(
          'bad-frames',
          `${loc.label} is ${withArticle(`${image.toUpperCase()} image`)}, not a video: give it as "image" instead of "video" (a video needs at least 2 frames)`,
        );
      throw new MediaError('unsupported-format', `${loc.label} is not a video file the browser decoder reads (MP4, MOV, WebM or MKV)`);
    }
    container = (await input.getFormat()).name;
    track = await input.getPrimaryVideoTrack();
  } catch (e) {
    throw fail(e, `cannot read the video container of ${loc.label}`);
  }
  if (!track) {
    // An MP4 / MOV cut short loses its index (moov) when that sits at the end: no tracks at all.
    const any = (await input.getTracks().catch(() => [])).length > 0;
    if (!any)
      throw new MediaError(
        'corrupt',
        `${loc.label} has no readable tracks: the file is truncated or damaged (was the download or recording cut short?)`,
      );
    throw new MediaError('bad-frames', `${loc.label} contains no video track`);
  }
  return { track, container };
}

/** The track's packets, every frame's timestamp and the frame rate; refuses videos longer than `max` seconds. */
export async function frameIndex(
  input: Input,
  track: InputVideoTrack,
  label: string,
  max: number | undefined,
  fail: Fail,
  signal?: AbortSignal,
): Promise<{ sink: EncodedPacketSink; stamps: number[]; seconds: number; fps: number }> {
  if (max !== undefined) {
    const meta = await input.getDurationFromMetadata([track]).catch(() => null);
    if (meta !== null && meta > max) throw tooLong(meta, max);
  }
  const sink = new EncodedPacketSink(track);
  let scan: { stamps: number[]; seconds: number };
  try {
    scan = await frameTimestamps(sink, signal);
  } catch (e) {
    throw fail(e, 'cannot read the video frame index');
  }
  const { stamps, seconds } = scan;
  if (stamps.length === 0 || !(seconds > 0)) throw new MediaError('corrupt', `${label} has no video frames; the file may be truncated`);
  if (max !== undefined && seconds > max) throw tooLong(seconds, max);
  // count · resolution / ticks: one division of integers, so a 30000/1001 stream gets exactly the
  // double of 30000/1001, as ffprobe's avg_frame_rate (and so Node's decoder) gives.
  const resolution = await track.getTimeResolution();
  const ticks = Math.round(seconds * resolution);
  const fps =
    ticks > 0 && Number.isSafeInteger(stamps.length * resolution) ? (stamps.length * resolution) / ticks : stamps.length / seconds;
  return { sink, stamps, seconds, fps };
}

/**
 * The plan's frames in RGB (shrunk to the plan's size when the decoder's size is the container's),
 * the sizes the decoder gave, and how many frames it decoded.
 */
async function sampledFrames(
  sink: EncodedPacketSink,
  config: VideoDecoderConfig,
  stamps: number[],
  plan: VideoPlan,
  width: number,
  height: number,
  signal?: AbortSignal,
): Promise<{ frames: RawPixels[]; sizes: Set<string>; decoded: number }> {
  const unique = [...new Set(plan.indices)].sort((a, b) => a - b);
  const indexOf = new Map(unique.map((i) => [stamps[i], i]));
  const describe = (t: number) => `frame ${indexOf.get(t)} of ${stamps.length} (${t.toFixed(3)} s)`;
  // Each frame is shrunk to the plan's size as it arrives, so 64 sampled 4K frames never sit in memory
  // at full size. Same result as resizing later: preprocessVideoFrames' resize of a frame already at
  // the plan's size is the identity (torchvision bicubic at scale 1).
  const sizes = new Set<string>();
  const toPixels = async (frame: VideoFrame): Promise<RawPixels> => {
    const px = await videoFrameToRgb(frame);
    sizes.add(`${px.width}×${px.height}`);
    if (px.width !== width || px.height !== height) return px; // the container's size was wrong: plan again below
    return {
      data: resizeBicubicTorch(px.data, width, height, 3, plan.width, plan.height),
      width: plan.width,
      height: plan.height,
      channels: 3,
    };
  };
  const { frames: byUs, decoded } = await decodeAt(
    sink,
    config,
    unique.map((i) => stamps[i]),
    describe,
    toPixels,
    signal,
  );
  return { frames: plan.indices.map((i) => byUs.get(usOf(stamps[i]))!), sizes, decoded };
}

export async function decodeVideoFile(loc: BrowserLocated, opts: BrowserVideoOptions = {}): Promise<DecodedVideoFrames> {
  const { signal } = opts;
  if (signal?.aborted) throw abortError(signal);
  const { source, size } = await openVideoSource(loc, signal, opts);
  if (size === 0) throw new MediaError('empty', `the video file ${loc.label} is empty (0 bytes)`);
  const input = new Input({ formats: [MP4, QTFF, WEBM, MATROSKA], source });
  // Disposing the input cancels its pending reads; the rejections they cause are reported as the abort.
  const onAbort = () => input.dispose();
  const fail: Fail = (e, what) => (signal?.aborted ? abortError(signal) : asMediaError(e, what));
  signal?.addEventListener('abort', onAbort);
  try {
    const { track, container } = await primaryVideoTrack(input, loc, fail);
    let dc: { config: VideoDecoderConfig; codec: string };
    try {
      dc = await decoderConfig(track);
    } catch (e) {
      throw fail(e, 'cannot read the video codec');
    }
    const { config, codec } = dc;
    const clip = opts.clip === undefined ? undefined : checkClip(opts.clip);
    // A clip's length is checked below: the file may be longer than the limit.
    const max = clip ? undefined : opts.maxVideoSeconds;
    const { sink, stamps, seconds, fps } = await frameIndex(input, track, loc.label, max, fail, signal);
    const inClip = clip ? framesInClip(stamps, clip, seconds) : { first: 0, count: stamps.length };
    if (clip && opts.maxVideoSeconds !== undefined && inClip.count / fps > opts.maxVideoSeconds) {
      throw tooLong(inClip.count / fps, opts.maxVideoSeconds);
    }
    const width = await track.getCodedWidth();
    const height = await track.getCodedHeight();
    const totalPixels = opts.totalPixels ?? REFERENCE_FILE_TOTAL_PIXELS;
    const planFor = (w: number, h: number) => {
      const o = { frames: inClip.count, sourceFps: fps, width: w, height: h, fps: opts.fps, maxFrames: opts.maxFrames, totalPixels };
      return clip ? planVideoClip(o, inClip.first) : planVideo(o);
    };
    let plan = planFor(width, height);
    const { frames, sizes, decoded } = await sampledFrames(sink, config, stamps, plan, width, height, signal);
    if (sizes.size > 1)
      throw new MediaError(
        'bad-frames',
        `the frames of this video change size midway (${[...sizes].join(', ')}); re-encode it at one size`,
      );
    const w = frames[0].width;
    const h = frames[0].height;
    // The decoder's picture size is what the reference resizes; the container's is only a promise.
    if (!sizes.has(`${width}×${height}`)) plan = planFor(w, h);
    return { frames, plan, info: { container, codec, frames: stamps.length, fps, seconds, width: w, height: h, decodedFrames: decoded } };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    input.dispose();
  }
}
