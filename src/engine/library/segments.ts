// Long videos are indexed as overlapping segments, so a search finds a moment, not just a file.

export interface SegmentOptions {
  /** Segment length in seconds (default 10). */
  seconds?: number;
  /** Start-to-start distance (default half a segment: every moment lies well inside one). */
  stride?: number;
}

export const DEFAULT_SEGMENT_SECONDS = 10;

/** [start, end) windows covering [0, duration); a video not much longer than one segment is one whole item (null). */
export function videoSegments(duration: number, opts: SegmentOptions = {}): { start: number; end: number }[] | null {
  const length = opts.seconds ?? DEFAULT_SEGMENT_SECONDS;
  const stride = opts.stride ?? length / 2;
  if (!(length > 0) || !(stride > 0) || stride > length)
    throw new Error(`segments need 0 < stride ≤ length, got length ${length}, stride ${stride}`);
  if (!(duration > length * 1.5)) return null;
  const out: { start: number; end: number }[] = [];
  for (let start = 0; start + length < duration; start += stride) out.push({ start, end: start + length });
  // The last window ends at the end of the video.
  const last = Math.max(0, duration - length);
  if (!out.length || out[out.length - 1].start < last) out.push({ start: last, end: duration });
  return out;
}
