// The public moments and covers calls (issue G), used as `reranker.moments(query, video, options)` and
// `reranker.coverFrames(title, video, options)`: which windows of a long video match a query, and which
// frame of a video best matches its title. The work runs in the Reranker's worker (workers/moments.ts):
// the video is opened once, decoded a few windows at a time (WebCodecs), and results stream as they score.
import type {
  CoverFrameEvent,
  CoverOptions,
  CoverResult,
  MomentEvent,
  MomentsRequest,
  MomentsResult,
  RerankOptions,
  RerankSide,
} from './types.ts';
import type { SiftClient } from './workerClient.ts';

export type { CoverFrame, CoverFrameEvent, CoverResult, MomentEvent, MomentWindow, MomentsResult } from './types.ts';

export interface MomentsOptions extends RerankOptions {
  /** Window length in seconds (default 10). */
  window?: number;
  /** Seconds between window starts (default window / 2; at most window, so windows cover the video). */
  stride?: number;
  /** Frames per second sampled from each window (default 1). */
  fps?: number;
  /** At most this many frames per window (default 64). */
  maxFrames?: number;
  instruction?: string;
  /** Each window as it is scored (usually in time order). */
  onWindow?: (e: MomentEvent) => void;
}

export interface CoverFramesOptions extends CoverOptions {
  /** Each sampled frame as it is scored. */
  onFrame?: (e: CoverFrameEvent) => void;
}

/** The video a call takes: a URL (relative to the page) or a File / Blob. */
export type VideoFile = string | URL | Blob;

/** A URL relative to the page, made absolute: the worker would resolve it against its own script. */
function videoRef(video: VideoFile): string | Blob {
  if (video instanceof Blob) return video;
  const url = String(video);
  return typeof document === 'undefined' || /^(data|blob):/.test(url) ? url : new URL(url, document.baseURI).href;
}

const sideOf = (query: string | RerankSide): RerankSide => (typeof query === 'string' ? { text: query } : query);

/** Moments of `video` for `query` (a text, or a side with text / image / video) through `client`. */
export function momentsVia(
  client: SiftClient,
  query: string | RerankSide,
  video: VideoFile,
  options: MomentsOptions = {},
): Promise<MomentsResult> {
  const { window, stride, fps, maxFrames, instruction, onWindow, ...rest } = options;
  const request: MomentsRequest = { query: sideOf(query), video: videoRef(video), window, stride, fps, maxFrames, instruction };
  for (const k of Object.keys(request) as (keyof MomentsRequest)[]) if (request[k] === undefined) delete request[k];
  return client.moments(request, onWindow, rest);
}

/** Cover frames of `video` for `title` through `client`. */
export function coverFramesVia(
  client: SiftClient,
  title: string,
  video: VideoFile,
  options: CoverFramesOptions = {},
): Promise<CoverResult> {
  const { onFrame, ...rest } = options;
  return client.coverFrames(title, videoRef(video), rest, onFrame);
}
