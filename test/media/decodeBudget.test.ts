// Issue 18 point 2: a decompression bomb within the byte limits (290 KB declaring 10000×10000) is
// refused from its header, in milliseconds and without allocating its pixels; images up to the
// limit decode as before; the limit is configurable.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDecodeBudget, DEFAULT_MAX_IMAGE_PIXELS } from '../../src/media/decodeBudget.ts';
import { readImageHeader } from '../../src/media/imageHeader.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { decodeImageBytes } from '../../src/media/nodeImage.ts';
import { bombPng } from './bombs.ts';
import { mediaErrorOf, tempDir } from './helpers.ts';
import { report } from '../helpers/report.ts';

const tmp = tempDir();
let bomb: Uint8Array;

beforeAll(async () => {
  bomb = await bombPng(10000, 10000);
  writeFileSync(join(tmp.dir, 'bomb.png'), bomb);
}, 60_000);
afterAll(() => tmp.cleanup());

describe('decode budget', () => {
  it("the default is PIL's decompression-bomb threshold (Image.MAX_IMAGE_PIXELS)", () => {
    expect(DEFAULT_MAX_IMAGE_PIXELS).toBe(Math.floor((1024 * 1024 * 1024) / 4 / 3));
  });

  it('refuses a 290 KB PNG that inflates to 10000×10000, from its header, fast and without allocating it', async () => {
    expect(bomb.length).toBeLessThan(400_000);
    const d = nodeMediaDecoder(tmp.dir);
    const rss0 = process.memoryUsage().rss;
    const t0 = performance.now();
    const e = await mediaErrorOf(() => d.image({ type: 'image', image: 'bomb.png', min_pixels: 4096, max_pixels: 1_843_200 }));
    const ms = performance.now() - t0;
    const grewMb = (process.memoryUsage().rss - rss0) / 2 ** 20;
    report(`bomb refused in ${ms.toFixed(1)} ms, RSS +${grewMb.toFixed(1)} MB: ${e.message}`);
    expect(e.code).toBe('too-large');
    expect(e.message).toMatch(
      /^bomb\.png: a 10000×10000 PNG image \(100 MP\) is above the decode limit of 89\.5 MP: decoding it would take about 1\.0 GB of memory/,
    );
    expect(e.message).toMatch(/downscale it first/);
    expect(e.message).toMatch(/--max-image-pixels/);
    expect(ms).toBeLessThan(1000);
    expect(grewMb).toBeLessThan(100); // the pixels alone would be 300 MB
    // `sift prompt --expand` sizes images from headers: it refuses the same file the same way.
    expect((await mediaErrorOf(() => d.measure({ type: 'image', image: 'bomb.png', min_pixels: 4096, max_pixels: 1_843_200 }))).code).toBe(
      'too-large',
    );
  });

  it('decodes up to the limit, exactly at it, and the limit is configurable', async () => {
    const small = await bombPng(300, 200);
    const h = readImageHeader(small);
    expect(() => checkDecodeBudget(h, 60_000)).not.toThrow(); // exactly at the limit
    expect((await mediaErrorOf(() => checkDecodeBudget(h, 59_999))).code).toBe('too-large');
    const px = await decodeImageBytes(small, { maxDecodePixels: 60_000 });
    expect([px.width, px.height, px.channels]).toEqual([300, 200, 3]);
    expect(px.data.every((v) => v === 0)).toBe(true);
    expect((await mediaErrorOf(() => decodeImageBytes(small, { maxDecodePixels: 59_999 }))).code).toBe('too-large');
    expect((await mediaErrorOf(() => checkDecodeBudget(h, 100))).message).toMatch(
      /300×200 PNG image \(60,000 pixels\) is above the decode limit of 100 pixels: decoding it would take about 1 MB/,
    );
  });
});
