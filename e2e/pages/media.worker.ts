// Module worker for e2e/media.spec.ts: runs browserMediaDecoder where the app runs it (a module Web
// Worker) and counts, independently of the decoder's own code, every VideoFrame a VideoDecoder emits
// and every close() of those frames, and every createImageBitmap call.
import { browserMediaDecoder } from '../../src/media/browserDecoder.ts';
import { MediaError } from '../../src/media/errors.ts';
import type { ImageItem, VideoItem } from '../../src/prompt/conversation.ts';

const stats = { framesOut: 0, framesClosed: 0, bitmaps: 0 };
const open = new Set<VideoFrame>();
let onFrameOut: (() => void) | null = null;

const NativeDecoder = VideoDecoder;
class CountingDecoder extends NativeDecoder {
  constructor(init: VideoDecoderInit) {
    super({
      ...init,
      output: (frame) => {
        stats.framesOut++;
        open.add(frame);
        init.output(frame);
        onFrameOut?.();
      },
    });
  }
}
(self as unknown as { VideoDecoder: typeof VideoDecoder }).VideoDecoder = CountingDecoder;
const nativeClose = VideoFrame.prototype.close;
VideoFrame.prototype.close = function (this: VideoFrame) {
  if (open.delete(this)) stats.framesClosed++;
  return nativeClose.call(this);
};
const nativeBitmap = self.createImageBitmap.bind(self);
(self as unknown as { createImageBitmap: unknown }).createImageBitmap = (...args: Parameters<typeof createImageBitmap>) => {
  stats.bitmaps++;
  return nativeBitmap(...args);
};

export interface MediaCall {
  op: 'image' | 'video' | 'stats';
  ref?: unknown;
  item?: Partial<ImageItem> & Partial<VideoItem>;
  maxVideoSeconds?: number;
  maxImagePixels?: number;
  /** Abort the decode once this many frames have come out of the decoder. */
  abortAfterFrames?: number;
}

export type MediaResult =
  | {
      ok: true;
      patches: Float32Array;
      grid: number[];
      timestamps?: number[];
      warnings?: string[];
      ms: number;
      decoded: number;
      stats: typeof stats & { open: number };
    }
  | { ok: false; name: string; code?: string; message: string; stats: typeof stats & { open: number } }
  | { ok: true; stats: typeof stats & { open: number } };

const snapshot = () => ({ ...stats, open: open.size });

async function handle(call: MediaCall): Promise<MediaResult> {
  if (call.op === 'stats') return { ok: true, stats: snapshot() };
  const controller = new AbortController();
  onFrameOut = call.abortAfterFrames === undefined ? null : () => stats.framesOut >= call.abortAfterFrames! && controller.abort();
  const decoder = browserMediaDecoder({
    maxVideoSeconds: call.maxVideoSeconds,
    maxImagePixels: call.maxImagePixels,
    signal: controller.signal,
  });
  const t0 = performance.now();
  const before = stats.framesOut;
  try {
    if (call.op === 'image') {
      const r = await decoder.image({
        type: 'image',
        image: call.ref as string,
        min_pixels: 4096,
        max_pixels: 1_843_200,
        ...call.item,
      } as ImageItem);
      return {
        ok: true,
        patches: r.patches,
        grid: r.grid,
        warnings: r.warnings,
        ms: performance.now() - t0,
        decoded: stats.framesOut - before,
        stats: snapshot(),
      };
    }
    const r = await decoder.video({ type: 'video', video: call.ref as string, ...call.item } as VideoItem);
    return {
      ok: true,
      patches: r.patches,
      grid: r.grid,
      timestamps: r.timestamps,
      ms: performance.now() - t0,
      decoded: stats.framesOut - before,
      stats: snapshot(),
    };
  } catch (e) {
    const err = e as Error;
    return { ok: false, name: err.name, code: e instanceof MediaError ? e.code : undefined, message: err.message, stats: snapshot() };
  } finally {
    onFrameOut = null;
  }
}

self.onmessage = async (e: MessageEvent<{ id: number; call: MediaCall }>) => {
  const result = await handle(e.data.call);
  const transfer = 'patches' in result ? [result.patches.buffer] : [];
  (self as unknown as Worker).postMessage({ id: e.data.id, result }, transfer);
};
