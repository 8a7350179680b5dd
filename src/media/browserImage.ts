// Image bytes → RawPixels in the browser, bit-exact with what PIL hands qwen-vl-utils' `to_rgb`:
//  - createImageBitmap with colorSpaceConversion 'none' (PIL ignores ICC profiles and gAMA) and
//    premultiplyAlpha 'none';
//  - pixels read back through WebGL2 with UNPACK_PREMULTIPLY_ALPHA off. A 2D canvas would store them
//    premultiplied and round semi-transparent colours (measured: up to 224 levels off vs PIL for a
//    gray+alpha PNG); the WebGL path matched PIL exactly for RGBA, palette+tRNS, gray+alpha PNGs and
//    4:2:0 / 4:4:4 JPEGs (Chromium decodes JPEG with libjpeg-turbo, as PIL does);
//  - EXIF orientation undone: PIL does not apply it (see exif.ts), Chromium always does for JPEG and
//    PNG, even with imageOrientation 'none';
//  - 4 channels only where PIL's mode is RGBA (alpha then composited on white), as nodeImage.ts;
//  - the accepted formats (formatSupport.ts) and the size limit (decodeBudget.ts) are Node's.
import { checkDecodeBudget, DEFAULT_MAX_IMAGE_PIXELS } from './decodeBudget.ts';
import { MediaError } from './errors.ts';
import { applyOrientation, readExifOrientation } from './exif.ts';
import { checkSupportedFormat } from './formatSupport.ts';
import { readImageHeader, type ImageFormat, type ImageHeader } from './imageHeader.ts';
import type { RawPixels } from './pixels.ts';
import { animationWarning } from './animation.ts';

export { DEFAULT_MAX_IMAGE_PIXELS };

const MIME: Record<ImageFormat, string> = {
  png: 'image/png',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  tiff: 'image/tiff',
  avif: 'image/avif',
  heic: 'image/heic',
};

/** Formats Chromium's createImageBitmap decodes; the others get an 'unsupported-format' with advice. */
const BROWSER_DECODES = new Set<ImageFormat>(['png', 'jpeg', 'gif', 'webp', 'bmp', 'avif']);

/** PIL's mode is RGBA (→ composite on white) for these; everything else drops alpha (see nodeImage.ts). */
function pilKeepsAlpha(h: ImageHeader): boolean {
  switch (h.format) {
    case 'png':
      return h.png!.colorType === 6 || (h.png!.colorType === 4 && h.png!.bitDepth === 16);
    case 'webp':
      return h.alpha === true;
    case 'avif':
      return true; // opaque AVIFs decode with alpha 255, where compositing changes nothing
    default:
      return false; // GIF "P", BMP / TIFF "RGB"
  }
}

/** A PNG without its eXIf chunks, so Chromium has no orientation to apply (chunk CRCs are per chunk). */
function pngWithoutExif(b: Uint8Array): Uint8Array {
  const keep: Uint8Array[] = [b.subarray(0, 8)];
  let o = 8;
  let removed = false;
  while (o + 12 <= b.length) {
    const len = ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
    const end = Math.min(o + 12 + len, b.length);
    if (b[o + 4] === 0x65 && b[o + 5] === 0x58 && b[o + 6] === 0x49 && b[o + 7] === 0x66)
      removed = true; // "eXIf"
    else keep.push(b.subarray(o, end));
    o = end;
  }
  if (!removed) return b;
  if (o < b.length) keep.push(b.subarray(o));
  const out = new Uint8Array(keep.reduce((s, p) => s + p.length, 0));
  let w = 0;
  for (const p of keep) {
    out.set(p, w);
    w += p.length;
  }
  return out;
}

/** The orientation whose application undoes `o` (6 and 8 are each other's inverse; the rest are involutions). */
const inverseOrientation = (o: number) => (o === 6 ? 8 : o === 8 ? 6 : o);

