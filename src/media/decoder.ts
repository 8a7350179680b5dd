// The port the engine decodes request media through; Node (nodeDecoder.ts) and the browser worker
// (browserDecoder.ts) implement it. Owned by media: the engine only calls it.
import type { Grid, ImageItem, VideoItem } from '../contracts/request.ts';

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
