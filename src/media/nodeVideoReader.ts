// A video file opened once for moments and covers (issue G), in Node: every frame's presentation time
// read once (ffprobe, packets only), then clips and frames decoded in passes over the file — one ffmpeg
// seek-and-select for several clips instead of three tool runs per clip. A clip decodes exactly as
// nodeDecoder decodes it alone: the same plan (framesInClip + planVideoClip on the same times), the same
// frames picked by time (decodeFramesAt) and the same preprocessing. Frames a pass decoded stay in a
// small cache (by frame index, bounded in bytes) for the next pass: overlapping windows that sample the
// same source frame decode it once.
import { execFile } from 'node:child_process';
import type { VideoItem } from '../contracts/request.ts';
import type { DecodedVideo, VideoReader, VideoReaderDecoder } from './decoder.ts';
import { MediaError } from './errors.ts';
import { decodeFramesAt, lastLine, probeVideo, run, type FfTools, type VideoProbe } from './nodeFfmpeg.ts';
import {
  about,
  labelOf,
  nodeMediaDecoder,
  requiredFfTools,
  videoPlanFor,
  withVideoLocation,
  type NodeMediaDecoderOptions,
} from './nodeDecoder.ts';
import { locate } from './nodeSource.ts';
import type { RawPixels } from './pixels.ts';
import { preprocessVideoFrames } from './video.ts';
import { checkClip, framesInClip, type VideoPlan } from './videoPlan.ts';
import { FrameCache } from './frameCache.ts';

/** Decoded frames kept between passes (bytes of RGB). */
const FRAME_CACHE_BYTES = 64 * 1024 * 1024;
/** Most RGB bytes one pass of `frames()` decodes. */
const FRAMES_PASS_BYTES = 64 * 1024 * 1024;

/** Presentation times (seconds, ascending) of every frame of the first video stream, from its packets. */
export async function videoFrameTimes(tools: FfTools, location: string): Promise<number[]> {
  const args = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts,dts:stream=time_base', '-of', 'json', location];
  const r = await run(tools.ffprobe, args, { maxBytes: 1 << 30 });
  if (r.code !== 0)
    throw new MediaError('corrupt', `cannot read the frames of this video (${lastLine(r.stderr)}); is it a complete video file?`);
  const list = JSON.parse(new TextDecoder().decode(r.stdout)) as {
    streams?: { time_base?: string }[];
    packets?: { pts?: number | string; dts?: number | string }[];
  };
  const [num, den] = (list.streams?.[0]?.time_base ?? '').split('/').map(Number);
  if (!(num > 0 && den > 0)) throw new MediaError('corrupt', 'this video stream has no time base');
  const times = (list.packets ?? []).map((p) => {
    const ticks = Number(p.pts ?? p.dts);
    if (!Number.isFinite(ticks)) {
      throw new MediaError('unsupported-format', 'this video has no frame timestamps; remux it first (ffmpeg -i in -c copy out.mp4)');
    }
    return (ticks * num) / den;
  });
  if (times.length === 0) throw new MediaError('bad-frames', 'this video has no frames');
  return times.sort((a, b) => a - b);
}

interface Opened {
  tools: FfTools;
  location: string;
  probe: VideoProbe;
  times: number[];
  label: string;
  maxVideoBytes: number;
}

/** A Node VideoReader, which can also write one of its frames as an image file (saveVideoFrame). */
export interface NodeVideoReader extends VideoReader {
  saveFrame(index: number, out: string): Promise<void>;
}

