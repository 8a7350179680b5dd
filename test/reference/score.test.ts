// Whole-pipeline checks: scatter order of image/video rows and DeepStack rows, the yes−no logit.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { assembleInputs, referenceScore } from './score.ts';
import { referenceVision } from './vision.ts';
import { IDS, prng, randomPatches, tinyModel } from './testModel.ts';
import { report } from '../helpers/report.ts';

const { image: I, video: V, visionStart: VS, visionEnd: VE, yes, no } = IDS;

describe('referenceScore', () => {
  it('text only: logit = h_last · (E[yes] − E[no]) with tied embeddings; swapping yes/no flips the score', () => {
    const { cfg, w } = tinyModel();
    const rand = prng(31);
    const ids = Array.from({ length: 15 }, () => 20 + Math.floor(rand() * 150));
    const r = referenceScore(w, cfg, { inputIds: ids, images: [], videos: [], yesId: yes, noId: no });
    const H = cfg.text.hiddenSize;
    const E = w('model.language_model.embed_tokens.weight');
    let logit = 0;
    for (let c = 0; c < H; c++) logit += r.lastHidden[14 * H + c] * (E[yes * H + c] - E[no * H + c]);
    expect(r.logit).toBeCloseTo(logit, 10);
    expect(r.score).toBeCloseTo(1 / (1 + Math.exp(-logit)), 12);
    const flipped = referenceScore(w, cfg, { inputIds: ids, images: [], videos: [], yesId: no, noId: yes });
    expect(flipped.score).toBeCloseTo(1 - r.score, 12);
  });

  it('untied: uses lm_head.weight', () => {
    const { cfg, w } = tinyModel({ tie: false });
    const ids = [30, 31, 32, 33];
    const r = referenceScore(w, cfg, { inputIds: ids, images: [], videos: [], yesId: yes, noId: no });
    const Wh = w('lm_head.weight');
    const H = cfg.text.hiddenSize;
    let logit = 0;
    for (let c = 0; c < H; c++) logit += r.lastHidden[3 * H + c] * (Wh[yes * H + c] - Wh[no * H + c]);
    expect(r.logit).toBeCloseTo(logit, 10);
  });

  it('scatters video and image rows into their pads in order, DeepStack rows in visual-position order', () => {
    const { cfg, w } = tinyModel();
    const H = cfg.text.hiddenSize;
    // video [2, 2, 4] → 2 groups × 2 pads; image [1, 4, 4] → 4 pads; the video comes first.
    const video = { patches: randomPatches(cfg, [2, 2, 4], 41), grid: [2, 2, 4] as [number, number, number] };
    const image = { patches: randomPatches(cfg, [1, 4, 4], 42), grid: [1, 4, 4] as [number, number, number] };
    const ids = [50, 51, VS, V, V, VE, 52, VS, V, V, VE, 53, VS, I, I, I, I, VE, 54];
    const input = { inputIds: ids, images: [image], videos: [video], yesId: yes, noId: no };
    const a = assembleInputs(w, cfg, input);
    const rv = referenceVision(w, cfg, video.patches, video.grid);
    const ri = referenceVision(w, cfg, image.patches, image.grid);
    const videoPos = [3, 4, 8, 9];
    const imagePos = [13, 14, 15, 16];
    const row = (x: Float32Array, r: number) => Array.from(x.subarray(r * H, (r + 1) * H));
    videoPos.forEach((s, k) => expect(row(a.embeds, s)).toEqual(row(rv.embeds, k)));
    imagePos.forEach((s, k) => expect(row(a.embeds, s)).toEqual(row(ri.embeds, k)));
    expect(row(a.embeds, 0)).toEqual(row(w('model.language_model.embed_tokens.weight'), 50));
    expect(a.visualMask!.map((m, s) => (m ? s : -1)).filter((s) => s >= 0)).toEqual([...videoPos, ...imagePos]);
    for (let j = 0; j < cfg.vision.deepstackVisualIndexes.length; j++) {
      for (let k = 0; k < 4; k++) expect(row(a.deepstack[j], k)).toEqual(row(rv.deepstack[j], k));
      for (let k = 0; k < 4; k++) expect(row(a.deepstack[j], 4 + k)).toEqual(row(ri.deepstack[j], k));
    }
    expect(Array.from(a.positions[2].subarray(12, 19))).toEqual([12, 13, 14, 13, 14, 15, 16]);
    const r = referenceScore(w, cfg, input);
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThan(1);
  });

  it('rejects a pad count that does not match the grids', () => {
    const { cfg, w } = tinyModel();
    const image = { patches: randomPatches(cfg, [1, 4, 4], 43), grid: [1, 4, 4] as [number, number, number] };
    expect(() => referenceScore(w, cfg, { inputIds: [VS, I, I, VE], images: [image], videos: [], yesId: yes, noId: no })).toThrow();
  });

  it('runs a ~300-token prompt with a 256-patch image in a few seconds', () => {
    const { cfg, w } = tinyModel();
    const rand = prng(44);
    const image = { patches: randomPatches(cfg, [1, 16, 16], 45), grid: [1, 16, 16] as [number, number, number] };
    const text = (n: number) => Array.from({ length: n }, () => 20 + Math.floor(rand() * 150));
    const ids = [...text(100), VS, ...new Array(64).fill(I), VE, ...text(134)];
    const t0 = performance.now();
    const r = referenceScore(w, cfg, { inputIds: ids, images: [image], videos: [], yesId: yes, noId: no });
    const ms = performance.now() - t0;
    report(`referenceScore: ${ids.length} tokens (64 image pads, 256 patches) in ${ms.toFixed(0)} ms`);
    expect(Number.isFinite(r.logit)).toBe(true);
    expect(ms).toBeLessThan(10_000);

    const textIds = text(300);
    const t1 = performance.now();
    referenceScore(w, cfg, { inputIds: textIds, images: [], videos: [], yesId: yes, noId: no });
    report(`referenceScore: 300 text tokens in ${(performance.now() - t1).toFixed(0)} ms`);
  });

  it('handles a ~1000-patch image in a few seconds', () => {
    const { cfg, w } = tinyModel();
    const image = { patches: randomPatches(cfg, [1, 32, 32], 46), grid: [1, 32, 32] as [number, number, number] };
    const t0 = performance.now();
    const r = referenceVision(w, cfg, image.patches, image.grid);
    const ms = performance.now() - t0;
    report(`referenceVision: 1024 patches in ${ms.toFixed(0)} ms`);
    expect(r.embeds.length).toBe(256 * cfg.vision.outHiddenSize);
    expect(ms).toBeLessThan(10_000);
  });

  const haveTiny = ['../../src/model/tiny.ts', '../../src/model/checkpoint/open.ts', '../../src/model/checkpoint/locations.ts'].every((f) =>
    existsSync(new URL(f, import.meta.url)),
  );
  it.skipIf(!haveTiny)('smoke: the generated tiny checkpoint (bf16 safetensors) — and every tensor in it is used', async () => {
    const { makeTinyCheckpoint, planTinyCheckpoint } = await import('../../src/model/tiny.ts');
    const { openCheckpoint } = await import('../../src/model/checkpoint/open.ts');
    const { MapLocation } = await import('../../src/model/checkpoint/locations.ts');
    const ckpt = await openCheckpoint(new MapLocation(makeTinyCheckpoint({ seed: 7 })));
    const { yesId, noId } = planTinyCheckpoint({ seed: 7 });
    const cfg = ckpt.config;
    const tensors = new Map<string, Float32Array>();
    for (const name of ckpt.tensors.keys()) tensors.set(name, await ckpt.readTensor(name));
    await ckpt.close();
    const used = new Set<string>();
    const w = (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`tiny checkpoint has no tensor ${name}`);
      used.add(name);
      return t;
    };
    const { imageTokenId: IMG, visionStartTokenId: S0, visionEndTokenId: S1 } = cfg;
    const image = { patches: randomPatches(cfg, [1, 4, 8], 51), grid: [1, 4, 8] as [number, number, number] };
    const ids = [100, 200, 300, S0, ...new Array(8).fill(IMG), S1, 400, 500, 600];
    const r = referenceScore(w, cfg, { inputIds: ids, images: [image], videos: [], yesId, noId });
    expect(Number.isFinite(r.logit)).toBe(true);
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThan(1);
    expect(r.layerOutputs.length).toBe(cfg.text.numLayers);
    // The reference spells every name itself; the checkpoint (official layout) must hold exactly those.
    const unused = [...tensors.keys()].filter((n) => !used.has(n) && !(n === 'lm_head.weight' && cfg.text.tieWordEmbeddings));
    expect(unused).toEqual([]);
  });
});
