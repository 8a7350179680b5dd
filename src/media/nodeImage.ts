// Image bytes → RawPixels in Node, with the channel layout PIL would hand `to_rgb` (see pixels.ts):
// 4 channels only where PIL's mode is "RGBA" (alpha then composited on white), 3 everywhere else
// (alpha / transparency dropped). PNG via pngjs, JPEG via jpeg-js (arithmetic-coded ones via
// libjpeg-turbo in WebAssembly), WebP via libwebp in WebAssembly, GIF, BMP, TIFF and AVIF via ffmpeg. The accepted set is
// formatSupport.ts's, the size limit decodeBudget.ts's — both shared with the browser.
import { createRequire } from 'node:module';
import type { PNG as PngClass } from 'pngjs';
import type * as JpegJs from 'jpeg-js';
import { animationWarning } from './animation.ts';
import { checkDecodeBudget, DEFAULT_MAX_IMAGE_PIXELS } from './decodeBudget.ts';
import { withArticle } from './article.ts';
import { MediaError } from './errors.ts';
import { applyOrientation, readExifOrientation } from './exif.ts';
import { checkSupportedFormat } from './formatSupport.ts';
import { readImageHeader, type ImageHeader } from './imageHeader.ts';
import { libjpegRgb, readJpegFrameInfo, withoutSegment } from './jpegColor.ts';
import { decodeImageWithFfmpeg, decodeRawWithFfmpeg, findFfTools, type FfTools } from './nodeFfmpeg.ts';
import { decodeJpegWithLibjpegTurbo } from './nodeJpegTurbo.ts';
import type { RawPixels } from './pixels.ts';
import { decodeWebp } from './nodeWebp.ts';
import { ffmpegPixFmt, yuvToRgb } from './yuvToRgb.ts';

// Both are CommonJS; createRequire keeps them out of any browser bundle that touches this module graph.
const require = createRequire(import.meta.url);
const { PNG } = require('pngjs') as { PNG: typeof PngClass };
const jpeg = require('jpeg-js') as typeof JpegJs;

/** Default decode limit in pixels (decodeBudget.ts: PIL's DecompressionBombWarning threshold). */
export const DEFAULT_MAX_DECODE_PIXELS = DEFAULT_MAX_IMAGE_PIXELS;

export interface NodeImageOptions {
  /** Refuse images above this many pixels, from the header, before decoding (default 89,478,485). */
  maxDecodePixels?: number;
  /** 'ignore' (default) = the reference (PIL does not apply EXIF orientation); 'apply' = exif_transpose. */
  exifOrientation?: 'ignore' | 'apply';
  ffTools?: Partial<FfTools>;
}

/** Refuses an image whose header size is above the limit, before anything is allocated. */
export function checkDecodeLimit(h: ImageHeader, maxPixels = DEFAULT_MAX_DECODE_PIXELS): void {
  checkDecodeBudget(h, maxPixels);
}

/** Size after the orientation policy (5–8 swap sides when applied). */
export function orientedSize(h: ImageHeader, bytes: Uint8Array, policy: 'ignore' | 'apply' = 'ignore'): { width: number; height: number } {
  if (policy === 'apply' && h.format === 'jpeg' && readExifOrientation(bytes) >= 5) return { width: h.height, height: h.width };
  return { width: h.width, height: h.height };
}

/**
 * PNG → PIL's mode semantics (PngImagePlugin `_MODES`, then `to_rgb`):
 *  - RGBA 8/16 bit and gray+alpha 16 bit open as "RGBA" → 4 channels (composited on white later);
 *  - gray+alpha 8 bit ("LA"), palette ("P", even with tRNS), gray / RGB with tRNS → alpha dropped;
 *  - 16-bit samples keep their high byte (rawmodes "RGB;16B", "RGBA;16B", "LA;16B");
 *  - 16-bit gray opens as "I;16", whose conversion to RGB clips at 255 (Convert.c I16_RGB) instead of
 *    scaling: a mid-gray 16-bit PNG becomes white in the reference, and so here.
 * tRNS is cut out before pngjs sees it, because pngjs would blacken tRNS-matching RGB pixels.
 */
