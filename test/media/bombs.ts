// Decompression bombs made at test time: a PNG whose header declares width×height and whose IDAT
// really inflates to that many (black) pixels, while the file stays small (10000×10000 RGB: ~290 KB).
import { createDeflate } from 'node:zlib';
import { chunk, concat, ihdr, PNG_SIGNATURE } from './helpers.ts';

export async function bombPng(width: number, height: number, colorType: 2 | 6 = 2): Promise<Uint8Array> {
  const row = new Uint8Array(1 + width * (colorType === 6 ? 4 : 3)); // filter byte 0, then zeros
  const deflate = createDeflate({ level: 9 });
  const parts: Uint8Array[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise<void>((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await done;
  return concat([PNG_SIGNATURE, ihdr(width, height, 8, colorType), chunk('IDAT', concat(parts)), chunk('IEND', new Uint8Array(0))]);
}
