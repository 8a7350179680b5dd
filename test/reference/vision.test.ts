// Vision tower checks against independent routes: direct 3-D convolution, frame isolation,
// and mergers with identity weights computed by hand.
import { describe, expect, it } from 'vitest';
import { geluErf, geluTanh } from './erf.ts';
import { patchEmbed, patchMerger, referenceVision } from './vision.ts';
import { mergeOrderCoords } from './visionPos.ts';
import { maxAbsDiff, prng, randomArray, randomPatches, tinyModel } from './testModel.ts';
import { weightsFromMap } from './weights.ts';

/** Generic row-major permute of an n-D array (numpy transpose), used to cut patches like the HF processor. */
function permute(data: Float32Array, shape: number[], perm: number[]): Float32Array {
  const outShape = perm.map((p) => shape[p]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const idx = new Array(outShape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * strides[perm[k]];
    out[o] = data[src];
    for (let k = outShape.length - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
}

describe('patch embedding', () => {
  it('equals a direct Conv3d (stride = kernel) over the frames the patches were cut from', () => {
    const { cfg, w } = tinyModel();
    const { patchSize: P, temporalPatchSize: T, inChannels: C, spatialMergeSize: m, hiddenSize: Hd } = cfg.vision;
    const [gt, gh, gw] = [2, 4, 6];
    const frames = randomArray(prng(9), gt * T * C * gh * P * gw * P); // [frames, C, H, W]
    // Qwen2-VL image processor: reshape(gt, T, C, gh/m, m, P, gw/m, m, P).transpose(0,3,6,4,7,2,1,5,8)
    const patches = permute(frames, [gt, T, C, gh / m, m, P, gw / m, m, P], [0, 3, 6, 4, 7, 2, 1, 5, 8]);
    const y = patchEmbed(w, cfg, patches, gt * gh * gw);

    const W = w('model.visual.patch_embed.proj.weight'); // [Hd, C, T, P, P]
    const b = w('model.visual.patch_embed.proj.bias');
    const frame = (f: number, c: number, yy: number, xx: number) => frames[((f * C + c) * gh * P + yy) * gw * P + xx];
    const { rows, cols } = mergeOrderCoords([gt, gh, gw], m);
    let worst = 0;
    for (let n = 0; n < gt * gh * gw; n++) {
      const tg = Math.floor(n / (gh * gw));
      for (let o = 0; o < Hd; o++) {
        let acc = b[o];
        for (let c = 0; c < C; c++)
          for (let kt = 0; kt < T; kt++)
            for (let ky = 0; ky < P; ky++)
              for (let kx = 0; kx < P; kx++)
                acc += W[(((o * C + c) * T + kt) * P + ky) * P + kx] * frame(tg * T + kt, c, rows[n] * P + ky, cols[n] * P + kx);
        worst = Math.max(worst, Math.abs(acc - y[n * Hd + o]));
      }
    }
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('vision tower', () => {
  it('attends within each temporal frame only', () => {
    const { cfg, w } = tinyModel();
    const grid: [number, number, number] = [2, 4, 4];
    const K = cfg.vision.inChannels * cfg.vision.temporalPatchSize * cfg.vision.patchSize ** 2;
    const a = randomPatches(cfg, grid, 1);
    const b = a.slice();
    for (let i = 16 * K; i < b.length; i++) b[i] = -b[i] + 0.25; // change frame 2 only
    const ra = referenceVision(w, cfg, a, grid);
    const rb = referenceVision(w, cfg, b, grid);
    const H = cfg.vision.hiddenSize;
    const O = cfg.vision.outHiddenSize;
    for (let i = 0; i < cfg.vision.depth; i++) {
      expect(Array.from(rb.blockOutputs[i].subarray(0, 16 * H))).toEqual(Array.from(ra.blockOutputs[i].subarray(0, 16 * H)));
      expect(maxAbsDiff(rb.blockOutputs[i].subarray(16 * H), ra.blockOutputs[i].subarray(16 * H))).toBeGreaterThan(1e-3);
    }
    expect(Array.from(rb.embeds.subarray(0, 4 * O))).toEqual(Array.from(ra.embeds.subarray(0, 4 * O)));
    for (let j = 0; j < ra.deepstack.length; j++) {
      expect(Array.from(rb.deepstack[j].subarray(0, 4 * O))).toEqual(Array.from(ra.deepstack[j].subarray(0, 4 * O)));
    }
  });

  it('attention inside a frame is bidirectional (a late patch changes an early one)', () => {
    const { cfg, w } = tinyModel();
    const grid: [number, number, number] = [1, 4, 4];
    const K = cfg.vision.inChannels * cfg.vision.temporalPatchSize * cfg.vision.patchSize ** 2;
    const a = randomPatches(cfg, grid, 2);
    const b = a.slice();
    for (let i = 15 * K; i < 16 * K; i++) b[i] += 1;
    const H = cfg.vision.hiddenSize;
    const d = maxAbsDiff(
      referenceVision(w, cfg, a, grid).blockOutputs[0].subarray(0, H),
      referenceVision(w, cfg, b, grid).blockOutputs[0].subarray(0, H),
    );
    expect(d).toBeGreaterThan(1e-6);
  });

  it('identical frames give identical outputs (position embeddings and rotary repeat over t)', () => {
    const { cfg, w } = tinyModel();
    const one = randomPatches(cfg, [1, 4, 6], 4);
    const two = new Float32Array(one.length * 2);
    two.set(one, 0);
    two.set(one, one.length);
    const r1 = referenceVision(w, cfg, one, [1, 4, 6]);
    const r2 = referenceVision(w, cfg, two, [2, 4, 6]);
    expect(Array.from(r2.embeds)).toEqual([...r1.embeds, ...r1.embeds]);
    expect(r2.deepstack.length).toBe(cfg.vision.deepstackVisualIndexes.length);
    expect(r2.embeds.length).toBe((48 / 4) * cfg.vision.outHiddenSize);
  });

  it('an image is position-aware: permuting patches changes the result', () => {
    const { cfg, w } = tinyModel();
    const K = cfg.vision.inChannels * cfg.vision.temporalPatchSize * cfg.vision.patchSize ** 2;
    const a = randomPatches(cfg, [1, 2, 2], 5);
    const b = new Float32Array(a.length);
    for (let n = 0; n < 4; n++) b.set(a.subarray((3 - n) * K, (4 - n) * K), n * K); // reversed patches
    const ea = referenceVision(w, cfg, a, [1, 2, 2]).embeds;
    const eb = referenceVision(w, cfg, b, [1, 2, 2]).embeds;
    expect(maxAbsDiff(ea, eb)).toBeGreaterThan(1e-4);
  });
});

describe('patch mergers', () => {
  // Identity fc1/fc2 (out = 4·hidden), unit norm weights, zero biases: output = GELU(norm(x)).
  function identityMerger(prefix: string, normWidth: number, G: number) {
    const eye = new Float32Array(G * G);
    for (let i = 0; i < G; i++) eye[i * G + i] = 1;
    return new Map<string, Float32Array>([
      [`${prefix}.norm.weight`, new Float32Array(normWidth).fill(1)],
      [`${prefix}.norm.bias`, new Float32Array(normWidth)],
      [`${prefix}.linear_fc1.weight`, eye],
      [`${prefix}.linear_fc1.bias`, new Float32Array(G)],
      [`${prefix}.linear_fc2.weight`, eye],
      [`${prefix}.linear_fc2.bias`, new Float32Array(G)],
    ]);
  }
  const handLN = (v: number[]) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const varr = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
    return v.map((x) => (x - mean) / Math.sqrt(varr + 1e-6));
  };

  const { cfg: base } = tinyModel();
  const H = base.vision.hiddenSize;
  const G = 4 * H;
  const cfg = { ...base, vision: { ...base.vision, outHiddenSize: G } };
  const x = randomArray(prng(11), 8 * H, 2); // 8 patches → 2 merged rows

  it('final merger: LayerNorm per patch over hidden, group 4, exact erf GELU', () => {
    const w = weightsFromMap(identityMerger('model.visual.merger', H, G));
    const y = patchMerger(w, cfg, 'model.visual.merger', x, false);
    const expected: number[] = [];
    for (let n = 0; n < 8; n++) expected.push(...handLN(Array.from(x.subarray(n * H, (n + 1) * H))).map(geluErf));
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
    const tanhVersion: number[] = [];
    for (let n = 0; n < 8; n++) tanhVersion.push(...handLN(Array.from(x.subarray(n * H, (n + 1) * H))).map(geluTanh));
    expect(maxAbsDiff(y, tanhVersion)).toBeGreaterThan(1e-4); // the tanh GELU would be detectably wrong
  });

  it('DeepStack merger: group 4 first, LayerNorm over 4·hidden', () => {
    const prefix = 'model.visual.deepstack_merger_list.0';
    const w = weightsFromMap(identityMerger(prefix, G, G));
    const y = patchMerger(w, cfg, prefix, x, true);
    const expected: number[] = [];
    for (let r = 0; r < 2; r++) expected.push(...handLN(Array.from(x.subarray(r * G, (r + 1) * G))).map(geluErf));
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-5);
  });
});
