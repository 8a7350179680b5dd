// WebP in Node through libwebp compiled to WebAssembly (@jsquash/webp): the library PIL and Chromium
// decode WebP with, so lossy files get the same chroma upsampling and colour conversion (ffmpeg's
// VP8 decoder + swscale differed from PIL by up to 106 levels on sharp colour edges). Animated files
// decode their first frame (webpFrame.ts), drawn on a transparent canvas as PIL and Chromium do.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { MediaError } from './errors.ts';
import type { ImageHeader } from './imageHeader.ts';
import type { RawPixels } from './pixels.ts';
import { firstWebpFrame } from './webpFrame.ts';

type Decode = (buffer: ArrayBuffer) => Promise<{ data: Uint8ClampedArray; width: number; height: number }>;

const require = createRequire(import.meta.url);
let decoder: Promise<Decode> | null = null;

/** libwebp's decoder, instantiated once per process on first use (from the package's own .wasm file). */
function libwebp(): Promise<Decode> {
  decoder ??= (async () => {
    const mod = (await import('@jsquash/webp/decode.js')) as { default: Decode; init: (m: WebAssembly.Module) => Promise<void> };
    const wasm = await readFile(require.resolve('@jsquash/webp/codec/dec/webp_dec.wasm'));
    await mod.init(await WebAssembly.compile(wasm));
    return mod.default;
  })();
  return decoder;
}

async function decodeRgba(bytes: Uint8Array): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const decode = await libwebp();
  const copy = bytes.slice(); // an ArrayBuffer of exactly these bytes
  try {
    return await decode(copy.buffer);
  } catch {
    throw new MediaError('corrupt', 'libwebp could not decode this WebP image; the file may be truncated or damaged');
  }
}

/**
 * WebP → RGBA (4 channels) when the file declares alpha — PIL opens it as "RGBA" and composites —
 * else RGB (PIL "RGB"; an animation's uncovered canvas is then black, as PIL's RGBX gives).
 */
export async function decodeWebp(bytes: Uint8Array, h: ImageHeader): Promise<RawPixels> {
  const channels = h.alpha ? 4 : 3;
  const out = new Uint8Array(h.width * h.height * channels);
  let src: { data: Uint8ClampedArray; width: number; height: number };
  let x0 = 0;
  let y0 = 0;
  if (h.animated) {
    const f = firstWebpFrame(bytes);
    if (f.x + f.width > h.width || f.y + f.height > h.height) {
      throw new MediaError(
        'corrupt',
        `the first frame of this animated WebP (${f.width}×${f.height} at ${f.x},${f.y}) lies outside its ${h.width}×${h.height} canvas`,
      );
    }
    src = await decodeRgba(f.still);
    x0 = f.x;
    y0 = f.y;
  } else {
    src = await decodeRgba(bytes);
    if (src.width !== h.width || src.height !== h.height) {
      throw new MediaError('corrupt', `the WebP header says ${h.width}×${h.height} but the image decodes to ${src.width}×${src.height}`);
    }
  }
  for (let y = 0; y < src.height; y++) {
    for (let x = 0; x < src.width; x++) {
      const s = (y * src.width + x) * 4;
      const d = ((y0 + y) * h.width + x0 + x) * channels;
      for (let c = 0; c < channels; c++) out[d + c] = src.data[s + c];
    }
  }
  return { data: out, width: h.width, height: h.height, channels };
}
