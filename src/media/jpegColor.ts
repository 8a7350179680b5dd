// libjpeg(-turbo)'s chroma upsampling and YCbCr → RGB, on component planes another decoder produced.
// Why: Pillow decodes JPEGs with libjpeg-turbo, whose default "fancy" upsampling interpolates the
// subsampled chroma (a triangle filter); jpeg-js replicates it (nearest). On a typical 4:2:0 photo
// that alone moves colour edges by up to ~90 levels. jpeg-js is asked for the raw Y, Cb, Cr
// (colorTransform: false) — still nearest-upsampled, from which the subsampled planes are recovered
// exactly — and this module redoes upsampling and colour conversion the libjpeg way
// (jdsample.c h2v1 / h1v2 / h2v2 fancy upsampling, jdcolor.c ycc_rgb_convert tables). What remains is
// the IDCT (jpeg-js's vs libjpeg's islow): a few levels (measured in test/media/nodeDecoder.test.ts).

export interface JpegComponent {
  id: number;
  h: number;
  v: number;
}

export interface JpegFrameInfo {
  components: JpegComponent[];
  /** APP0 "JFIF" seen. */
  jfif: boolean;
  /** APP14 "Adobe" transform flag (0 = RGB / CMYK, 1 = YCbCr, 2 = YCCK), null without the segment. */
  adobeTransform: number | null;
  /** Offset and length of the APP14 segment, to drop it (jpeg-js always converts colours when it is there). */
  adobeSegment: [number, number] | null;
}

/** Components and colour-space markers, from the segments before the first frame header. */
export function readJpegFrameInfo(b: Uint8Array): JpegFrameInfo | null {
  const info: JpegFrameInfo = { components: [], jfif: false, adobeTransform: null, adobeSegment: null };
  let o = 2;
  while (o + 4 <= b.length) {
    if (b[o] !== 0xff) return null;
    const m = b[o + 1];
    if (m === 0xff) {
      o++;
      continue;
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      o += 2;
      continue;
    }
    const len = (b[o + 2] << 8) | b[o + 3];
    const s = o + 4;
    const tag = (n: number) => String.fromCharCode(...b.subarray(s, s + n));
    if (m === 0xe0 && tag(5) === 'JFIF\0') info.jfif = true;
    if (m === 0xee && tag(5) === 'Adobe' && len >= 14) {
      info.adobeTransform = b[s + 11];
      info.adobeSegment = [o, len + 2];
    }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      const n = b[s + 5];
      for (let i = 0; i < n && s + 8 + i * 3 < b.length; i++) {
        const c = s + 6 + i * 3;
        info.components.push({ id: b[c], h: b[c + 1] >> 4, v: b[c + 1] & 15 });
      }
      return info;
    }
    if (m === 0xda || m === 0xd9) return null;
    o += 2 + len;
  }
  return null;
}

/** libjpeg's jpeg_color_space for a 3-component frame (jdapimin.c default_decompress_parms). */
export function isYCbCr(info: JpegFrameInfo): boolean {
  if (info.jfif) return true;
  if (info.adobeTransform !== null) return info.adobeTransform !== 0;
  const [a, b, c] = info.components.map((x) => x.id);
  return !(a === 0x52 && b === 0x47 && c === 0x42); // 'R','G','B' ids mean RGB; anything else YCbCr
}

/** The bytes without one segment. */
export function withoutSegment(b: Uint8Array, [at, len]: [number, number]): Uint8Array {
  const out = new Uint8Array(b.length - len);
  out.set(b.subarray(0, at), 0);
  out.set(b.subarray(at + len), at);
  return out;
}

