// ffprobe / ffmpeg as Node's video reader (and fallback for image formats pngjs / jpeg-js do not read).
// The reference reads videos with torchcodec, decord or torchvision — all three are FFmpeg underneath —
// and samples frames by *index* in decode order, so Sift asks ffmpeg for exactly those frame numbers
// (select=eq(n,…)) at the stored size (-noautorotate: none of the reference readers applies rotation
// metadata) as RGB24. A clip of a file (VideoItem.clip) is read around its window only: packet
// timestamps from ffprobe -read_intervals, then a seek and a select on those frames' times, so a clip
// late in a long file costs about what the clip costs. ffmpeg is optional: without it only frame-list
// videos work.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaError } from './errors.ts';
import type { RawPixels } from './pixels.ts';
import { framesInClip, type VideoClip } from './videoPlan.ts';

export interface FfTools {
  ffmpeg: string;
  ffprobe: string;
}

export const FFMPEG_MISSING = 'ffmpeg is not installed: install it (apt-get install ffmpeg) or pass the video as a list of frame images';

interface RunResult {
  code: number | null;
  stdout: Uint8Array;
  stderr: string;
}

/**
 * Runs a tool, feeding `input` on stdin. stdout goes into one preallocated buffer when its size is
 * known (`expectBytes`, so 64 HD frames are not concatenated twice), else into growing chunks capped
 * at `maxBytes`.
 */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: Uint8Array; expectBytes?: number; maxBytes?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const fixed = opts.expectBytes !== undefined ? new Uint8Array(opts.expectBytes) : null;
    const chunks: Buffer[] = [];
    let size = 0;
    let overflow = false;
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      if (fixed) {
        if (size + c.length > fixed.length) overflow = true;
        else fixed.set(c, size);
      } else if (size + c.length > (opts.maxBytes ?? 1 << 30)) {
        overflow = true;
      } else chunks.push(c);
      size += c.length;
      if (overflow) child.kill('SIGKILL');
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < 8192) stderr += c.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (overflow) {
        reject(new MediaError('corrupt', `${cmd} produced more output than expected (${size} bytes)`));
        return;
      }
      const stdout = fixed
        ? size === fixed.length
          ? fixed
          : fixed.subarray(0, Math.min(size, fixed.length))
        : new Uint8Array(Buffer.concat(chunks));
      resolve({ code, stdout, stderr: stderr.trim() });
    });
    child.stdin.on('error', () => {}); // the tool may exit before reading all input (EPIPE)
    if (opts.input) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}

const found = new Map<string, Promise<boolean>>();

function available(cmd: string): Promise<boolean> {
  let p = found.get(cmd);
  if (!p) {
    p = run(cmd, ['-version']).then(
      (r) => r.code === 0,
      () => false,
    );
    found.set(cmd, p);
  }
  return p;
}

/** The tools when both run, else null. Checked once per path. */
export async function findFfTools(paths: Partial<FfTools> = {}): Promise<FfTools | null> {
  const tools = { ffmpeg: paths.ffmpeg ?? 'ffmpeg', ffprobe: paths.ffprobe ?? 'ffprobe' };
  const [a, b] = await Promise.all([available(tools.ffmpeg), available(tools.ffprobe)]);
  return a && b ? tools : null;
}

export interface VideoProbe {
  codec: string;
  width: number;
  height: number;
  /**
   * Frames in the stream (container count, else counted packets); NaN when the container has no count
   * and the probe was asked not to count (`countFrames: false`, enough for a clip).
   */
  frames: number;
  /** Average frame rate. */
  fps: number;
  /** Presentation time (seconds) where the stream starts, when the container says; else 0. */
  start: number;
  /** Length in seconds (stream duration, else the container's), when the container says. */
  seconds?: number;
}

function parseRate(s: unknown): number {
  if (typeof s !== 'string') return NaN;
  const [n, d] = s.split('/').map(Number);
  return d === undefined ? n : d > 0 ? n / d : NaN;
}

/** ffmpeg's stderr condensed for an error message: "[demuxer @ 0x…]" prefixes dropped, repeats merged. */
export function lastLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim())
    .filter(Boolean);
  const unique = [...new Set(lines)];
  const text = unique.slice(-3).join('; ');
  return text ? (text.length > 300 ? `…${text.slice(-300)}` : text) : 'no error output';
}

