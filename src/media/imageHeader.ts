// Image format and size from the first bytes of a file, without decoding pixels: lets Sift refuse a
// 20000×20000 PNG (1.6 GB of RGBA) before any decoder allocates it, and lets `sift prompt --expand`
// count tokens from headers alone. Environment-free.
import { MediaError } from './errors.ts';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp' | 'bmp' | 'tiff' | 'avif' | 'heic';

export interface ImageHeader {
  format: ImageFormat;
  /** Stored size (before any EXIF orientation), as PIL's `Image.open(...).size` reports it. */
  width: number;
  height: number;
  /** PNG only: IHDR bit depth and colour type, which decide PIL's mode and so the RGB conversion. */
  png?: { bitDepth: number; colorType: number };
  /** WebP: whether the file declares an alpha channel (PIL then opens it as RGBA). AVIF: whether it has an alpha plane. */
  alpha?: boolean;
  /** WebP only: an animation (VP8X animation flag); PIL and browsers decode its first frame. */
  animated?: boolean;
  /** JPEG only: the SOFn marker (0xc0 baseline, 0xc1 extended, 0xc2 progressive, 0xc3 lossless, 0xc9+ arithmetic…). */
  sof?: number;
  /** JPEG only: bits per sample (8; 12 or 16 for extended / lossless files). */
  precision?: number;
  /** AVIF only: the AV1 stream's layout (av1C) and colour signalling (colr nclx), when present. */
  av1?: AvifColour;
}

export interface AvifColour {
  bitDepth: 8 | 10 | 12;
  monochrome: boolean;
  /** Chroma subsampling: 4:2:0 = both, 4:2:2 = x only, 4:4:4 = neither. */
  subsamplingX: boolean;
  subsamplingY: boolean;
  /** ISO/IEC 23091-4 MatrixCoefficients (1 BT.709, 5/6 BT.601, 9 BT.2020, 0 identity, 2 unspecified). */
  matrix?: number;
  fullRange?: boolean;
}

const startsWith = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);
const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

/** ISO-BMFF `ftyp` brands → avif / heic (AVIF first: AVIF files also list mif1). */
function heifFamily(b: Uint8Array): 'avif' | 'heic' | null {
  if (b.length < 12 || ascii(b, 4, 4) !== 'ftyp') return null;
  const size = Math.min(readU32BE(b, 0), b.length);
  const brands: string[] = [ascii(b, 8, 4)];
  for (let o = 16; o + 4 <= size; o += 4) brands.push(ascii(b, o, 4));
  if (brands.includes('avif') || brands.includes('avis')) return 'avif';
  if (brands.some((x) => HEIF_BRANDS.has(x))) return 'heic';
  return null;
}

/** The format named by the magic bytes, or null when none matches. */
export function detectImageFormat(bytes: Uint8Array): ImageFormat | null {
  const b = bytes;
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (startsWith(b, [0xff, 0xd8, 0xff])) return 'jpeg';
  if (b.length >= 6 && (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a')) return 'gif';
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 4) === 'WEBP') return 'webp';
  if (startsWith(b, [0x42, 0x4d]) && b.length >= 14) return 'bmp';
  if (startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])) return 'tiff';
  return heifFamily(b);
}

function readU32BE(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
const readU16BE = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const readU16LE = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8);
const readU24LE = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);
const readI32LE = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);

function truncated(format: string): never {
  throw new MediaError('corrupt', `the ${format.toUpperCase()} header is truncated or damaged; the file is incomplete`);
}

function need(b: Uint8Array, n: number, format: string): void {
  if (b.length < n) truncated(format);
}

function png(b: Uint8Array): ImageHeader {
  need(b, 8 + 8 + 13, 'png');
  if (ascii(b, 12, 4) !== 'IHDR' || readU32BE(b, 8) !== 13) truncated('png');
  return { format: 'png', width: readU32BE(b, 16), height: readU32BE(b, 20), png: { bitDepth: b[24], colorType: b[25] } };
}