export function decodePng(bytes: Uint8Array, h: ImageHeader): RawPixels {
  const { bitDepth, colorType } = h.png!;
  let png: { width: number; height: number; data: Uint8Array | Uint16Array };
  try {
    png = PNG.sync.read(Buffer.from(withoutChunk(bytes, 'tRNS')), { skipRescale: bitDepth === 16 }) as unknown as typeof png;
  } catch (e) {
    throw new MediaError('corrupt', `cannot decode this PNG (${(e as Error).message}); the file may be truncated or damaged`);
  }
  const { width, height } = png;
  const n = width * height;
  const src = png.data; // RGBA, 8-bit (or raw 16-bit values when bitDepth is 16)
  const rgba = colorType === 6 || (colorType === 4 && bitDepth === 16);
  const channels = rgba ? 4 : 3;
  if (bitDepth !== 16) {
    // 8-bit: pngjs's RGBA buffer is the result (RGB packed in place), no second full-size copy.
    const u8 = src as Uint8Array;
    if (rgba) return { data: u8, width, height, channels };
    for (let i = 0; i < n; i++) {
      u8[i * 3] = u8[i * 4];
      u8[i * 3 + 1] = u8[i * 4 + 1];
      u8[i * 3 + 2] = u8[i * 4 + 2];
    }
    return { data: u8.subarray(0, n * 3), width, height, channels };
  }
  const out = new Uint8Array(n * channels);
  const sample = colorType === 0 ? (v: number) => (v > 255 ? 255 : v) : (v: number) => v >> 8;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) out[i * channels + c] = sample(src[i * 4 + c]);
  }
  return { data: out, width, height, channels };
}

/** The PNG with every chunk of one type removed (chunk CRCs are per chunk, so the rest stay valid). */
function withoutChunk(b: Uint8Array, type: string): Uint8Array {
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  let o = 8;
  let removed = false;
  while (o + 12 <= b.length) {
    const len = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    const end = o + 12 + len;
    const t = String.fromCharCode(b[o + 4], b[o + 5], b[o + 6], b[o + 7]);
    if (t === type) removed = true;
    else parts.push(b.subarray(o, Math.min(end, b.length)));
    o = end;
  }
  if (!removed) return b;
  if (o < b.length) parts.push(b.subarray(o));
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let w = 0;
  for (const p of parts) {
    out.set(p, w);
    w += p.length;
  }
  return out;
}

/**
 * JPEG via jpeg-js, with libjpeg's chroma upsampling and colour conversion (see jpegColor.ts), as PIL
 * decodes with libjpeg-turbo; the IDCTs still differ by a few levels (measured in nodeDecoder.test.ts).
 * Gray JPEGs come out replicated to RGB, as PIL's L → RGB. CMYK JPEGs use jpeg-js's own conversion,
 * not PIL's. Truncated data is an error (PIL raises "image file is truncated" too).
 */
export function decodeJpeg(bytes: Uint8Array, maxPixels: number, sof = 0xc0): RawPixels {
  // jpeg-js reads Huffman-coded baseline, extended and progressive frames (SOF0–2) only.
  if (sof > 0xc2) {
    const kind = sof === 0xc3 ? 'lossless' : sof >= 0xc9 ? 'arithmetic-coded' : 'hierarchical';
    throw new MediaError(
      'unsupported-format',
      `this is ${withArticle(`${kind} JPEG`)}, which Sift's Node decoder cannot read; re-save it as a standard JPEG or as PNG`,
    );
  }
  // Three components: take jpeg-js's raw samples and redo upsampling + colour conversion like libjpeg
  // (jpegColor.ts). jpeg-js converts colours whenever an Adobe segment is present, so drop that first.
  const info = readJpegFrameInfo(bytes);
  const raw = info?.components.length === 3;
  const input = raw && info.adobeSegment ? withoutSegment(bytes, info.adobeSegment) : bytes;
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(input, {
      useTArray: true,
      formatAsRGBA: false,
      colorTransform: raw ? false : undefined,
      tolerantDecoding: false,
      maxResolutionInMP: maxPixels / 1e6,
      maxMemoryUsageInMB: Math.max(512, Math.ceil((maxPixels * 8) / 2 ** 20)),
    });
  } catch (e) {
    const msg = (e as Error).message;
    if (/unsupported|only single frame/i.test(msg)) {
      throw new MediaError('unsupported-format', `cannot decode this JPEG (${msg}); re-save it as a standard RGB JPEG, or as PNG`);
    }
    throw new MediaError('corrupt', `cannot decode this JPEG (${msg}); the file may be truncated or damaged`);
  }
  const data = raw ? libjpegRgb(img.data, img.width, img.height, info) : img.data;
  return { data, width: img.width, height: img.height, channels: 3 };
}