function readerOf(o: Opened): NodeVideoReader {
  const { tools, location, probe, times, label } = o;
  const cache = new FrameCache(FRAME_CACHE_BYTES);
  const stats = { passes: 0, decoded: 0, reused: 0, decodeMs: 0 };
  const duration = times[times.length - 1] + 1 / probe.fps;

  /** The frames at `indices` (sorted, unique), from the cache or one decode pass of the rest. */
  const fetch = async (indices: number[], retryFromStart: boolean): Promise<Map<number, RawPixels>> => {
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
      const frames = await decodeFramesAt(tools, location, probe, times, missing, { retryFromStart });
      stats.decodeMs += performance.now() - t0;
      stats.passes++;
      stats.decoded += missing.length;
      missing.forEach((i, k) => {
        // Own copies: the pass's output buffer is one allocation for all its frames.
        const f = { ...frames[k], data: frames[k].data.slice() };
        got.set(i, f);
        cache.set(i, f);
      });
    }
    return got;
  };

  const planOf = (item: VideoItem): VideoPlan => {
    const clip = checkClip(item.clip);
    const { first, count } = framesInClip(times, clip, probe.seconds ?? duration);
    const plan = videoPlanFor(item, { ...probe, frames: count }, first);
    const bytes = plan.frames * probe.width * probe.height * 3;
    if (bytes > o.maxVideoBytes) {
      throw new MediaError(
        'too-large',
        `${plan.frames} frames of ${probe.width}×${probe.height} need ${bytes} bytes of RGB, above the ${o.maxVideoBytes}-byte limit; lower max_frames or downscale the video`,
      );
    }
    return plan;
  };
  const decodedOf = (plan: VideoPlan, frames: Map<number, RawPixels>): DecodedVideo => {
    const t0 = performance.now();
    const out = preprocessVideoFrames(
      plan.indices.map((i) => frames.get(i)!),
      plan,
    );
    stats.decodeMs += performance.now() - t0;
    return { patches: out.patches, grid: out.grid, timestamps: out.timestamps };
  };
  const failure = (e: unknown) =>
    e instanceof MediaError
      ? new MediaError(e.code, `${label}: ${e.message}`)
      : new MediaError('corrupt', `${label}: ${(e as Error).message}`);

  return {
    times,
    duration,
    width: probe.width,
    height: probe.height,
    stats,
    saveFrame: (index, out) => saveVideoFrame(tools, location, times, index, out),
    async clips(items) {
      const plans = items.map((item) => {
        try {
          return planOf(item);
        } catch (e) {
          return failure(e);
        }
      });
      const union = [...new Set(plans.flatMap((p) => (p instanceof Error ? [] : p.indices)))].sort((a, b) => a - b);
      let frames: Map<number, RawPixels> | null = null;
      try {
        frames = await fetch(union, false);
      } catch {
        // A damaged stretch somewhere in the pass: each clip decodes alone, as it would on its own.
      }
      const out: (DecodedVideo | Error)[] = [];
      for (const plan of plans) {
        if (plan instanceof Error) out.push(plan);
        else {
          try {
            out.push(
              decodedOf(
                plan,
                frames ??
                  (await fetch(
                    [...new Set(plan.indices)].sort((a, b) => a - b),
                    true,
                  )),
              ),
            );
          } catch (e) {
            out.push(failure(e));
          }
        }
      }
      return out;
    },
    async *frames(indices) {
      const per = Math.max(1, Math.min(64, Math.floor(FRAMES_PASS_BYTES / (probe.width * probe.height * 3))));
      for (let a = 0; a < indices.length; a += per) {
        const batch = indices.slice(a, a + per);
        let got: Map<number, RawPixels> | null = null;
        try {
          got = await fetch(
            [...new Set(batch)].sort((x, y) => x - y),
            false,
          );
        } catch {
          // Damaged: each frame alone, so only the frames that cannot be decoded fail.
        }
        for (const i of batch) {
          if (got) yield got.get(i)!;
          else {
            try {
              yield (await fetch([i], false)).get(i)!;
            } catch (e) {
              yield failure(e);
            }
          }
        }
      }
    },
  };
}

/**
 * nodeMediaDecoder plus `withVideo`: a video file (path, URL, bytes) opened as a VideoReader. URLs are
 * downloaded once to a temporary file, removed when `use` ends.
 */
export function nodeVideoDecoder(baseDir: string, opts: NodeMediaDecoderOptions = {}): VideoReaderDecoder<NodeVideoReader> {
  const base = nodeMediaDecoder(baseDir, opts);
  return {
    ...base,
    async withVideo(item, use) {
      if (Array.isArray(item.video)) throw new MediaError('bad-argument', 'moments and covers need a video file, not a list of frames');
      const label = labelOf(item.video);
      const tools = await about(label, () => requiredFfTools(opts));
      const loc = await about(label, () => locate(item.video, baseDir));
      return withVideoLocation(loc, opts, async (location) => {
        const { probe, times } = await about(label, async () => {
          const probe = await probeVideo(tools, location, { countFrames: false });
          return { probe, times: await videoFrameTimes(tools, location) };
        });
        return use(readerOf({ tools, location, probe, times, label, maxVideoBytes: opts.maxVideoBytes ?? 2 ** 31 }));
      });
    },
  };
}

/**
 * Writes the frame of `video` shown at presentation time `times[index]` as an image file (format by
 * the extension of `out`) at the video's display size: rotation metadata applied and non-square
 * pixels stretched to square, as players show it.
 */
export async function saveVideoFrame(
  tools: FfTools,
  location: string,
  times: readonly number[],
  index: number,
  out: string,
): Promise<void> {
  const t = times[index];
  const lo = index > 0 ? (times[index - 1] + t) / 2 : t - 0.5;
  const hi = index < times.length - 1 ? (t + times[index + 1]) / 2 : t + 0.5;
  const args = ['-v', 'error', '-nostdin', '-y', '-copyts', '-seek_timestamp', '1', '-ss', String(t), '-noaccurate_seek'];
  args.push('-i', location, '-map', '0:v:0', '-an', '-sn');
  args.push('-vf', `select='gte(t\\,${lo})*lt(t\\,${hi})',scale=trunc(iw*sar/2)*2:ih,setsar=1`, '-frames:v', '1', '-q:v', '2', out);
  await new Promise<void>((resolve, reject) =>
    execFile(tools.ffmpeg, args, (err, _stdout, stderr) =>
      err ? reject(new MediaError('corrupt', `could not write the frame at ${t.toFixed(3)} s (${lastLine(String(stderr))})`)) : resolve(),
    ),
  );
}
