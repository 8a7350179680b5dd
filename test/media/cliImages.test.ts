// `sift rank` end to end with the built-in tiny model (issue 18 points 2 and 5): a decompression bomb
// fails only its document ('too-large') and --max-image-pixels moves the limit; an animated WebP is
// scored from its first frame and the result says so in `warnings`.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { bombPng } from './bombs.ts';
import { ffmpeg, tempDir } from './helpers.ts';
import { report } from '../helpers/report.ts';

const MODEL = 'public/models/tiny';
const tmp = tempDir();
const at = (f: string) => join(tmp.dir, f);

beforeAll(async () => {
  const r = spawnSync(process.execPath, ['scripts/prepare-tiny.mjs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prepare-tiny: ${r.stderr}`);
  writeFileSync(at('bomb.png'), await bombPng(10000, 10000));
  writeFileSync(at('small-bomb.png'), await bombPng(400, 300));
  ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=120x90:rate=5', '-frames:v', '3', at('f%d.png')]);
  ffmpeg(['-framerate', '5', '-i', at('f%d.png'), '-c:v', 'libwebp_anim', '-lossless', '1', '-loop', '0', at('anim.webp')]);
}, 120_000);
afterAll(() => tmp.cleanup());

async function rank(body: unknown, flags: string[] = []): Promise<Record<string, unknown>> {
  writeFileSync(at('request.json'), JSON.stringify(body));
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  try {
    expect(await main(['rank', '--model', MODEL, ...flags, at('request.json')])).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  return JSON.parse(chunks.join('').trim());
}

const QUERY = { text: 'A test card with coloured bars' };

describe('sift rank and images', () => {
  it('a 10000×10000 bomb fails only its document; --max-image-pixels sets the limit', async () => {
    const out = await rank({ query: QUERY, documents: [{ image: 'bomb.png' }, { image: 'f1.png' }, { image: 'small-bomb.png' }] });
    expect(out.scores).toEqual([null, expect.any(Number), expect.any(Number)]);
    expect(out.errors).toEqual([
      {
        index: 0,
        code: 'too-large',
        message: expect.stringMatching(/10000×10000 PNG image \(100 MP\) is above the decode limit of 89\.5 MP/),
      },
    ]);
    const lowered = await rank({ query: QUERY, documents: [{ image: 'small-bomb.png' }, { image: 'f1.png' }] }, [
      '--max-image-pixels',
      '100000',
    ]);
    expect(lowered.scores).toEqual([null, expect.closeTo((out.scores as number[])[1], 6)]); // batching moves the 8th digit
    expect((lowered.errors as { message: string }[])[0].message).toMatch(
      /400×300 PNG image \(120,000 pixels\) is above the decode limit of 100,000 pixels/,
    );
  });

  it('an animated WebP is scored from its first frame, with a warning saying so', async () => {
    const out = await rank({ query: QUERY, documents: [{ image: 'anim.webp' }, { image: 'f1.png' }, { image: 'f3.png' }] });
    expect(out.errors).toEqual([]);
    const [anim, first, last] = out.scores as number[];
    report(`animated ${anim}, first frame ${first}, last frame ${last}`);
    expect(Math.abs(anim - first)).toBeLessThan(1e-6); // lossless: the first frame's pixels exactly
    expect(Math.abs(anim - last)).toBeGreaterThan(1e-5); // and not the last frame's
    expect(out.warnings).toEqual([
      { index: 0, message: 'this WebP is animated (3 frames): only its first frame is scored, as the reference (PIL) does' },
    ]);
  });
});
