// Test helpers shared by the media tests: PNG chunk surgery (hand-built PNGs in any colour type, which
// pngjs cannot write), temp dirs, ffmpeg. No media files are committed; everything is generated.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { MediaError } from '../../src/media/errors.ts';

export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  dv.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function ihdr(width: number, height: number, bitDepth: number, colorType: number): Uint8Array {
  const d = new Uint8Array(13);
  const dv = new DataView(d.buffer);
  dv.setUint32(0, width);
  dv.setUint32(4, height);
  d[8] = bitDepth;
  d[9] = colorType;
  return chunk('IHDR', d);
}

/**
 * A PNG from unfiltered scanlines (`rows[y]` = packed samples of row y, big-endian for 16 bit),
 * with optional PLTE / tRNS chunks.
 */
export function makePng(o: {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  rows: number[][];
  plte?: number[];
  trns?: number[];
}): Uint8Array {
  const raw = concat(o.rows.map((r) => Uint8Array.from([0, ...r])));
  const parts = [PNG_SIGNATURE, ihdr(o.width, o.height, o.bitDepth, o.colorType)];
  if (o.plte) parts.push(chunk('PLTE', Uint8Array.from(o.plte)));
  if (o.trns) parts.push(chunk('tRNS', Uint8Array.from(o.trns)));
  parts.push(chunk('IDAT', new Uint8Array(deflateSync(raw))), chunk('IEND', new Uint8Array(0)));
  return concat(parts);
}

export const u16 = (v: number) => [v >> 8, v & 0xff];

export function tempDir(prefix = 'sift-media-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Runs fn and returns the MediaError it throws (fails the test if it throws nothing or something else). */
export async function mediaErrorOf(fn: () => unknown): Promise<MediaError> {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof MediaError)) throw new Error(`expected a MediaError, got ${(e as Error).stack}`);
    return e;
  }
  throw new Error('expected a MediaError, nothing was thrown');
}