/** Walks JPEG marker segments up to the first SOFn (baseline, progressive, lossless, arithmetic…). */
function jpeg(b: Uint8Array): ImageHeader {
  let o = 2;
  for (;;) {
    need(b, o + 2, 'jpeg');
    if (b[o] !== 0xff) truncated('jpeg');
    const marker = b[o + 1];
    if (marker === 0xff) {
      o++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      o += 2; // TEM / RSTn carry no length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) truncated('jpeg'); // EOI or scan data before any frame header
    need(b, o + 4, 'jpeg');
    const len = readU16BE(b, o + 2);
    if (len < 2) truncated('jpeg');
    const isSof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (isSof) {
      need(b, o + 9, 'jpeg');
      const height = readU16BE(b, o + 5);
      const width = readU16BE(b, o + 7);
      if (height === 0) {
        throw new MediaError('unsupported-format', 'this JPEG gives its height only after the scan (DNL marker); re-save it');
      }
      return { format: 'jpeg', width, height, sof: marker, precision: b[o + 4] };
    }
    o += 2 + len;
  }
}

function gif(b: Uint8Array): ImageHeader {
  need(b, 10, 'gif');
  // PIL's size is the logical screen size.
  return { format: 'gif', width: readU16LE(b, 6), height: readU16LE(b, 8) };
}

function webp(b: Uint8Array): ImageHeader {
  need(b, 16, 'webp');
  const chunk = ascii(b, 12, 4);
  const d = 20; // chunk payload
  if (chunk === 'VP8X') {
    need(b, d + 10, 'webp');
    const flags = b[d];
    return {
      format: 'webp',
      width: readU24LE(b, d + 4) + 1,
      height: readU24LE(b, d + 7) + 1,
      alpha: (flags & 0x10) !== 0,
      animated: (flags & 0x02) !== 0,
    };
  }
  if (chunk === 'VP8L') {
    need(b, d + 5, 'webp');
    if (b[d] !== 0x2f) truncated('webp');
    const bits = (b[d + 1] | (b[d + 2] << 8) | (b[d + 3] << 16) | (b[d + 4] << 24)) >>> 0;
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, alpha: ((bits >>> 28) & 1) === 1 };
  }
  if (chunk === 'VP8 ') {
    need(b, d + 10, 'webp');
    if (b[d + 3] !== 0x9d || b[d + 4] !== 0x01 || b[d + 5] !== 0x2a) truncated('webp');
    return { format: 'webp', width: readU16LE(b, d + 6) & 0x3fff, height: readU16LE(b, d + 8) & 0x3fff, alpha: false };
  }
  truncated('webp');
}

function bmp(b: Uint8Array): ImageHeader {
  need(b, 18, 'bmp');
  const dib = readI32LE(b, 14);
  if (dib === 12) {
    need(b, 22, 'bmp');
    return { format: 'bmp', width: readU16LE(b, 18), height: readU16LE(b, 20) };
  }
  if (dib < 40) truncated('bmp');
  need(b, 26, 'bmp');
  // A negative height means the rows are stored top-down; the size is its magnitude.
  return { format: 'bmp', width: Math.abs(readI32LE(b, 18)), height: Math.abs(readI32LE(b, 22)) };
}

function tiff(b: Uint8Array): ImageHeader {
  const le = b[0] === 0x49;
  const u16 = (o: number) => (le ? readU16LE(b, o) : readU16BE(b, o));
  const u32 = (o: number) => (le ? readI32LE(b, o) >>> 0 : readU32BE(b, o));
  need(b, 8, 'tiff');
  const ifd = u32(4);
  need(b, ifd + 2, 'tiff');
  const count = u16(ifd);
  let width = 0;
  let height = 0;
  for (let i = 0; i < count; i++) {
    const e = ifd + 2 + i * 12;
    need(b, e + 12, 'tiff');
    const tag = u16(e);
    const type = u16(e + 2);
    const value = type === 3 ? u16(e + 8) : type === 4 ? u32(e + 8) : 0;
    if (tag === 256) width = value;
    if (tag === 257) height = value;
  }
  if (!width || !height) truncated('tiff');
  return { format: 'tiff', width, height };
}

