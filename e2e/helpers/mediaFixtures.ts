// Media for e2e/media.spec.ts, made at test time (nothing committed): clips from ffmpeg's testsrc2,
// images from pngjs / jpeg-js / a minimal PNG writer (palette + tRNS and gray + alpha, which pngjs
// cannot write), plus ffprobe / ffmpeg reference reads of the same files.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { animatedWebpWithOffsetFrame, relabelJpegPrecision } from '../../test/media/formatFixtures.ts';

export function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg ${args.join(' ')} failed: ${r.stderr}`);
}

export function hasEncoder(name: string): boolean {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  return r.status === 0 && new RegExp(`\\s${name}\\s`).test(r.stdout);
}

export interface Probe {
  frames: number;
  fps: number;
  width: number;
  height: number;
}

/** Frame count (counted packets), average frame rate and size, as ffprobe reports them. */
export function probe(file: string): Probe {
  const r = spawnSync(
    'ffprobe',
    [
      '-v',
      'error',
      '-select_streams',
      'v:0',
      '-count_packets',
      '-show_entries',
      'stream=nb_read_packets,avg_frame_rate,width,height',
      '-of',
      'json',
      file,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  const s = JSON.parse(r.stdout).streams[0];
  const [n, d] = String(s.avg_frame_rate).split('/').map(Number);
  return { frames: Number(s.nb_read_packets), fps: n / d, width: s.width, height: s.height };
}

/**
 * Frames a seeking decoder cannot avoid: for each sampled frame, those from the key frame at or before
 * it (presentation order, key flags from ffprobe) up to it, counted once; plus the number of seeks.
 */
export function seekLowerBound(file: string, indices: number[]): { frames: number; seeks: number } {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`ffprobe ${file}: ${r.stderr}`);
  const packets = r.stdout
    .trim()
    .split('\n')
    .map((l) => ({ pts: Number(l.split(',')[0]), key: l.split(',')[1].includes('K') }));
  packets.sort((a, b) => a.pts - b.pts);
  const needed = new Set<number>();
  const keys = new Set<number>();
  for (const i of indices) {
    let k = i;
    while (k > 0 && !packets[k].key) k--;
    keys.add(k);
    for (let j = k; j <= i; j++) needed.add(j);
  }
  return { frames: needed.size, seeks: keys.size };
}

/**
 * ffmpeg's own decode of the frames with these indices, as RGB24 at the stored size — the flags
 * Sift's Node reader uses (src/media/nodeFfmpeg.ts: select by index, bilinear swscale, no autorotate).
 */
export function ffmpegFrames(
  file: string,
  p: Probe,
  indices: number[],
): { data: Uint8Array; width: number; height: number; channels: 3 }[] {
  const unique = [...new Set(indices)].sort((a, b) => a - b);
  const select = unique.map((i) => `eq(n\\,${i})`).join('+');
  const r = spawnSync(
    'ffmpeg',
    [
      '-v',
      'error',
      '-nostdin',
      '-noautorotate',
      '-i',
      file,
      '-map',
      '0:v:0',
      '-vf',
      `select='${select}'`,
      '-vsync',
      '0',
      '-sws_flags',
      'bilinear',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ],
    { maxBuffer: 1 << 30 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg decode ${file}: ${r.stderr}`);
  const size = p.width * p.height * 3;
  if (r.stdout.length !== unique.length * size) throw new Error(`ffmpeg gave ${r.stdout.length} bytes, expected ${unique.length} frames`);
  const byIndex = new Map(unique.map((idx, k) => [idx, new Uint8Array(r.stdout.subarray(k * size, (k + 1) * size))]));
  return indices.map((i) => ({ data: byIndex.get(i)!, width: p.width, height: p.height, channels: 3 as const }));
}

