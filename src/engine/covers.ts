// Cover frames (issue G): which frame of a video best shows what its title says. The video is sampled
// at `fps` (the frame shown at each k / fps seconds from its first frame) and every sampled frame is
// scored as an image document against the title, through one RerankSession (the title's prefix runs
// once). Frames are decoded a batch at a time as the session asks for them, so an hour of video never
// sits in memory; a frame's score equals `sift rank` of that frame saved as a PNG (the same pixels go
// through the same image path).
import type { ImageItem, MediaRef, RerankRequest, VideoItem } from '../contracts/request.ts';
import type { MediaDecoder, VideoReader } from '../media/decoder.ts';
import type { RawPixels } from '../media/pixels.ts';
import { RequestError } from '../prompt/index.ts';
import { bestFirst, type VideoScoringContext } from './moments.ts';
import { RerankSession, type RerankRunOptions } from './rerank.ts';

export interface CoverFrame {
  /** The frame's presentation timestamp in the file (seconds). */
  time: number;
  score: number | null;
  error?: string;
  code?: string;
}

export interface CoverResult {
  /** Every sampled frame, in time order. */
  frames: CoverFrame[];
  /** Indices of the `top` best frames, best first. */
  top: number[];
  /** The best frame's time (null when no frame could be scored). */
  best: number | null;
  /** The best frame's index in the reader's frame times (for saving it); null as `best`. */
  bestFrame: number | null;
  /** The reader's frame indices of the `top` frames, best first (for showing or saving them). */
  topFrames: number[];
}

export interface CoverOptions {
  /** Frames sampled per second (default 1). */
  fps?: number;
  /** How many best frames `top` lists (default 5). */
  top?: number;
  instruction?: string;
  signal?: AbortSignal;
  /** Each frame as it is scored; `total` is how many frames are sampled. */
  onFrame?: (e: CoverFrame & { index: number; total: number; ms: number }) => void;
  run?: Omit<RerankRunOptions, 'onScore' | 'signal'>;
}

/**
 * The frames sampled at `fps`: for k = 0, 1, … while times[0] + k / fps < duration, the index of the
 * frame shown then (the last frame whose time is ≤ it), each frame once.
 */
export function coverFrameIndices(times: readonly number[], duration: number, fps: number): number[] {
  const out: number[] = [];
  let i = 0;
  const t0 = times[0];
  const until = Math.round(duration * 1e6);
  for (let k = 0; ; k++) {
    const at = Math.round((t0 + k / fps) * 1e6);
    if (at >= until) break;
    while (i + 1 < times.length && Math.round(times[i + 1] * 1e6) <= at) i++;
    if (out[out.length - 1] !== i) out.push(i);
  }
  return out;
}

function coverSettings(o: CoverOptions): { fps: number; top: number } {
  const fps = o.fps ?? 1;
  if (typeof fps !== 'number' || !Number.isFinite(fps) || !(fps > 0) || fps > 60) {
    throw new RequestError(`"fps" must be a number in (0, 60], got ${JSON.stringify(o.fps)}`);
  }
  const top = o.top ?? 5;
  if (!Number.isInteger(top) || top < 1) throw new RequestError(`"top" must be a whole number ≥ 1, got ${JSON.stringify(o.top)}`);
  return { fps, top };
}

/** Cover frames of the video `video` (a path / URL / handle the context's decoder opens). */
export async function coverFrames(ctx: VideoScoringContext, title: string, video: MediaRef, opts: CoverOptions = {}): Promise<CoverResult> {
  coverSettings(opts);
  const item: VideoItem = { type: 'video', video };
  return await ctx.media.withVideo(item, (reader) => coverFramesOf(ctx, reader, title, opts));
}

/** A frame to come, as a document's image: the decoder below swaps in its pixels when it is reached. */
interface FrameHandle {
  coverFrame: number;
}
const isHandle = (ref: unknown): ref is FrameHandle => typeof (ref as FrameHandle | null)?.coverFrame === 'number';

/** Cover frames of an opened video. */
export async function coverFramesOf(
  ctx: VideoScoringContext,
  reader: VideoReader,
  title: string,
  opts: CoverOptions = {},
): Promise<CoverResult> {
  if (typeof title !== 'string' || !title.trim()) throw new RequestError('a cover needs a title: the text the frames are ranked against');
  const { fps, top } = coverSettings(opts);
  const indices = coverFrameIndices(reader.times, reader.duration, fps);
  const stream = reader.frames(indices)[Symbol.asyncIterator]();
  let next = 0; // the next frame the stream yields
  const media: MediaDecoder = {
    video: (item) => ctx.media.video(item),
    async image(item: ImageItem) {
      if (!isHandle(item.image)) return ctx.media.image(item);
      // The session asks for documents in order; frames of failed documents before are skipped.
      let got: IteratorResult<RawPixels | Error> | undefined;
      while (next <= item.image.coverFrame) {
        got = await stream.next();
        next++;
      }
      const frame = got?.value;
      if (!frame) throw new Error(`frame ${item.image.coverFrame} was not decoded`);
      if (frame instanceof Error) throw frame;
      return ctx.media.image({ ...item, image: frame });
    },
  };
  const request: RerankRequest = {
    instruction: opts.instruction,
    query: { text: title },
    documents: indices.map((_, k) => ({ image: { coverFrame: k } satisfies FrameHandle })),
  };
  const frames: CoverFrame[] = indices.map((i) => ({ time: reader.times[i], score: null }));
  try {
    await new RerankSession(ctx.model, ctx.tokenizer, media).run(request, {
      windowDocs: 8,
      ...opts.run,
      signal: opts.signal,
      onScore: (e) => {
        const f = frames[e.index];
        f.score = e.score;
        if (e.error !== undefined) Object.assign(f, { error: e.error, code: e.code });
        opts.onFrame?.({ ...f, index: e.index, total: frames.length, ms: e.ms });
      },
    });
  } finally {
    await stream.return?.();
  }
  const order = bestFirst(frames.map((f) => f.score));
  const best = order.length ? order[0] : null;
  const topOrder = order.slice(0, top);
  return {
    frames,
    top: topOrder,
    best: best === null ? null : frames[best].time,
    bestFrame: best === null ? null : indices[best],
    topFrames: topOrder.map((k) => indices[k]),
  };
}
