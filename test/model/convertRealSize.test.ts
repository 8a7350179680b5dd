// `sift convert` at the real Qwen3-VL-Reranker-2B token-table size (151,936 × 2048), on a generated
// checkpoint with one decoder layer: the table is larger than a 256 MB shard at 8 bits (311 MB) and at
// fp32 (1.24 GB). Both conversions must succeed with the default shard limit, keep every file within
// it, and load through the CLI's loader with the table's rows as converted.
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTinyCheckpoint } from '../../src/cli/tiny.ts';
import { main } from '../../src/cli/main.ts';
import * as ort from 'onnxruntime-web';
import { loadModel } from '../../src/engine/session.ts';
import { parseManifest } from '../../src/model/manifest.ts';
import { NodeDirLocation } from '../../src/model/checkpoint/nodeFiles.ts';
import { openCheckpoint, type Checkpoint } from '../../src/model/checkpoint/open.ts';
import { textNames } from '../../src/model/names.ts';
import { Scorer } from '../../src/engine/scorer.ts';
import { report } from '../helpers/report.ts';

const SHARD_LIMIT = 256 * 1024 * 1024; // sift convert's default --shard-mb
const VOCAB = 151936;
const HIDDEN = 2048;
const IDS = [0, 1, 9693, 2152, 32766, 32767, 75000, 113358, 113359, 151935]; // around part boundaries too

let dir: string;
let ckpt: Checkpoint;

beforeAll(async () => {
  // ≈ 35 s of CPU for the whole file (generating, converting twice, loading): generous limits for a busy machine.
  dir = await mkdtemp(join(tmpdir(), 'sift-real-size-'));
  // The real table; everything else small (one text layer of width 2048, the tiny vision tower).
  await writeTinyCheckpoint(join(dir, 'ckpt'), {
    seed: 11,
    textHidden: HIDDEN,
    textIntermediate: 256,
    textLayers: 1,
    textHeads: 2,
    textKvHeads: 1,
    headDim: 64,
    visionDepth: 1,
  });
  ckpt = await openCheckpoint(new NodeDirLocation(join(dir, 'ckpt')));
  expect(ckpt.tensors.get(textNames.embed)!.shape).toEqual([VOCAB, HIDDEN]);
});

afterAll(async () => {
  await ckpt?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Converts with the CLI (default shard limit), silencing its JSON line and progress. */
async function convert(bits: 8 | 32): Promise<string> {
  const out = join(dir, `out-${bits}`);
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    expect(await main(['convert', join(dir, 'ckpt'), out, '--bits', String(bits), '--linear', 'nbits'])).toBe(0);
  } finally {
    process.stdout.write = write;
  }
  return out;
}

async function checkConversion(bits: 8 | 32, parts: number) {
  const started = performance.now();
  const out = await convert(bits);
  const converted = performance.now();
  try {
    // As the CLI loads a model directory (src/cli/nodeModel.ts), without the tokenizer.
    const manifest = parseManifest(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')));
    const model = await loadModel(ort, manifest, async (file) => new Uint8Array(await readFile(join(out, file))));
    report(
      `--bits ${bits}: converted in ${((converted - started) / 1000).toFixed(1)} s, loaded in ${((performance.now() - converted) / 1000).toFixed(1)} s`,
    );
    try {
      // Every listed file exists at its size and is within the shard limit; the table is in row parts.
      for (const s of manifest.shards) {
        expect((await stat(join(out, s.file))).size, s.file).toBe(s.bytes);
        expect(s.bytes, s.file).toBeLessThanOrEqual(SHARD_LIMIT);
      }
      expect((await readdir(out)).sort()).toEqual([...manifest.shards.map((s) => s.file), 'manifest.json'].sort());
      expect(manifest.embedding.bits).toBe(bits);
      expect(manifest.embedding.parts!.length).toBe(parts);
      expect(manifest.embedding.parts!.reduce((s, p) => s + p.rows, 0)).toBe(VOCAB);
      // Rows on both sides of a part boundary, as converted: exact at fp32, within half a step at 8 bits.
      const got = model.embedding.rowsOf(IDS);
      for (const [i, id] of IDS.entries()) {
        const exact = await ckpt.readRows(textNames.embed, id, 1);
        const row = got.subarray(i * HIDDEN, (i + 1) * HIDDEN);
        if (bits === 32)
          expect(Buffer.from(row.slice().buffer).equals(Buffer.from(exact.buffer, exact.byteOffset, exact.byteLength)), `row ${id}`).toBe(
            true,
          );
        else {
          const range = Math.max(...exact) - Math.min(0, ...exact);
          expect(Math.max(...row.map((v, k) => Math.abs(v - exact[k]))), `row ${id}`).toBeLessThanOrEqual(range / 255);
        }
      }
      const [r] = await new Scorer(model).score(null, [{ ids: IDS, images: [], videos: [] }], { reusePrefix: false });
      expect(r.score).toBeGreaterThan(0);
      expect(r.score).toBeLessThan(1);
    } finally {
      await model.release();
    }
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

describe('sift convert at the real table size', () => {
  it('--bits 8: the 311 MB table is split into two parts within the 256 MB shard limit', async () => {
    await checkConversion(8, 2);
  }, 300_000);

  it('--bits 32: the 1.24 GB fp32 table is split into five parts, every row exact', async () => {
    await checkConversion(32, 5);
  }, 300_000);
});
