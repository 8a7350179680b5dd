// Arithmetic-coded JPEGs in Node, through libjpeg-turbo compiled to WebAssembly: jpeg-js and ffmpeg
// read Huffman-coded JPEGs only, while PIL and Chromium decode these with libjpeg-turbo. Its default
// decode (islow IDCT, fancy upsampling) is what PIL gets, so the pixels are PIL's exactly.
import { createRequire } from 'node:module';
import { MediaError } from './errors.ts';
import type { RawPixels } from './pixels.ts';

interface TurboDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  getDecodedBuffer(): Uint8Array;
  delete(): void;
}
interface TurboModule {
  JPEGDecoder: new () => TurboDecoder;
}

const require = createRequire(import.meta.url);
let module: Promise<TurboModule> | null = null;

/** The WebAssembly module, instantiated once per process on first use. */
function turbo(): Promise<TurboModule> {
  if (!module) {
    const factory = require('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs') as () => Promise<TurboModule>;
    module = factory();
  }
  return module;
}

/** JPEG bytes → RGB (gray replicated, as PIL's L → RGB). libjpeg errors surface as thrown numbers. */
export async function decodeJpegWithLibjpegTurbo(bytes: Uint8Array): Promise<RawPixels> {
  const m = await turbo();
  const dec = new m.JPEGDecoder();
  try {
    let info: ReturnType<TurboDecoder['getFrameInfo']>;
    let data: Uint8Array;
    try {
      dec.getEncodedBuffer(bytes.length).set(bytes);
      dec.decode();
      info = dec.getFrameInfo();
      data = dec.getDecodedBuffer();
    } catch {
      throw new MediaError('corrupt', 'libjpeg-turbo could not decode this arithmetic-coded JPEG; the file may be truncated or damaged');
    }
    const { width, height, componentCount: k } = info;
    if (k !== 1 && k !== 3) {
      throw new MediaError(
        'unsupported-format',
        `this arithmetic-coded JPEG has ${k} colour components (CMYK?); re-save it as an RGB JPEG or as PNG`,
      );
    }
    const n = width * height;
    if (data.length !== n * k)
      throw new MediaError('corrupt', `libjpeg-turbo returned ${data.length} bytes for a ${width}×${height} image`);
    const out = new Uint8Array(n * 3); // a copy: the decoded buffer lives in the module's memory
    if (k === 3) out.set(data);
    else for (let i = 0; i < n; i++) out.fill(data[i], i * 3, i * 3 + 3);
    return { data: out, width, height, channels: 3 };
  } finally {
    dec.delete();
  }
}