// ── PNG / JPEG byte surgery ─────────────────────────────────────────────────────────────────────

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(b: Uint8Array): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** A PNG of any colour type from already packed 8-bit rows, with optional PLTE / tRNS. */
export function writePng(o: {
  width: number;
  height: number;
  colorType: number;
  channels: number;
  data: Uint8Array;
  plte?: Uint8Array;
  trns?: Uint8Array;
  exif?: Uint8Array;
}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(o.width, 0);
  ihdr.writeUInt32BE(o.height, 4);
  ihdr[8] = 8;
  ihdr[9] = o.colorType;
  const stride = o.width * o.channels;
  const raw = Buffer.alloc((stride + 1) * o.height);
  for (let y = 0; y < o.height; y++) raw.set(o.data.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr)];
  if (o.exif) parts.push(chunk('eXIf', o.exif));
  if (o.plte) parts.push(chunk('PLTE', o.plte));
  if (o.trns) parts.push(chunk('tRNS', o.trns));
  parts.push(chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0)));
  return Buffer.concat(parts);
}

/** A big-endian TIFF block holding only an Orientation tag (what EXIF APP1 / PNG eXIf carry). */
export function exifOrientationTiff(orientation: number): Buffer {
  return Buffer.from([0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0]);
}

/** The JPEG with an APP1 Exif segment carrying this orientation inserted after SOI. */
export function withJpegOrientation(jpg: Uint8Array, orientation: number): Buffer {
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), exifOrientationTiff(orientation)]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpg.subarray(0, 2), head, body, jpg.subarray(2)]);
}

// ── Generated content ──────────────────────────────────────────────────────────────────────────

/** An RGBA pattern with every alpha level and colours that premultiplication would round. */
export function rgbaPattern(width: number, height: number): Uint8Array {
  const d = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      d[i] = (x * 7 + y) & 255;
      d[i + 1] = (y * 11 + (x >> 3)) & 255;
      d[i + 2] = (x * y + 31) & 255;
      d[i + 3] = (x * 13 + y * 5) & 255;
    }
  }
  return d;
}

export function encodePng(width: number, height: number, rgba: Uint8Array): Buffer {
  const png = new PNG({ width, height });
  png.data = Buffer.from(rgba);
  return PNG.sync.write(png);
}

export function encodeJpeg444(width: number, height: number, rgba: Uint8Array, quality = 90): Buffer {
  return Buffer.from(jpeg.encode({ data: Buffer.from(rgba), width, height }, quality).data);
}

export interface Fixtures {
  dir: string;
  hevc: boolean;
  hevcWhyNot?: string;
}

