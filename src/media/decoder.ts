// The port the engine decodes request media through; Node (nodeDecoder.ts) and the browser worker
// (browserDecoder.ts) implement it. Owned by media: the engine only calls it.
import type { Grid, ImageItem, VideoItem } from '../contracts/request.ts';
import type { RawPixels } from './pixels.ts';

export interface DecodedImage {
  patches: Float32Array;
  grid: Grid;
  /** What the document's result should say about this medium (e.g. only an animation's first frame was used). */
  warnings?: string[];
}

export interface DecodedVideo extends DecodedImage {
  /** Seconds per temporal group, for the `<t seconds>` texts. */
  timestamps: number[];
}

/** Turns request media into patches; implemented for Node (CLI) and for the browser worker. */
export interface MediaDecoder {
  image(item: ImageItem): Promise<DecodedImage>;
  video(item: VideoItem): Promise<DecodedVideo>;
}

/**
 * A video file opened once for moments and covers (issue G): its frames' presentation times read once,
 * clips and single frames decoded in passes over the file instead of one seek per clip.
 */
export interface VideoReader {
  /** Presentation times (seconds, as the container stamps them) of every frame, ascending. */
  readonly times: readonly number[];
  /** Where the last frame ends: its time plus one frame at the average rate (seconds). */
  readonly duration: number;
  /** Stored frame size (before any rotation or aspect correction). */
  readonly width: number;
  readonly height: number;
  /**
   * Clips of this video (`items[k].clip` set), each decoded exactly as MediaDecoder.video decodes it
   * alone — same frames, grid, timestamps, patches — with the frames of all of them decoded in one
   * pass. A clip that cannot be decoded gets its Error (a MediaError with the reason) in its place.
   */
  clips(items: VideoItem[]): Promise<(DecodedVideo | Error)[]>;
  /** The frames at these indices of `times` as RGB at the stored size, in order, decoded a batch at a time. */
  frames(indices: readonly number[]): AsyncIterable<RawPixels | Error>;
  /** Frames decoded so far, and decodes saved by reusing a frame an earlier pass decoded. */
  readonly stats: { passes: number; decoded: number; reused: number; decodeMs: number };
}

/** A MediaDecoder that can also open a video file as a whole (Node: nodeVideoDecoder). */
export interface VideoReaderDecoder<R extends VideoReader = VideoReader> extends MediaDecoder {
  /** Opens the video file of `item` (a path, URL or handle; not a frame list) for the time `use` runs. */
  withVideo<T>(item: VideoItem, use: (reader: R) => Promise<T>): Promise<T>;
}