/** One component as a full-size plane, upsampled from its nearest-replicated copy the libjpeg way. */
function upsampleComponent(full: Uint8Array, W: number, H: number, stride: number, ch: number, rx: number, ry: number): Uint8Array {
  const out = new Uint8Array(W * H);
  // The subsampled plane: libjpeg's downsampled_width = ceil(W / rx); nearest replication put sample i
  // at pixels rx·i … rx·i + rx − 1, so pixel rx·i holds it.
  const w = Math.ceil(W / rx);
  const h = Math.ceil(H / ry);
  const low = new Int32Array(w * h);
  for (let j = 0; j < h; j++) for (let i = 0; i < w; i++) low[j * w + i] = full[(j * ry * W + i * rx) * stride + ch];
  // jdsample.c jinit_upsampler: h2v1 / h2v2 are fancy when downsampled_width > 2, h1v2 always; every
  // other factor (and full-size components) is replicated, i.e. what jpeg-js already produced.
  const fancyH = rx === 2 && (ry === 1 || ry === 2) && w > 2;
  const fancyV = ry === 2 && (fancyH || rx === 1);
  if (!fancyH && !fancyV) {
    for (let p = 0; p < W * H; p++) out[p] = full[p * stride + ch];
    return out;
  }
  const row = new Int32Array(w * 2);
  for (let y = 0; y < H; y++) {
    const j = Math.floor(y / ry);
    const cur = low.subarray(j * w, j * w + w);
    if (fancyV) {
      // The nearer row counts 3×, the other neighbour (above for even rows, below for odd; the edge row
      // repeats itself at the top and bottom) 1×.
      const nj = y % 2 === 0 ? Math.max(j - 1, 0) : Math.min(j + 1, h - 1);
      const nb = low.subarray(nj * w, nj * w + w);
      for (let i = 0; i < w; i++) row[i] = cur[i] * 3 + nb[i];
      if (!fancyH) {
        // h1v2 (jdsample.c h1v2_fancy_upsample): (3·near + far + bias) >> 2, bias 1 above / 2 below.
        const bias = y % 2 === 0 ? 1 : 2;
        for (let x = 0; x < W; x++) out[y * W + x] = (row[x] + bias) >> 2;
        continue;
      }
      // h2v2: the horizontal pass on column sums, ×16 scale.
      const o = y * W;
      const put = (x: number, v: number) => {
        if (x < W) out[o + x] = v;
      };
      put(0, (row[0] * 4 + 8) >> 4);
      put(1, (row[0] * 3 + row[1] + 7) >> 4);
      for (let i = 1; i < w - 1; i++) {
        put(2 * i, (row[i] * 3 + row[i - 1] + 8) >> 4);
        put(2 * i + 1, (row[i] * 3 + row[i + 1] + 7) >> 4);
      }
      put(2 * w - 2, (row[w - 1] * 3 + row[w - 2] + 8) >> 4);
      put(2 * w - 1, (row[w - 1] * 4 + 7) >> 4);
    } else {
      // h2v1 (jdsample.c h2v1_fancy_upsample): (3·near + far + 1 or 2) >> 2, edges copied.
      const o = y * W;
      const put = (x: number, v: number) => {
        if (x < W) out[o + x] = v;
      };
      put(0, cur[0]);
      put(1, (cur[0] * 3 + cur[1] + 2) >> 2);
      for (let i = 1; i < w - 1; i++) {
        put(2 * i, (cur[i] * 3 + cur[i - 1] + 1) >> 2);
        put(2 * i + 1, (cur[i] * 3 + cur[i + 1] + 2) >> 2);
      }
      put(2 * w - 2, (cur[w - 1] * 3 + cur[w - 2] + 1) >> 2);
      put(2 * w - 1, cur[w - 1]);
    }
  }
  return out;
}

// jdcolor.c build_ycc_rgb_table: 16-bit fixed point, ONE_HALF rounding, arithmetic right shifts.
const SCALEBITS = 16;
const ONE_HALF = 1 << (SCALEBITS - 1);
const FIX = (x: number) => Math.floor(x * (1 << SCALEBITS) + 0.5);
const CR_R = new Int32Array(256);
const CB_B = new Int32Array(256);
const CR_G = new Int32Array(256);
const CB_G = new Int32Array(256);
for (let i = 0; i < 256; i++) {
  const x = i - 128;
  CR_R[i] = (FIX(1.402) * x + ONE_HALF) >> SCALEBITS;
  CB_B[i] = (FIX(1.772) * x + ONE_HALF) >> SCALEBITS;
  CR_G[i] = -FIX(0.71414) * x;
  CB_G[i] = -FIX(0.34414) * x + ONE_HALF;
}
const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * Interleaved 3-component samples at full size (chroma nearest-replicated by jpeg-js) → RGB as
 * libjpeg-turbo decodes them: fancy upsampling of 2× subsampled components, then YCbCr → RGB
 * (or none for RGB JPEGs).
 */
export function libjpegRgb(full: Uint8Array, W: number, H: number, info: JpegFrameInfo): Uint8Array {
  const hmax = Math.max(...info.components.map((c) => c.h));
  const vmax = Math.max(...info.components.map((c) => c.v));
  const planes = info.components.map((c, ch) => upsampleComponent(full, W, H, 3, ch, hmax / c.h, vmax / c.v));
  const out = new Uint8Array(W * H * 3);
  const ycc = isYCbCr(info);
  const [p0, p1, p2] = planes;
  for (let p = 0; p < W * H; p++) {
    if (!ycc) {
      out[p * 3] = p0[p];
      out[p * 3 + 1] = p1[p];
      out[p * 3 + 2] = p2[p];
      continue;
    }
    const y = p0[p];
    const cb = p1[p];
    const cr = p2[p];
    out[p * 3] = clamp(y + CR_R[cr]);
    out[p * 3 + 1] = clamp(y + ((CB_G[cb] + CR_G[cr]) >> SCALEBITS));
    out[p * 3 + 2] = clamp(y + CB_B[cb]);
  }
  return out;
}
