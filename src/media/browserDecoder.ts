// The browser's MediaDecoder (used by workers/sift.worker.ts; also works on a page): request media →
// patches, the twin of nodeDecoder.ts. Images: URL / data URL / base64 / File / Blob / ImageBitmap /
// RawPixels → browserImage.ts → preprocessImage. Videos: a file → browserVideo.ts (mediabunny +
// WebCodecs) → preprocessVideoFrames; a list of frame images → preprocessFrameList.
import type { DecodedImage, DecodedVideo, MediaDecoder } from './decoder.ts';
import type { ImageItem, VideoItem } from '../contracts/request.ts';
import { decodeImageBytes, DEFAULT_MAX_IMAGE_PIXELS, pixelsFromBitmap } from './browserImage.ts';
import { locate, readAllBytes } from './browserSource.ts';
import { decodeVideoFile } from './browserVideo.ts';
import { MediaError } from './errors.ts';
import type { FetchTimeouts } from './fetchTimeouts.ts';
import { preprocessImage } from './image.ts';
import type { RawPixels } from './pixels.ts';
import { REFERENCE_FILE_TOTAL_PIXELS } from './smartResize.ts';
import { preprocessFrameList, preprocessVideoFrames } from './video.ts';

export interface BrowserDecoderOptions extends FetchTimeouts {
  /** Refuse videos longer than this many seconds (before decoding any frame). */
  maxVideoSeconds?: number;
  signal?: AbortSignal;
  /** Refuse images above this many pixels, from the header, before decoding (decodeBudget.ts; default 89,478,485). */
  maxImagePixels?: number;
}

function checkAbort(signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('decoding was cancelled', 'AbortError');
}

/** Any image reference → pixels in the reference's orientation and channel layout. */
export async function loadImagePixels(ref: unknown, opts: BrowserDecoderOptions = {}): Promise<RawPixels> {
  checkAbort(opts.signal);
  const loc = locate(ref);
  if (loc.kind === 'pixels') return loc.pixels;
  if (loc.kind === 'bitmap') return pixelsFromBitmap(loc.bitmap);
  const bytes = await readAllBytes(loc, opts.signal, undefined, opts);
  checkAbort(opts.signal);
  const px = await decodeImageBytes(bytes, { maxImagePixels: opts.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS });
  checkAbort(opts.signal);
  return px;
}

/** Prefixes which frame of a frame list failed. */
async function frameListPixels(frames: unknown[], opts: BrowserDecoderOptions): Promise<RawPixels[]> {
  const out: RawPixels[] = [];
  for (const [i, f] of frames.entries()) {
    try {
      out.push(await loadImagePixels(f, opts));
    } catch (e) {
      if (e instanceof MediaError) throw new MediaError(e.code, `frame ${i} of the frame list: ${e.message}`);
      throw e;
    }
  }
  return out;
}

export function browserMediaDecoder(opts: BrowserDecoderOptions = {}): MediaDecoder {
  return {
    async image(item: ImageItem): Promise<DecodedImage> {
      const px = await loadImagePixels(item.image, opts);
      const img = preprocessImage(px, { minPixels: item.min_pixels, maxPixels: item.max_pixels });
      return { patches: img.patches, grid: img.grid, warnings: px.warning ? [px.warning] : undefined };
    },

    async video(item: VideoItem): Promise<DecodedVideo> {
      if (Array.isArray(item.video)) {
        if (item.clip !== undefined) {
          throw new MediaError(
            'bad-clip',
            'a clip is a time window of a video file; this video is a list of frames: give only the frames wanted',
          );
        }
        const images = await frameListPixels(item.video, opts);
        // As nodeDecoder.ts: no budget on the item = the reference's fetch_video default.
        const v = preprocessFrameList(images, {
          maxFrames: item.max_frames,
          totalPixels: item.total_pixels ?? REFERENCE_FILE_TOTAL_PIXELS,
        });
        return { patches: v.patches, grid: v.grid, timestamps: v.timestamps };
      }
      const { frames, plan } = await decodeVideoFile(locate(item.video), {
        fps: item.fps,
        maxFrames: item.max_frames,
        totalPixels: item.total_pixels,
        clip: item.clip,
        maxVideoSeconds: opts.maxVideoSeconds,
        signal: opts.signal,
        fetchTimeoutMs: opts.fetchTimeoutMs,
        stallTimeoutMs: opts.stallTimeoutMs,
      });
      checkAbort(opts.signal);
      const v = preprocessVideoFrames(frames, plan);
      return { patches: v.patches, grid: v.grid, timestamps: v.timestamps };
    },
  };
}