/**
 * Stream metadata without decoding: codec, size, frame count, average fps. A container without a frame
 * count (WebM, MKV) has its packets counted (demuxing the whole file) unless `countFrames` is false.
 */
export async function probeVideo(tools: FfTools, location: string, opts: { countFrames?: boolean } = {}): Promise<VideoProbe> {
  const entries =
    'stream=codec_name,codec_tag_string,width,height,avg_frame_rate,r_frame_rate,nb_frames,duration,start_time:format=duration,start_time';
  const base = ['-v', 'error', '-select_streams', 'v:0', '-show_entries', entries, '-of', 'json'];
  const r = await run(tools.ffprobe, [...base, location], { maxBytes: 1 << 20 });
  if (r.code !== 0) {
    throw new MediaError('corrupt', `cannot read this video (${lastLine(r.stderr)}); is it a complete video file?`);
  }
  const info = JSON.parse(new TextDecoder().decode(r.stdout)) as {
    streams?: Record<string, unknown>[];
    format?: { duration?: string; start_time?: string };
  };
  const s = info.streams?.[0];
  if (!s) throw new MediaError('bad-frames', 'this file has no video stream');
  const width = Number(s.width);
  const height = Number(s.height);
  const codec = typeof s.codec_name === 'string' ? s.codec_name : String(s.codec_tag_string ?? 'unknown');
  // ffprobe names no codec when this ffmpeg has no decoder for the stream's tag.
  if (typeof s.codec_name !== 'string' || !(width > 0 && height > 0)) {
    throw new MediaError(
      'unsupported-format',
      `this ffmpeg cannot decode the video codec "${codec}"; re-encode the video to H.264 (ffmpeg -i in -c:v libx264 -pix_fmt yuv420p out.mp4)`,
    );
  }
  let frames = Number(s.nb_frames);
  let fps = parseRate(s.avg_frame_rate);
  if (!(fps > 0)) fps = parseRate(s.r_frame_rate);
  if (!(frames > 0) && (opts.countFrames !== false || !(fps > 0))) {
    // WebM/MKV headers carry no frame count: count packets (demux only, no decoding).
    const c = await run(
      tools.ffprobe,
      ['-v', 'error', '-select_streams', 'v:0', '-count_packets', '-show_entries', 'stream=nb_read_packets', '-of', 'json', location],
      { maxBytes: 1 << 20 },
    );
    const n = Number(
      (JSON.parse(new TextDecoder().decode(c.stdout)) as { streams?: { nb_read_packets?: string }[] }).streams?.[0]?.nb_read_packets,
    );
    frames = c.code === 0 && n > 0 ? n : NaN;
  }
  const seconds = Number(s.duration ?? info.format?.duration);
  if (!(fps > 0)) fps = frames / seconds;
  if ((!(frames > 0) && opts.countFrames !== false) || !(fps > 0) || !Number.isFinite(fps)) {
    throw new MediaError('corrupt', `cannot tell how many frames this video has or at what rate (frames ${frames}, fps ${fps})`);
  }
  const start = Number(s.start_time ?? info.format?.start_time);
  return {
    codec,
    width,
    height,
    frames: frames > 0 ? frames : NaN,
    fps,
    start: Number.isFinite(start) ? start : 0,
    ...(seconds > 0 ? { seconds } : {}),
  };
}

/** Packets as ffprobe lists them for clipFrameTimes. */
interface PacketList {
  streams?: { time_base?: string }[];
  packets?: { pts?: number | string; dts?: number | string }[];
}

/**
 * Presentation times (seconds, ascending) of the frames in and around a clip, from packet metadata only
 * (no decoding): ffprobe -read_intervals seeks to the key frame at or before `clip.start` and demuxes
 * to somewhat past `clip.end` (a frame shown before `end` can follow one shown after it in decode
 * order: the margin covers 20 frames of reordering). Should the seek land after `clip.start`, the
 * packets are read again from the beginning of the file. Throws 'bad-clip' for a clip that starts
 * after the video ends.
 */
