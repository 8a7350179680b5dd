// The shape of a rerank request and of the media items built from it: what the prompt, media and engine
// layers all read, kept here so that none of them imports another (docs/ARCHITECTURE.md, the layers).

/**
 * A reference to one image, one video file or one frame: a path / URL string, or an opaque object
 * (Blob, ImageBitmap, decoded pixels…) that only the media module interprets.
 */
export type MediaRef = string | object;

/** One video: a file / URL (or opaque file-like handle), or a list of frame images. */
export type VideoInput = MediaRef | MediaRef[];

/** One side of a pair (the query or a document). Each field may be one value or a list. */
export interface RerankSide {
  text?: string | string[] | null;
  image?: MediaRef | MediaRef[] | null;
  /** One video (a file, or a list of frames), or a list of videos. */
  video?: VideoInput | VideoInput[] | null;
}

export interface RerankRequest {
  instruction?: string | null;
  query?: RerankSide | null;
  documents?: RerankSide[] | null;
  fps?: number | null;
  max_frames?: number | null;
}

/** A side's items as the reference's conversation holds them (`format_mm_content`). */
export interface TextItem {
  type: 'text';
  text: string;
}
export interface ImageItem {
  type: 'image';
  image: MediaRef;
  min_pixels: number;
  max_pixels: number;
}
export interface VideoItem {
  type: 'video';
  /** A file / URL / opaque file handle, or the (already subsampled) list of frames. */
  video: MediaRef | MediaRef[];
  fps?: number;
  max_frames?: number;
  total_pixels?: number;
  /**
   * Only this window of a video file: the frames whose presentation time (seconds, as the container
   * stamps them) is in [start, end). Decoded exactly as that clip cut to its own file would be: the
   * same fps / max_frames / pixel rules applied to the clip's frames, timestamps counted from the
   * clip's first frame. Not for frame lists. An invalid window fails the item (MediaError 'bad-clip').
   */
  clip?: { start: number; end: number };
}
export type ContentItem = TextItem | ImageItem | VideoItem;

/** [t, h, w]: temporal groups and patches down and across of one image or video. */
export type Grid = [number, number, number];

/** What the media layer tells the prompt about one image or video. */
export interface MediaGridInfo {
  grid: Grid;
  /** Seconds per temporal group; required for videos. */
  timestamps?: number[];
}
