// The first frame of an animated WebP as a still WebP file, for decoders that read only still images
// (ffmpeg's WebP decoder in Node). PIL (WebPAnimDecoder) and Chromium both give the first frame drawn
// on a transparent canvas of the declared size; the caller places the frame at its offset.
import { MediaError } from './errors.ts';

export interface WebpFrame {
  /** A still WebP holding only this frame's image data (ALPH + VP8, or VP8L). */
  still: Uint8Array;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Whether the frame carries alpha (an ALPH chunk or a VP8L image). */
  alpha: boolean;
}

const ascii = (b: Uint8Array, at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
const u24 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

function damaged(): never {
  throw new MediaError('corrupt', 'this animated WebP has no readable first frame; the file may be truncated or damaged');
}

/** RIFF chunks from `start` to `end`: [fourcc, payload]. Payloads are padded to even sizes. */
function* chunks(b: Uint8Array, start: number, end: number): Generator<[string, Uint8Array]> {
  let o = start;
  while (o + 8 <= end) {
    const size = u32(b, o + 4);
    if (o + 8 + size > end) damaged();
    yield [ascii(b, o), b.subarray(o + 8, o + 8 + size)];
    o += 8 + size + (size & 1);
  }
}

function chunk(fourcc: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length + (payload.length & 1));
  for (let i = 0; i < 4; i++) out[i] = fourcc.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}

function riff(parts: Uint8Array[]): Uint8Array {
  const body = parts.reduce((s, p) => s + p.length, 4);
  const out = new Uint8Array(8 + body);
  out.set([0x52, 0x49, 0x46, 0x46]); // RIFF
  new DataView(out.buffer).setUint32(4, body, true);
  out.set([0x57, 0x45, 0x42, 0x50], 8); // WEBP
  let o = 12;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Frames (ANMF chunks) of an animated WebP. */
export function webpFrameCount(b: Uint8Array): number {
  let n = 0;
  for (const [id] of chunks(b, 12, Math.min(b.length, 8 + u32(b, 4)))) if (id === 'ANMF') n++;
  return n;
}

/** The first ANMF frame of an animated WebP (VP8X with the animation flag). */
export function firstWebpFrame(b: Uint8Array): WebpFrame {
  const end = Math.min(b.length, 8 + u32(b, 4));
  for (const [id, anmf] of chunks(b, 12, end)) {
    if (id !== 'ANMF') continue;
    if (anmf.length < 16) damaged();
    const x = u24(anmf, 0) * 2;
    const y = u24(anmf, 3) * 2;
    const width = u24(anmf, 6) + 1;
    const height = u24(anmf, 9) + 1;
    let alph: Uint8Array | null = null;
    for (const [sub, data] of chunks(anmf, 16, anmf.length)) {
      if (sub === 'ALPH') alph = data;
      else if (sub === 'VP8L') return { still: riff([chunk('VP8L', data)]), x, y, width, height, alpha: true };
      else if (sub === 'VP8 ') {
        if (!alph) return { still: riff([chunk('VP8 ', data)]), x, y, width, height, alpha: false };
        const vp8x = new Uint8Array(10);
        vp8x[0] = 0x10; // alpha flag
        vp8x.set(
          [
            (width - 1) & 255,
            ((width - 1) >> 8) & 255,
            (width - 1) >> 16,
            (height - 1) & 255,
            ((height - 1) >> 8) & 255,
            (height - 1) >> 16,
          ],
          4,
        );
        return { still: riff([chunk('VP8X', vp8x), chunk('ALPH', alph), chunk('VP8 ', data)]), x, y, width, height, alpha: true };
      }
    }
    damaged();
  }
  damaged();
}
