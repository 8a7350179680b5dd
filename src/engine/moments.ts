// Moments (issue G): which seconds of a long video match a query. The video is cut into windows of
// `window` seconds every `stride` seconds and each window is scored exactly as `sift rank` scores that
// clip as a video document ({video, clip}: the same frames, grid, timestamps and prompt), through one
// RerankSession so the query prefix runs once. The video is opened once (VideoReader): its frame times
// are read once and windows are decoded a few at a time in one pass, so memory stays bounded however
// long the video is, and results stream as windows score.
import type { MediaRef, RerankRequest, RerankSide, VideoItem } from '../contracts/request.ts';
import type { DecodedVideo, MediaDecoder, VideoReader, VideoReaderDecoder } from '../media/decoder.ts';
import { RequestError, type PromptTokenizer } from '../prompt/index.ts';
import { RerankSession, type RerankRunOptions } from './rerank.ts';
import type { LoadedModel } from './session.ts';

/** What moments and covers run with: the reranker, its tokenizer and a decoder that can open videos. */
export interface VideoScoringContext {
  model: LoadedModel;
  tokenizer: PromptTokenizer;
  media: VideoReaderDecoder;
}

export interface MomentWindow {
  /** Seconds, presentation time; `end` exclusive. */
  start: number;
  end: number;
  score: number | null;
  /** Why the window could not be scored (e.g. a damaged stretch of the file), with its stable code. */
  error?: string;
  code?: string;
}

export interface MomentsResult {
  /** Where the video's last frame ends (seconds). */
  duration: number;
  windows: MomentWindow[];
  /** Indices of the scored windows, best first (ties: earlier first). */
  top: number[];
}

export interface MomentsOptions {
  /** Window length in seconds (default 10). */
  window?: number;
  /** Seconds between window starts (default window / 2); at most `window`, so windows cover the video. */
  stride?: number;
  /** The request's fps / max_frames, applied to every window as to a video document. */
  fps?: number;
  maxFrames?: number;
  instruction?: string;
  signal?: AbortSignal;
  /** Each window as it is scored (not in order of time when windows are packed; usually in order); `total` windows in all. */
  onWindow?: (e: MomentWindow & { index: number; total: number; duration: number; ms: number }) => void;
  /** Windows decoded in one pass over the file (default 4). */
  windowsPerPass?: number;
  /** Passed to the rerank run (maxLength, chunkTokens, …). */
  run?: Omit<RerankRunOptions, 'onScore' | 'signal' | 'windowDocs'>;
}

const micro = (s: number) => Math.round(s * 1e6) / 1e6;

/** How many of the ascending `times` lie in [start, end), compared in whole microseconds as framesInClip does. */
export function framesIn(times: readonly number[], start: number, end: number): number {
  const lo = Math.round(start * 1e6);
  const hi = Math.round(end * 1e6);
  let n = 0;
  for (const t of times) {
    const u = Math.round(t * 1e6);
    if (u >= hi) break;
    if (u >= lo) n++;
  }
  return n;
}

/**
 * The windows of a video of `duration` seconds whose frames are at `times`: starts at k · stride, each
 * `window` long, the last one ending at the duration (none after the first window that reaches it).
 * A last window that would hold fewer than 2 frames (a video needs 2) is merged into the one before,
 * which then ends at the duration.
 */
export function momentWindows(
  times: readonly number[],
  duration: number,
  window: number,
  stride: number,
): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const end = micro(duration);
  for (let k = 0; ; k++) {
    const start = micro(k * stride);
    if (start >= end && out.length) break;
    const w = { start, end: Math.min(micro(start + window), end) };
    out.push(w);
    if (w.end >= end) break;
  }
  const last = out[out.length - 1];
  if (out.length > 1 && framesIn(times, last.start, last.end) < 2) {
    out.pop();
    out[out.length - 1].end = end;
  }
  return out;
}

/** The window settings with their defaults, or a RequestError saying what is wrong. */
export function windowSettings(o: { window?: number; stride?: number }): { window: number; stride: number } {
  const window = o.window ?? 10;
  if (typeof window !== 'number' || !Number.isFinite(window) || !(window > 0)) {
    throw new RequestError(`"window" must be a positive number of seconds, got ${JSON.stringify(o.window)}`);
  }
  const stride = o.stride ?? window / 2;
  if (typeof stride !== 'number' || !Number.isFinite(stride) || !(stride > 0) || stride > window) {
    throw new RequestError(`"stride" must be a number of seconds in (0, window = ${window}], got ${JSON.stringify(o.stride)}`);
  }
  return { window, stride };
}

/** Indices of the scored entries, best first; ties keep the earlier first. */
export function bestFirst(scores: readonly (number | null)[]): number[] {
  const idx: number[] = [];
  scores.forEach((s, i) => {
    if (s !== null) idx.push(i);
  });
  return idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
}

/** Moments of the video `video` (a path / URL / handle the context's decoder opens). */
export async function moments(
  ctx: VideoScoringContext,
  query: RerankSide,
  video: MediaRef,
  opts: MomentsOptions = {},
): Promise<MomentsResult> {
  windowSettings(opts); // a bad window or stride fails before the video is opened
  const item: VideoItem = { type: 'video', video };
  return await ctx.media.withVideo(item, (reader) => momentsOf(ctx, reader, query, opts));
}

/** Moments of an opened video. */
export async function momentsOf(
  ctx: VideoScoringContext,
  reader: VideoReader,
  query: RerankSide,
  opts: MomentsOptions = {},
): Promise<MomentsResult> {
  const { window, stride } = windowSettings(opts);
  const clips = momentWindows(reader.times, reader.duration, window, stride);
  // The windows' video is this object, so the decoder below tells them from any video of the query.
  const windowVideo = { momentsOf: 'video' };
  const indexOf = new Map(clips.map((c, k) => [c.start, k]));
  const perPass = Math.max(1, opts.windowsPerPass ?? 4);
  const pending = new Map<number, Promise<DecodedVideo | Error>>();
  const media: MediaDecoder = {
    image: (item) => ctx.media.image(item),
    async video(item) {
      const k = item.video === windowVideo && item.clip ? indexOf.get(item.clip.start) : undefined;
      if (k === undefined) return ctx.media.video(item);
      if (!pending.has(k)) {
        const batch = clips.slice(k, k + perPass).map((clip) => ({ ...item, clip }));
        const decoded = reader.clips(batch);
        batch.forEach((_, j) =>
          pending.set(
            k + j,
            decoded.then(
              (d) => d[j],
              (e: Error) => e,
            ),
          ),
        );
      }
      const d = await pending.get(k)!;
      pending.delete(k);
      if (d instanceof Error) throw d;
      return d;
    },
  };
  const request: RerankRequest = {
    instruction: opts.instruction,
    query,
    documents: clips.map((clip) => ({ video: windowVideo, clip })),
    fps: opts.fps,
    max_frames: opts.maxFrames,
  };
  const windows: MomentWindow[] = clips.map((c) => ({ ...c, score: null }));
  const session = new RerankSession(ctx.model, ctx.tokenizer, media);
  await session.run(request, {
    ...opts.run,
    signal: opts.signal,
    windowDocs: perPass,
    onScore: (e) => {
      const w = windows[e.index];
      w.score = e.score;
      if (e.error !== undefined) Object.assign(w, { error: e.error, code: e.code });
      opts.onWindow?.({ ...w, index: e.index, total: windows.length, duration: micro(reader.duration), ms: e.ms });
    },
  });
  return { duration: micro(reader.duration), windows, top: bestFirst(windows.map((w) => w.score)) };
}