/** HEIF/AVIF: the largest `ispe` (image spatial extent) under meta/iprp/ipco — the primary image in practice. */
function heif(b: Uint8Array, format: 'avif' | 'heic'): ImageHeader {
  let best: { width: number; height: number } | null = null;
  let av1: AvifColour | undefined;
  let nclx: { matrix: number; fullRange: boolean } | undefined;
  const walk = (start: number, end: number, depth: number): void => {
    let o = start;
    while (o + 8 <= end) {
      let size = readU32BE(b, o);
      const type = ascii(b, o + 4, 4);
      let header = 8;
      if (size === 1) {
        if (o + 16 > end) return;
        size = readU32BE(b, o + 8) * 2 ** 32 + readU32BE(b, o + 12);
        header = 16;
      } else if (size === 0) size = end - o;
      if (size < header) return;
      const boxEnd = Math.min(o + size, end);
      if (type === 'meta' && depth === 0) walk(o + header + 4, boxEnd, 1);
      else if ((type === 'iprp' && depth === 1) || (type === 'ipco' && depth === 2)) walk(o + header, boxEnd, depth + 1);
      else if (type === 'av1C' && depth === 3 && o + header + 4 <= boxEnd && !av1) {
        const f = b[o + header + 2]; // high_bitdepth, twelve_bit, monochrome, subsampling x / y
        av1 = {
          bitDepth: f & 0x40 ? (f & 0x20 ? 12 : 10) : 8,
          monochrome: (f & 0x10) !== 0,
          subsamplingX: (f & 0x08) !== 0,
          subsamplingY: (f & 0x04) !== 0,
        };
      } else if (type === 'colr' && depth === 3 && o + header + 11 <= boxEnd && ascii(b, o + header, 4) === 'nclx' && !nclx) {
        nclx = { matrix: readU16BE(b, o + header + 8), fullRange: (b[o + header + 10] & 0x80) !== 0 };
      } else if (type === 'ispe' && depth === 3 && o + header + 12 <= boxEnd) {
        const width = readU32BE(b, o + header + 4);
        const height = readU32BE(b, o + header + 8);
        if (!best || width * height > best.width * best.height) best = { width, height };
      }
      o += size;
    }
  };
  walk(0, b.length, 0);
  const found = best as { width: number; height: number } | null;
  if (!found) truncated(format);
  const h: ImageHeader = { format, width: found.width, height: found.height };
  if (format === 'avif' && hasAlphaAuxiliary(b)) h.alpha = true;
  const layout = av1 as AvifColour | undefined;
  if (format === 'avif' && layout) h.av1 = { ...layout, ...(nclx as { matrix: number; fullRange: boolean } | undefined) };
  return h;
}

/** An AVIF alpha plane is an auxiliary item whose auxC box names this URN (MIAF / AVIF spec). */
function hasAlphaAuxiliary(b: Uint8Array): boolean {
  const urn = 'urn:mpeg:mpegB:cicp:systems:auxiliary:alpha';
  const text = new TextDecoder('latin1').decode(b.subarray(0, Math.min(b.length, 1 << 16)));
  return text.includes(urn) || text.includes('urn:mpeg:hevc:2015:auxid:1');
}

function looksLikeSvg(b: Uint8Array): boolean {
  const head = new TextDecoder().decode(b.subarray(0, 1024)).trimStart().toLowerCase();
  return (head.startsWith('<?xml') || head.startsWith('<svg') || head.startsWith('<!--')) && head.includes('<svg');
}

/**
 * Format and stored size from the header. Throws MediaError: 'empty' (zero bytes), 'not-an-image'
 * (no known signature, e.g. a text file renamed .jpg), 'unsupported-format' (SVG), 'corrupt' (a known
 * signature with a truncated or invalid header, or a zero side).
 */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (bytes.length === 0) throw new MediaError('empty', 'the image file is empty (0 bytes)');
  const format = detectImageFormat(bytes);
  if (!format) {
    if (looksLikeSvg(bytes)) {
      throw new MediaError('unsupported-format', 'SVG images are not supported (the reference cannot open them either); convert it to PNG');
    }
    throw new MediaError(
      'not-an-image',
      'this is not an image: no PNG, JPEG, GIF, WebP, BMP, TIFF, AVIF or HEIC signature at the start of the file',
    );
  }
  let h: ImageHeader;
  switch (format) {
    case 'png':
      h = png(bytes);
      break;
    case 'jpeg':
      h = jpeg(bytes);
      break;
    case 'gif':
      h = gif(bytes);
      break;
    case 'webp':
      h = webp(bytes);
      break;
    case 'bmp':
      h = bmp(bytes);
      break;
    case 'tiff':
      h = tiff(bytes);
      break;
    default:
      h = heif(bytes, format);
  }
  if (!(h.width > 0 && h.height > 0)) {
    throw new MediaError('corrupt', `the ${format.toUpperCase()} header gives an impossible size ${h.width}×${h.height}`);
  }
  return h;
}