/** Arithmetic-coded sequential / progressive frames (SOF9, SOF10), which jpeg-js cannot read. */
const isArithmeticJpeg = (sof = 0xc0) => sof === 0xc9 || sof === 0xca;

/** Image bytes → pixels, after checking the header against the format set and the decode limit. */
export async function decodeImageBytes(bytes: Uint8Array, opts: NodeImageOptions = {}): Promise<RawPixels> {
  const h = readImageHeader(bytes);
  checkSupportedFormat(h);
  const maxPixels = opts.maxDecodePixels ?? DEFAULT_MAX_DECODE_PIXELS;
  checkDecodeLimit(h, maxPixels);
  let px: RawPixels;
  switch (h.format) {
    case 'png':
      px = decodePng(bytes, h);
      break;
    case 'jpeg':
      px = isArithmeticJpeg(h.sof) ? await decodeJpegWithLibjpegTurbo(bytes) : decodeJpeg(bytes, maxPixels, h.sof);
      if (opts.exifOrientation === 'apply') px = applyOrientation(px, readExifOrientation(bytes));
      break;
    case 'webp':
      px = await decodeWebp(bytes, h);
      break;
    case 'gif':
    case 'bmp':
    case 'tiff':
    case 'avif': {
      const tools = await findFfTools(opts.ffTools);
      if (!tools) {
        throw new MediaError(
          'unsupported-format',
          `decoding ${h.format.toUpperCase()} images in Node needs ffmpeg (apt-get install ffmpeg); or convert the image to PNG or JPEG`,
        );
      }
      const pixFmt = h.format === 'avif' && h.av1 ? ffmpegPixFmt(h.av1) : null;
      if (pixFmt) {
        // ffmpeg's AV1 planes (bit-exact: AV1 decoding is deterministic), converted as Chromium does.
        const { width: w, height: hh } = h;
        const chroma =
          pixFmt === 'gray'
            ? 0
            : pixFmt === 'yuv444p'
              ? w * hh
              : pixFmt === 'yuv422p'
                ? ((w + 1) >> 1) * hh
                : ((w + 1) >> 1) * ((hh + 1) >> 1);
        const planes = await decodeRawWithFfmpeg(tools, bytes, pixFmt, w * hh + 2 * chroma);
        px = { data: yuvToRgb(planes, w, hh, h.av1!), width: w, height: hh, channels: 3 };
        break;
      }
      // GIF is PIL "P" and BMP / TIFF mostly "RGB" (alpha dropped); a 10/12-bit AVIF is converted by swscale.
      px = await decodeImageWithFfmpeg(tools, bytes, h.width, h.height, false);
      break;
    }
    default:
      throw new MediaError(
        'unsupported-format',
        `${h.format.toUpperCase()} images cannot be decoded by Sift's Node decoder; convert it to PNG or JPEG`,
      );
  }
  px.warning = animationWarning(bytes, h); // GIF / WebP: the first frame was decoded, as PIL does
  if (px.width !== h.width || px.height !== h.height) {
    if (!(opts.exifOrientation === 'apply' && px.width === h.height && px.height === h.width)) {
      throw new MediaError(
        'corrupt',
        `the ${h.format.toUpperCase()} header says ${h.width}×${h.height} but the image decodes to ${px.width}×${px.height}`,
      );
    }
  }
  return px;
}
