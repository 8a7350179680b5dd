// Bad (and barely good) media for e2e/badInput.spec.ts and test/cli/badInput.test.ts, made at test time:
// nothing binary is committed. Images come from pngjs / jpeg-js, clips from ffmpeg's testsrc2; the
// broken ones are cut or overwritten copies of good ones.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { encodeJpeg, encodePng, patternImage, toRgba } from './fixtures.ts';

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function pngChunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let c = 0xffffffff;
  for (const x of body) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((c ^ 0xffffffff) >>> 0, 8 + data.length);
  return out;
}

/**
 * A PNG whose IHDR says width×height (RGB, 8 bit) with one tiny IDAT: a few hundred bytes claiming
 * gigabytes of pixels. Only a decoder that checks the header first refuses it cheaply.
 */
export function hugePngHeader(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([
    sig,
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', deflateSync(Buffer.alloc(1024))),
    pngChunk('IEND', new Uint8Array(0)),
  ]);
}

const png = (w: number, h: number) => Buffer.from(encodePng(w, h, toRgba(patternImage(w, h))));

export interface BadMedia {
  dir: string;
  /** File name → bytes, for the tests that hand files to the page. */
  read(name: string): Buffer;
}

/** Writes every fixture into a fresh temp directory (≈1 s of ffmpeg). */
export function makeBadMedia(): BadMedia {
  const dir = mkdtempSync(join(tmpdir(), 'sift-bad-input-'));
  const at = (f: string) => join(dir, f);
  const put = (f: string, b: Uint8Array | string) => writeFileSync(at(f), b);
  put('good.png', png(96, 64));
  put('one-pixel.png', png(1, 1));
  put('ratio-200.png', png(400, 2));
  put('ratio-201.png', png(402, 2));
  put('huge-20000.png', hugePngHeader(20000, 20000));
  put('empty.jpg', new Uint8Array(0));
  put('text.jpg', 'This is a plain text file that someone renamed to .jpg\n');
  const jpg = Buffer.from(encodeJpeg(120, 90, toRgba(patternImage(120, 90)), 90));
  put('good.jpg', jpg);
  put('truncated.jpg', jpg.subarray(0, Math.floor(jpg.length * 0.6)));
  // The quantisation / Huffman tables overwritten: no decoder can make pixels of what follows.
  const badJpg = Buffer.from(jpg);
  badJpg.fill(0xff, 20, 400);
  put('corrupt.jpg', badJpg);
  const goodPng = png(96, 64);
  put('truncated.png', goodPng.subarray(0, Math.floor(goodPng.length * 0.6)));
  // The compressed pixel data overwritten (IDAT starts after the 33-byte signature + IHDR).
  const badPng = Buffer.from(goodPng);
  badPng.fill(0xa5, 60, Math.min(badPng.length - 20, 400));
  put('corrupt.png', badPng);

  const src = ['-f', 'lavfi', '-i', 'testsrc2=size=160x128:rate=10:duration=2'];
  const ff = (args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...src, ...args]);
  ff(['-c:v', 'libx264', '-pix_fmt', 'yuv420p', at('clip.mp4')]);
  ff(['-c:v', 'libvpx-vp9', '-pix_fmt', 'yuv420p', '-b:v', '300k', at('clip.webm')]);
  ff(['-frames:v', '1', '-c:v', 'libx264', '-pix_fmt', 'yuv420p', at('one-frame.mp4')]);
  ff(['-c:v', 'libx265', '-tag:v', 'hvc1', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p', at('hevc.mp4')]);
  const mp4 = readFileSync(at('clip.mp4'));
  put('truncated.mp4', mp4.subarray(0, Math.floor(mp4.length * 0.55))); // the index (moov) is at the end
  put('empty.mp4', new Uint8Array(0));
  // The WebM's first cluster (its key frame) overwritten: the container reads, the frames do not.
  const webm = Buffer.from(readFileSync(at('clip.webm')));
  const cluster = webm.indexOf(Buffer.from([0x1f, 0x43, 0xb6, 0x75]));
  webm.fill(0x33, cluster + 40, cluster + 40 + Math.min(3000, webm.length - cluster - 60));
  put('corrupt.webm', webm);
  return { dir, read: (name) => readFileSync(at(name)) };
}
