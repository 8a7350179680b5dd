// Decoding chosen frames of a video track with WebCodecs (for browserVideo.ts): the decoder is fed
// from each target's key frame on and every VideoFrame it emits is closed, also on failure or abort.
import type { EncodedPacket, EncodedPacketSink } from 'mediabunny';
import { MediaError } from './errors.ts';
import type { RawPixels } from './pixels.ts';

/** VideoFrames output by decoders here and not closed yet (leak checks read it via the worker). */
let openFrames = 0;
export const openVideoFrameCount = (): number => openFrames;
function trackFrame(frame: VideoFrame): void {
  openFrames++;
  const close = frame.close.bind(frame);
  let closed = false;
  frame.close = () => {
    if (!closed) openFrames--;
    closed = true;
    close();
  };
}

export function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('decoding was cancelled', 'AbortError');
}

function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

/** Anything mediabunny or WebCodecs throws on a damaged file becomes a 'corrupt' MediaError. */
export function asMediaError(e: unknown, what: string): unknown {
  if (e instanceof MediaError || isAbort(e)) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new MediaError('corrupt', `${what} (${msg}); the file may be truncated or damaged`);
}

/** Chunk / frame timestamps in µs: we stamp the chunks ourselves, so frames map back to packets exactly. */
export const usOf = (seconds: number) => Math.round(seconds * 1e6);

function chunkOf(p: EncodedPacket): EncodedVideoChunk {
  return new EncodedVideoChunk({ type: p.type, timestamp: usOf(p.timestamp), duration: usOf(p.duration), data: p.data });
}

/**
 * The decoder's side of decodeAt: the wanted frames that came out and their RGB conversions, the first
 * failure, and a wake-up for the loop that feeds the decoder.
 */
class FrameCollector {
  readonly seen = new Set<number>();
  readonly frames = new Map<number, RawPixels>();
  readonly conversions: Promise<void>[] = [];
  failure: unknown = null;
  decoded = 0;
  private wake: (() => void) | null = null;

  constructor(
    private readonly wanted: Set<number>,
    private readonly toPixels: (frame: VideoFrame) => Promise<RawPixels>,
  ) {}

  readonly wakeUp = (): void => {
    const w = this.wake;
    this.wake = null;
    w?.();
  };

  /** Resolves at the next output, dequeue, error or abort. */
  nextEvent(): Promise<void> {
    return new Promise<void>((r) => (this.wake = r));
  }

  readonly output = (frame: VideoFrame): void => {
    this.decoded++;
    trackFrame(frame);
    const us = frame.timestamp;
    if (this.failure || !this.wanted.has(us) || this.seen.has(us)) {
      frame.close();
      return;
    }
    this.seen.add(us);
    this.conversions.push(
      this.toPixels(frame)
        .then(
          (px) => void this.frames.set(us, px),
          (e) => void (this.failure ??= e),
        )
        .finally(() => frame.close()),
    );
    this.wakeUp();
  };

  readonly error = (e: DOMException): void => {
    this.failure ??= new MediaError('corrupt', `the video decoder failed (${e.message}); the file may be truncated or damaged`);
    this.wakeUp();
  };
}

/** Feeds the decoder from each target's key frame on until every target has come out (or `check` throws). */
async function feedTargets(
  decoder: VideoDecoder,
  sink: EncodedPacketSink,
  targets: number[],
  describe: (t: number) => string,
  c: FrameCollector,
  check: () => void,
  signal?: AbortSignal,
): Promise<void> {
  let next: EncodedPacket | null = null; // next packet to feed, in decode order
  let started = false;
  for (const t of targets) {
    const us = usOf(t);
    if (c.seen.has(us)) continue;
    const key = await sink.getKeyPacket(t, { verifyKeyPackets: true });
    if (!key) throw new MediaError('corrupt', `there is no key frame at or before ${describe(t)}: the file is truncated or damaged`);
    // The target's GOP starts past the decoder's position: drain, then jump to its key frame.
    if (!started || (next !== null && key.sequenceNumber > next.sequenceNumber)) {
      if (started) await decoder.flush();
      check();
      if (c.seen.has(us)) continue;
      next = key;
      started = true;
    }
    while (!c.seen.has(us)) {
      check();
      if (next === null) {
        await decoder.flush();
        check();
        if (!c.seen.has(us))
          throw new MediaError('corrupt', `the video data ends before ${describe(t)} could be decoded: the file is truncated or damaged`);
        break;
      }
      decoder.decode(chunkOf(next));
      next = await sink.getNextPacket(next);
      // Keep the queue short so we stop soon after the target appears (outputs arrive as tasks).
      while (decoder.decodeQueueSize > 1 && !c.failure && !signal?.aborted) await c.nextEvent();
    }
  }
}

/**
 * Decodes the frames at the given presentation timestamps (seconds, ascending) and converts each to
 * RGB. Every VideoFrame the decoder emits is closed: unwanted ones at once, wanted ones after their
 * conversion — also when decoding fails or is aborted.
 */
export async function decodeAt(
  sink: EncodedPacketSink,
  config: VideoDecoderConfig,
  targets: number[],
  describe: (t: number) => string,
  toPixels: (frame: VideoFrame) => Promise<RawPixels>,
  signal?: AbortSignal,
): Promise<{ frames: Map<number, RawPixels>; decoded: number }> {
  const c = new FrameCollector(new Set(targets.map(usOf)), toPixels);
  const decoder = new VideoDecoder({ output: c.output, error: c.error });
  decoder.addEventListener('dequeue', c.wakeUp);
  const onAbort = () => c.wakeUp();
  signal?.addEventListener('abort', onAbort);
  const check = () => {
    if (signal?.aborted) throw abortError(signal);
    if (c.failure) throw c.failure;
  };

  try {
    decoder.configure(config);
    await feedTargets(decoder, sink, targets, describe, c, check, signal);
    check();
  } catch (e) {
    c.failure ??= e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (decoder.state !== 'closed') decoder.close();
    await Promise.allSettled(c.conversions);
  }
  if (signal?.aborted) throw abortError(signal);
  if (c.failure) throw asMediaError(c.failure, 'the video could not be decoded');
  return { frames: c.frames, decoded: c.decoded };
}