export async function clipFrameTimes(tools: FfTools, location: string, probe: VideoProbe, clip: VideoClip): Promise<number[]> {
  const seconds = probe.seconds ?? NaN;
  if (clip.start >= probe.start + seconds) framesInClip([], clip, seconds); // throws: starts after the end
  const until = clip.end + Math.max(1, 20 / probe.fps);
  const read = async (from: string): Promise<number[]> => {
    const args = ['-v', 'error', '-select_streams', 'v:0', '-read_intervals', `${from}%${until}`];
    args.push('-show_entries', 'packet=pts,dts:stream=time_base', '-of', 'json', location);
    const r = await run(tools.ffprobe, args, { maxBytes: 1 << 28 });
    if (r.code !== 0)
      throw new MediaError('corrupt', `cannot read the frames of this video (${lastLine(r.stderr)}); is it a complete video file?`);
    const list = JSON.parse(new TextDecoder().decode(r.stdout)) as PacketList;
    const [num, den] = (list.streams?.[0]?.time_base ?? '').split('/').map(Number);
    if (!(num > 0 && den > 0)) throw new MediaError('corrupt', 'this video stream has no time base, so a clip cannot be cut from it');
    const times = (list.packets ?? []).map((p) => {
      const ticks = Number(p.pts ?? p.dts);
      if (!Number.isFinite(ticks)) {
        throw new MediaError(
          'unsupported-format',
          'this video has no frame timestamps, so a clip cannot be cut from it; remux it first (ffmpeg -i in -c copy out.mp4)',
        );
      }
      return (ticks * num) / den;
    });
    return times.sort((a, b) => a - b);
  };
  const near = await read(String(clip.start));
  if (near.length > 0 && near[0] <= clip.start) return near;
  return read('');
}

/**
 * Decodes the frames with the given (0-based, decode-order) indices as RGB at the stored size, in
 * the order of `indices` (repeats allowed). Chroma is upsampled by swscale with bilinear filtering,
 * as torchcodec's CPU path does; small colour differences to decord / torchvision remain possible.
 */
export async function decodeVideoFrames(tools: FfTools, location: string, probe: VideoProbe, indices: number[]): Promise<RawPixels[]> {
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  const select = unique.map((i) => `eq(n\\,${i})`).join('+');
  const { stdout, frameBytes } = await selectFrames(tools, location, probe, select, unique.length, [], (got) => {
    return `frame ${unique[got]} of ${probe.frames} is missing`;
  });
  const byIndex = new Map(unique.map((idx, k) => [idx, stdout.subarray(k * frameBytes, (k + 1) * frameBytes)]));
  return indices.map((i) => ({ data: byIndex.get(i)!, width: probe.width, height: probe.height, channels: 3 as const }));
}

/**
 * Decodes the frames at `stamps[i]` for each i of `indices` (repeats allowed), where `stamps` are the
 * ascending presentation times of consecutive frames (clipFrameTimes), as decodeVideoFrames does for
 * frame numbers: seeking first (to the key frame at or before the earliest one, timestamps kept as
 * the file has them), each frame picked by its time (halfway to its neighbours either side), and
 * stopping after the last one. Should the seek miss a frame, the file is decoded again from its start
 * (unless `retryFromStart` is false: a caller decoding many passes falls back on its own).
 */
export async function decodeFramesAt(
  tools: FfTools,
  location: string,
  probe: VideoProbe,
  stamps: readonly number[],
  indices: number[],
  opts: { retryFromStart?: boolean } = {},
): Promise<RawPixels[]> {
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  const gap = 1 / probe.fps;
  const num = (x: number) => String(x); // shortest round-trip decimal; ffmpeg parses it as a double
  const select = unique
    .map((i) => {
      const lo = i > 0 ? (stamps[i - 1] + stamps[i]) / 2 : stamps[i] - gap / 2;
      const hi = i < stamps.length - 1 ? (stamps[i] + stamps[i + 1]) / 2 : stamps[i] + gap / 2;
      return `gte(t\\,${num(lo)})*lt(t\\,${num(hi)})`;
    })
    .join('+');
  const at = (got: number) => `the frame at ${stamps[unique[got]].toFixed(3)} s is missing`;
  // -seek_timestamp: -ss is a presentation time (not offset by the file's start); -copyts: the select
  // sees those times; -noaccurate_seek: no trim of frames before -ss (the select picks exactly).
  const seek = ['-copyts', '-seek_timestamp', '1', '-ss', num(stamps[unique[0]]), '-noaccurate_seek'];
  let out: { stdout: Uint8Array; frameBytes: number };
  try {
    out = await selectFrames(tools, location, probe, select, unique.length, seek, at);
  } catch (e) {
    if (!(e instanceof MediaError) || e.code !== 'corrupt' || opts.retryFromStart === false) throw e;
    out = await selectFrames(tools, location, probe, select, unique.length, ['-copyts'], at);
  }
  const { stdout, frameBytes } = out;
  const byIndex = new Map(unique.map((idx, k) => [idx, stdout.subarray(k * frameBytes, (k + 1) * frameBytes)]));
  return indices.map((i) => ({ data: byIndex.get(i)!, width: probe.width, height: probe.height, channels: 3 as const }));
}

