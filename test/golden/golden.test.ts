// Golden scores of the real Qwen3-VL-Reranker-2B (the reference's golden values; README, 'Using the real model'), skipped unless the official files exist:
//   SIFT_REAL_CHECKPOINT=/path/to/Qwen3-VL-Reranker-2B  (config.json, *.safetensors, tokenizer files)
//   SIFT_GOLDEN_IMAGE=/path/to/demo.jpeg                (https://qianwen-res.oss-cn-beijing.aliyuncs.com/Qwen-VL/assets/demo.jpeg)
// fp32 weights of the 2B model (8.5 GB) do not fit wasm32's 4 GB heap, so the "full precision" run uses
// 8-bit weights with fp32 activations (±0.02, as the issue asks of fp32); the 4-bit run gets ±0.05, and
// so does the WASM format (int8 linear layers requantized from the 4-bit blocks, int8 activations per token).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { report } from '../helpers/report.ts';

const ckpt = process.env.SIFT_REAL_CHECKPOINT;
const image = process.env.SIFT_GOLDEN_IMAGE;
const ready = Boolean(ckpt && existsSync(join(ckpt, 'config.json')) && image && existsSync(image));
const GOLDEN = [0.8430634, 0.663106];

async function rank(bits: 4 | 8, linear: 'nbits' | 'int8' = 'nbits'): Promise<number[]> {
  const dir = await mkdtemp(join(tmpdir(), 'sift-golden-'));
  try {
    expect(await main(['convert', ckpt!, join(dir, 'model'), '--bits', String(bits), '--linear', linear])).toBe(0);
    const request = {
      query: { text: 'A woman playing with her dog on a beach at sunset.' },
      documents: [
        {
          text: 'A woman shares a joyful moment with her golden retriever on a sun-drenched beach at sunset, as the dog offers its paw in a heartwarming display of companionship and trust.',
        },
        { image },
      ],
    };
    await writeFile(join(dir, 'request.json'), JSON.stringify(request));
    const chunks: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
    try {
      expect(await main(['rank', '--model', join(dir, 'model'), join(dir, 'request.json')])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    const out = JSON.parse(chunks.join('').trim().split('\n').pop()!);
    expect(out.errors).toEqual([]);
    return out.scores;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe.skipIf(!ready)('golden scores of Qwen3-VL-Reranker-2B', () => {
  it('8-bit weights, fp32 activations: within ±0.02 of the reference', { timeout: 3_600_000 }, async () => {
    const scores = await rank(8);
    report('8-bit scores', scores, 'reference', GOLDEN);
    scores.forEach((s, i) => expect(Math.abs(s - GOLDEN[i])).toBeLessThan(0.02));
  });
  it('4-bit weights: within ±0.05 of the reference', { timeout: 3_600_000 }, async () => {
    const scores = await rank(4);
    report('4-bit scores', scores, 'reference', GOLDEN);
    scores.forEach((s, i) => expect(Math.abs(s - GOLDEN[i])).toBeLessThan(0.05));
  });
  it('WASM format (int8 linear layers from 4-bit blocks): within ±0.05 of the reference', { timeout: 3_600_000 }, async () => {
    const scores = await rank(4, 'int8');
    report('int8 (from 4-bit) scores', scores, 'reference', GOLDEN);
    scores.forEach((s, i) => expect(Math.abs(s - GOLDEN[i])).toBeLessThan(0.05));
  });
});
