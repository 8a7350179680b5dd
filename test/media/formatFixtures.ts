// Byte-level image fixtures for the format tests (Node and e2e): an animated WebP built around a
// still frame at an offset, a JPEG relabelled to another sample precision, a WebP's chunk list.

const ascii = (b: Uint8Array, at: number) => String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3]);
const u32 = (b: Uint8Array, o: number) => (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24)) >>> 0;

/** Top-level chunk ids of a WebP file, plus the ids inside each ANMF. */
export function webpChunks(b: Uint8Array): string[] {
  const out: string[] = [];
  for (let o = 12; o + 8 <= b.length;) {
    const size = u32(b, o + 4);
    out.push(ascii(b, o));
    o += 8 + size + (size & 1);
  }
  return out;
}

function chunk(id: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + payload.length + (payload.length & 1));
  for (let i = 0; i < 4; i++) out[i] = id.charCodeAt(i);
  new DataView(out.buffer).setUint32(4, payload.length, true);
  out.set(payload, 8);
  return out;
}

const u24 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255];

/**
 * A one-frame animated WebP (VP8X with the animation and alpha flags, ANIM, one ANMF) whose frame is
 * the image data of a still lossless WebP (its VP8L chunk), drawn at `offset` on a larger canvas.
 */
export function animatedWebpWithOffsetFrame(still: Uint8Array, o: { canvas: [number, number]; offset: [number, number] }): Uint8Array {
  const vp8l = webpChunks(still)[0] === 'VP8L' ? still.subarray(12) : null;
  if (!vp8l) throw new Error('expected a simple lossless WebP (one VP8L chunk)');
  const frameW = ((vp8l[9] | (vp8l[10] << 8)) & 0x3fff) + 1;
  const frameH = (((vp8l[10] | (vp8l[11] << 8) | (vp8l[12] << 16)) >> 6) & 0x3fff) + 1;
  const [cw, ch] = o.canvas;
  const vp8x = Uint8Array.from([0x12, 0, 0, 0, ...u24(cw - 1), ...u24(ch - 1)]); // alpha + animation
  const anim = Uint8Array.from([0, 0, 0, 0, 0, 0]); // background, loop count
  const anmf = Uint8Array.from([
    ...u24(o.offset[0] / 2),
    ...u24(o.offset[1] / 2),
    ...u24(frameW - 1),
    ...u24(frameH - 1),
    ...u24(100),
    0,
    ...vp8l,
  ]);
  const body = [chunk('VP8X', vp8x), chunk('ANIM', anim), chunk('ANMF', anmf)];
  const size = body.reduce((s, p) => s + p.length, 4);
  const out = new Uint8Array(8 + size);
  out.set([0x52, 0x49, 0x46, 0x46]);
  new DataView(out.buffer).setUint32(4, size, true);
  out.set([0x57, 0x45, 0x42, 0x50], 8);
  let at = 12;
  for (const p of body) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The JPEG with its frame header relabelled: SOF1 (extended sequential) at `bits` per sample. */
export function relabelJpegPrecision(jpg: Uint8Array, bits: number): Uint8Array {
  const out = jpg.slice();
  const sof = out.findIndex((v, i) => v === 0xff && (out[i + 1] === 0xc0 || out[i + 1] === 0xc1));
  if (sof < 0) throw new Error('no SOF0/SOF1 marker');
  out[sof + 1] = 0xc1;
  out[sof + 4] = bits;
  return out;
}