/**
 * Runs ffmpeg with the video filter `select` (and the input options `before`) and returns the `count`
 * frames it keeps as packed RGB24; stops once they are out. `missing(k)` names frame k when fewer come.
 */
async function selectFrames(
  tools: FfTools,
  location: string,
  probe: VideoProbe,
  select: string,
  count: number,
  before: string[],
  missing: (got: number) => string,
): Promise<{ stdout: Uint8Array; frameBytes: number }> {
  const frameBytes = probe.width * probe.height * 3;
  const args = ['-v', 'error', '-nostdin', '-noautorotate', ...before, '-i', location, '-map', '0:v:0', '-an', '-sn'];
  args.push('-vf', `select='${select}'`, '-vsync', '0', '-frames:v', String(count), '-sws_flags', 'bilinear');
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  const r = await run(tools.ffmpeg, args, { expectBytes: count * frameBytes });
  const got = Math.floor(r.stdout.length / frameBytes);
  if (r.code !== 0 && got < count) {
    const why = lastLine(r.stderr);
    const codecHint = /decoder|codec|not supported|unsupported/i.test(why)
      ? `; re-encode it to H.264 (ffmpeg -i in -c:v libx264 -pix_fmt yuv420p out.mp4)`
      : '; the file may be truncated or damaged';
    throw new MediaError(
      /decoder|codec|not supported|unsupported/i.test(why) ? 'unsupported-format' : 'corrupt',
      `ffmpeg could not decode this ${probe.codec} video (${why})${codecHint}`,
    );
  }
  if (got < count) {
    throw new MediaError(
      'corrupt',
      `the video stopped after ${got} of the ${count} sampled frames (${missing(got)}); the file may be truncated`,
    );
  }
  return { stdout: r.stdout, frameBytes };
}

/**
 * The first frame of an image file (GIF, BMP, TIFF, AVIF) as RGBA (`alpha`) or RGB, at the size its
 * header gives. Used only for formats without a JavaScript decoder here.
 */
export async function decodeImageWithFfmpeg(
  tools: FfTools,
  bytes: Uint8Array,
  width: number,
  height: number,
  alpha: boolean,
): Promise<RawPixels> {
  const channels = alpha ? 4 : 3;
  const data = await decodeRawWithFfmpeg(tools, bytes, alpha ? 'rgba' : 'rgb24', width * height * channels);
  return { data, width, height, channels };
}

/** The first frame of an image file in ffmpeg's pixel format `pixFmt` (e.g. the decoder's own yuv420p planes). */
export async function decodeRawWithFfmpeg(tools: FfTools, bytes: Uint8Array, pixFmt: string, expect: number): Promise<Uint8Array> {
  // A temporary file, not a pipe: TIFF keeps its directory at the end, which needs seeking.
  const dir = await mkdtemp(join(tmpdir(), 'sift-image-'));
  let r: RunResult;
  try {
    const path = join(dir, 'image');
    await writeFile(path, bytes);
    const args = ['-v', 'error', '-nostdin', '-i', path, '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', pixFmt, 'pipe:1'];
    r = await run(tools.ffmpeg, args, { expectBytes: expect });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (r.code !== 0 || r.stdout.length !== expect) {
    throw new MediaError(
      'corrupt',
      `ffmpeg could not decode this image (${r.code !== 0 ? lastLine(r.stderr) : `got ${r.stdout.length} of ${expect} bytes`}); convert it to PNG or JPEG`,
    );
  }
  return r.stdout;
}