// ── Pixel readback ───────────────────────────────────────────────────────────────────────────────
// One WebGL2 context per worker, reused: creating contexts is slow and browsers cap their number.
let gl: WebGL2RenderingContext | null = null;
let glFailed = false;

function glContext(): WebGL2RenderingContext | null {
  if (gl && !gl.isContextLost()) return gl;
  if (glFailed || typeof OffscreenCanvas === 'undefined') return null;
  const ctx = new OffscreenCanvas(1, 1).getContext('webgl2', { antialias: false, depth: false, stencil: false, premultipliedAlpha: false });
  if (!ctx) {
    glFailed = true;
    return null;
  }
  const tex = ctx.createTexture();
  ctx.bindTexture(ctx.TEXTURE_2D, tex);
  ctx.texParameteri(ctx.TEXTURE_2D, ctx.TEXTURE_MIN_FILTER, ctx.NEAREST);
  ctx.texParameteri(ctx.TEXTURE_2D, ctx.TEXTURE_MAG_FILTER, ctx.NEAREST);
  ctx.bindFramebuffer(ctx.FRAMEBUFFER, ctx.createFramebuffer());
  ctx.pixelStorei(ctx.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
  ctx.pixelStorei(ctx.UNPACK_COLORSPACE_CONVERSION_WEBGL, ctx.NONE);
  ctx.pixelStorei(ctx.UNPACK_FLIP_Y_WEBGL, false);
  ctx.pixelStorei(ctx.PACK_ALIGNMENT, 1);
  gl = ctx;
  return gl;
}

/** Uploads one bitmap as a texture and reads it back: straight (unpremultiplied) RGBA, top row first. */
function glRead(g: WebGL2RenderingContext, src: ImageBitmap, out: Uint8Array): void {
  g.texImage2D(g.TEXTURE_2D, 0, g.RGBA8, g.RGBA, g.UNSIGNED_BYTE, src);
  g.framebufferTexture2D(g.FRAMEBUFFER, g.COLOR_ATTACHMENT0, g.TEXTURE_2D, g.getParameter(g.TEXTURE_BINDING_2D), 0);
  g.readPixels(0, 0, src.width, src.height, g.RGBA, g.UNSIGNED_BYTE, out);
  const err = g.getError();
  if (err !== g.NO_ERROR) throw new Error(`WebGL error 0x${err.toString(16)} while reading pixels`);
}

/** RGBA of a bitmap, exact; bitmaps larger than the texture limit are read in tiles. */
export async function bitmapToRgba(bitmap: ImageBitmap): Promise<Uint8Array> {
  const { width: w, height: h } = bitmap;
  let out: Uint8Array;
  try {
    out = new Uint8Array(w * h * 4);
  } catch {
    throw new MediaError('too-large', `not enough memory for a ${w}×${h} image; downscale it first`);
  }
  const g = glContext();
  if (!g) return canvasRgba(bitmap, out);
  const max = Math.min(g.getParameter(g.MAX_TEXTURE_SIZE) as number, 8192);
  if (w <= max && h <= max) {
    glRead(g, bitmap, out);
    return out;
  }
  for (let y = 0; y < h; y += max) {
    for (let x = 0; x < w; x += max) {
      const tw = Math.min(max, w - x);
      const th = Math.min(max, h - y);
      const tile = await createImageBitmap(bitmap, x, y, tw, th, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
      const buf = new Uint8Array(tw * th * 4);
      try {
        glRead(g, tile, buf);
      } finally {
        tile.close();
      }
      for (let r = 0; r < th; r++) out.set(buf.subarray(r * tw * 4, (r + 1) * tw * 4), ((y + r) * w + x) * 4);
    }
  }
  return out;
}

/** Fallback without WebGL2: exact for opaque pixels; semi-transparent ones lose precision (premultiplied canvas). */
function canvasRgba(bitmap: ImageBitmap, out: Uint8Array): Uint8Array {
  const c = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = c.getContext('2d', { willReadFrequently: true });
  if (!ctx)
    throw new MediaError('unsupported-format', 'this browser offers neither WebGL2 nor a 2D canvas in workers, so images cannot be read');
  ctx.drawImage(bitmap, 0, 0);
  out.set(ctx.getImageData(0, 0, bitmap.width, bitmap.height).data);
  return out;
}

// ── Decoding ─────────────────────────────────────────────────────────────────────────────────────

/** RGB packed in place at the front of the RGBA buffer: no second full-size copy of a large image. */
function dropAlpha(rgba: Uint8Array, n: number): Uint8Array {
  for (let i = 0; i < n; i++) {
    rgba[i * 3] = rgba[i * 4];
    rgba[i * 3 + 1] = rgba[i * 4 + 1];
    rgba[i * 3 + 2] = rgba[i * 4 + 2];
  }
  return rgba.subarray(0, n * 3);
}

export interface BrowserImageOptions {
  maxImagePixels?: number;
}

/** Encoded image bytes → pixels in the reference's orientation and channel layout. */
export async function decodeImageBytes(bytes: Uint8Array, opts: BrowserImageOptions = {}): Promise<RawPixels> {
  const h = readImageHeader(bytes);
  checkSupportedFormat(h);
  checkDecodeBudget(h, opts.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS);
  if (!BROWSER_DECODES.has(h.format)) {
    throw new MediaError(
      'unsupported-format',
      `${h.format.toUpperCase()} images cannot be decoded in the browser; convert it to PNG or JPEG`,
    );
  }
  const data = h.format === 'png' ? pngWithoutExif(bytes) : bytes;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([data as Uint8Array<ArrayBuffer>], { type: MIME[h.format] }), {
      colorSpaceConversion: 'none',
      premultiplyAlpha: 'none',
      imageOrientation: 'from-image',
    });
  } catch (e) {
    throw new MediaError(
      'corrupt',
      `the browser could not decode this ${h.format.toUpperCase()} image (${(e as Error).message}); the file may be truncated or damaged`,
    );
  }
  let px: RawPixels;
  try {
    const rgba = await bitmapToRgba(bitmap);
    const n = bitmap.width * bitmap.height;
    px = pilKeepsAlpha(h)
      ? { data: rgba, width: bitmap.width, height: bitmap.height, channels: 4 }
      : { data: dropAlpha(rgba, n), width: bitmap.width, height: bitmap.height, channels: 3 };
  } finally {
    bitmap.close();
  }
  if (h.format === 'jpeg') {
    let o = readExifOrientation(bytes);
    // Undo what Chromium applied. Orientations 5–8 swap the sides: if they did not, this browser left
    // the pixels alone (2–4 cannot be told apart this way; Chromium applies them, e2e/media.spec.ts checks).
    if (o >= 5 && h.width !== h.height && px.width === h.width && px.height === h.height) o = 1;
    if (o > 1) px = applyOrientation(px, inverseOrientation(o));
  }
  if (px.width !== h.width || px.height !== h.height) {
    throw new MediaError(
      'corrupt',
      `the ${h.format.toUpperCase()} header says ${h.width}×${h.height} but the image decodes to ${px.width}×${px.height}`,
    );
  }
  // Chromium decodes an animation's first frame here, as PIL does.
  px.warning = animationWarning(bytes, h);
  return px;
}

/** A caller's ImageBitmap as it is (its orientation and alpha were decided when it was made). */
export async function pixelsFromBitmap(bitmap: ImageBitmap): Promise<RawPixels> {
  if (!(bitmap.width > 0 && bitmap.height > 0)) throw new MediaError('bad-argument', 'the ImageBitmap is empty or was closed');
  return { data: await bitmapToRgba(bitmap), width: bitmap.width, height: bitmap.height, channels: 4 };
}