/** Writes all clips and images into a fresh temp dir (a few seconds of ffmpeg). */
export function makeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'sift-media-'));
  const at = (f: string) => join(dir, f);
  const src = (size: string, rate: string, seconds: number) => [
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=${rate}`,
    '-t',
    String(seconds),
  ];
  ffmpeg([...src('320x240', '25', 3), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', at('h264.mp4')]);
  ffmpeg(['-i', at('h264.mp4'), '-c', 'copy', at('h264.mov')]);
  ffmpeg(['-i', at('h264.mp4'), '-c', 'copy', at('h264.mkv')]);
  ffmpeg([
    ...src('320x240', '25', 3),
    '-c:v',
    'libvpx-vp9',
    '-pix_fmt',
    'yuv420p',
    '-deadline',
    'realtime',
    '-cpu-used',
    '8',
    '-b:v',
    '400k',
    at('vp9.webm'),
  ]);
  // 12 s at 29.97 fps, odd size (padded coded size), a key frame every 24 frames and B-frames: the
  // sampled frames sit in different GOPs, so seeking has something to skip.
  ffmpeg([...src('330x186', '30000/1001', 12), '-c:v', 'libx264', '-g', '24', '-bf', '2', '-pix_fmt', 'yuv420p', at('seek.mp4')]);
  ffmpeg([...src('320x240', '25', 3), '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-movflags', '+faststart', at('faststart.mp4')]);
  const cut = (from: string, to: string, frac: number) => {
    const b = readFileSync(at(from));
    writeFileSync(at(to), b.subarray(0, Math.floor(b.length * frac)));
  };
  cut('h264.mp4', 'truncated.mp4', 0.55); // moov is at the end: the index is gone
  cut('faststart.mp4', 'truncated-faststart.mp4', 0.55); // index intact, media data cut
  writeFileSync(at('empty.mp4'), new Uint8Array(0));
  let hevc = hasEncoder('libx265');
  let hevcWhyNot: string | undefined = hevc ? undefined : 'this ffmpeg has no libx265 encoder';
  if (hevc) {
    try {
      ffmpeg([
        ...src('320x240', '25', 1),
        '-c:v',
        'libx265',
        '-tag:v',
        'hvc1',
        '-x265-params',
        'log-level=error',
        '-pix_fmt',
        'yuv420p',
        at('hevc.mp4'),
      ]);
    } catch (e) {
      hevc = false;
      hevcWhyNot = `libx265 failed: ${(e as Error).message}`;
    }
  }
  // Frame list: 5 PNG frames.
  ffmpeg([...src('256x144', '2', 3), '-frames:v', '5', '-pix_fmt', 'rgb24', at('frame%d.png')]);

  // Images.
  const rgba = rgbaPattern(97, 61);
  writeFileSync(at('rgba.png'), encodePng(97, 61, rgba));
  writeFileSync(at('wide.png'), encodePng(9000, 64, rgbaPattern(9000, 64)));
  const opaque = rgbaPattern(120, 90).map((v, i) => (i % 4 === 3 ? 255 : v));
  const jpg = encodeJpeg444(120, 90, opaque);
  writeFileSync(at('q444.jpg'), jpg);
  writeFileSync(at('exif6.jpg'), withJpegOrientation(jpg, 6));
  writeFileSync(at('exif3.jpg'), withJpegOrientation(jpg, 3));
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=200x150', '-frames:v', '1', '-pix_fmt', 'yuvj420p', '-q:v', '3', at('q420.jpg')]);
  // Palette + tRNS (PIL "P": transparency dropped, palette colours kept) and gray + alpha ("LA": alpha dropped).
  const pw = 64;
  const ph = 40;
  const plte = new Uint8Array(256 * 3).map((_, i) => (i * 37 + (i % 3) * 91) & 255);
  const trns = new Uint8Array(256).map((_, i) => (i * 5) & 255);
  const idx = new Uint8Array(pw * ph).map((_, i) => (i * 7 + (i >> 6)) & 255);
  writeFileSync(at('palette.png'), writePng({ width: pw, height: ph, colorType: 3, channels: 1, data: idx, plte, trns }));
  const la = new Uint8Array(pw * ph * 2).map((_, i) => (i % 2 ? (i * 3) & 255 : (i * 5 + 17) & 255));
  writeFileSync(at('gray-alpha.png'), writePng({ width: pw, height: ph, colorType: 4, channels: 2, data: la }));
  const rgb = new Uint8Array(pw * ph * 3).map((_, i) => (i * 13) & 255);
  writeFileSync(at('rgb.png'), writePng({ width: pw, height: ph, colorType: 2, channels: 3, data: rgb }));
  writeFileSync(
    at('rgb-exif6.png'),
    writePng({ width: pw, height: ph, colorType: 2, channels: 3, data: rgb, exif: exifOrientationTiff(6) }),
  );
  const png = readFileSync(at('rgba.png'));
  writeFileSync(at('truncated.png'), png.subarray(0, Math.floor(png.length * 0.6)));
  writeFileSync(at('truncated.jpg'), jpg.subarray(0, Math.floor(jpg.length * 0.6)));
  writeFileSync(at('not-an-image.png'), 'hello, I am a text file\n');
  writeFileSync(at('empty.png'), new Uint8Array(0));
  makeFormatFixtures(dir);
  return { dir, hevc, hevcWhyNot };
}

/**
 * The formats Node and the browser must both accept (issue 18 point 5): AVIF, animated WebP (lossy,
 * lossless, a first frame at an offset), arithmetic-coded JPEG (committed: no encoder here writes
 * one, see test/media/data/README.md); and two both must refuse: a 12-bit JPEG, an AVIF with alpha.
 */
function makeFormatFixtures(dir: string): void {
  const at = (f: string) => join(dir, f);
  const lavfi = (size: string) => ['-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=5`];
  const avifStill = (size: string, pixFmt: string, file: string) =>
    ffmpeg([...lavfi(size), '-frames:v', '1', '-c:v', 'libaom-av1', '-still-picture', '1', '-crf', '20', '-pix_fmt', pixFmt, at(file)]);
  avifStill('120x90', 'yuv420p', 'still.avif');
  avifStill('130x86', 'yuv444p', 'still444.avif');
  ffmpeg([...lavfi('120x90'), '-frames:v', '3', at('anim-f%d.png')]);
  ffmpeg([
    '-framerate',
    '5',
    '-i',
    at('anim-f%d.png'),
    '-c:v',
    'libwebp_anim',
    '-lossless',
    '0',
    '-q:v',
    '75',
    '-loop',
    '0',
    at('anim-lossy.webp'),
  ]);
  ffmpeg(['-framerate', '5', '-i', at('anim-f%d.png'), '-c:v', 'libwebp_anim', '-lossless', '1', '-loop', '0', at('anim-lossless.webp')]);
  ffmpeg(['-framerate', '5', '-i', at('anim-f%d.png'), at('anim.gif')]);
  ffmpeg([...lavfi('40x30'), '-frames:v', '1', '-c:v', 'libwebp', '-lossless', '1', at('frame40.webp')]);
  writeFileSync(
    at('anim-offset.webp'),
    animatedWebpWithOffsetFrame(new Uint8Array(readFileSync(at('frame40.webp'))), { canvas: [100, 80], offset: [20, 10] }),
  );
  ffmpeg([...lavfi('120x90'), '-frames:v', '1', '-c:v', 'libwebp', '-q:v', '75', at('still-lossy.webp')]);
  // Paths from the repository root, Playwright's working directory.
  const data = (f: string) => readFileSync(join('test/media/data', f));
  for (const f of ['arithmetic.jpg', 'arithmetic-progressive.jpg']) writeFileSync(at(f), data(f));
  writeFileSync(at('twelve-bit.jpg'), relabelJpegPrecision(new Uint8Array(data('arithmetic-source.jpg')), 12));
  ffmpeg([...lavfi('96x64'), '-frames:v', '1', '-c:v', 'ljpeg', '-pix_fmt', 'yuvj420p', '-strict', '-1', at('lossless.jpg')]);
  const avif = readFileSync(at('still.avif'));
  writeFileSync(at('alpha.avif'), Buffer.concat([avif, Buffer.from('urn:mpeg:mpegB:cicp:systems:auxiliary:alpha')]));
}

/** Python with Pillow (the reference's image library), if this machine has it. */
export function findPil(): string | null {
  for (const py of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(py, ['-c', 'import PIL; print(PIL.__version__)'], { encoding: 'utf8' });
    if (r.status === 0) return py;
  }
  return null;
}

/** PIL's `Image.open(f).convert('RGB')` bytes, i.e. what the reference gets for a JPEG / non-RGBA image. */
export function pilRgb(py: string, file: string): { data: Uint8Array; width: number; height: number } {
  const code =
    'import sys\nfrom PIL import Image\nim = Image.open(sys.argv[1]).convert("RGB")\nsys.stdout.write(f"{im.width} {im.height}\\n")\nsys.stdout.flush()\nsys.stdout.buffer.write(im.tobytes())';
  const r = spawnSync(py, ['-c', code, file], { maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`PIL failed on ${file}: ${r.stderr}`);
  const nl = r.stdout.indexOf(10);
  const [width, height] = r.stdout.subarray(0, nl).toString().split(' ').map(Number);
  return { data: new Uint8Array(r.stdout.subarray(nl + 1)), width, height };
}
