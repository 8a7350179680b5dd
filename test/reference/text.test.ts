// Decoder checks by independent routes: a one-token layer computed by hand, causality, RoPE's
// shift invariance, the repeat_kv head mapping, and the DeepStack add.
import { describe, expect, it } from 'vitest';
import { referenceText } from './text.ts';
import { maxAbsDiff, prng, randomArray, tinyModel } from './testModel.ts';
import { weightsFromMap } from './weights.ts';

const arange = (S: number, shift = 0): [Int32Array, Int32Array, Int32Array] => {
  const p = Int32Array.from({ length: S }, (_, i) => i + shift);
  return [p, p.slice(), p.slice()];
};

describe('decoder', () => {
  it('with one token, attention is the v projection path (hand-written layer)', () => {
    const { cfg, w } = tinyModel({ textLayers: 1 });
    const t = cfg.text;
    const H = t.hiddenSize;
    const D = t.headDim;
    const x = randomArray(prng(21), H, 1);
    const out = referenceText(w, cfg, x, arange(1, 17), null, []).layerOutputs[0];

    const mv = (W: Float32Array, v: number[], rows: number) =>
      Array.from({ length: rows }, (_, r) => v.reduce((a, vi, i) => a + W[r * v.length + i] * vi, 0));
    const rms = (v: number[], g: Float32Array) => {
      const s = Math.sqrt(v.reduce((a, b) => a + b * b, 0) / v.length + t.rmsNormEps);
      return v.map((vi, i) => (vi / s) * g[i]);
    };
    const p = 'model.language_model.layers.0';
    const xn = rms(Array.from(x), w(`${p}.input_layernorm.weight`));
    const v = mv(w(`${p}.self_attn.v_proj.weight`), xn, t.numKvHeads * D);
    // softmax over a single key is 1, so every query head outputs its kv head's v (repeat_kv).
    const heads: number[] = [];
    for (let h = 0; h < t.numHeads; h++) {
      const kv = Math.floor(h / (t.numHeads / t.numKvHeads));
      heads.push(...v.slice(kv * D, (kv + 1) * D));
    }
    const h1 = mv(w(`${p}.self_attn.o_proj.weight`), heads, H).map((o, i) => o + x[i]);
    const h2 = rms(h1, w(`${p}.post_attention_layernorm.weight`));
    const g = mv(w(`${p}.mlp.gate_proj.weight`), h2, t.intermediateSize);
    const u = mv(w(`${p}.mlp.up_proj.weight`), h2, t.intermediateSize);
    const a = g.map((gi, i) => (gi / (1 + Math.exp(-gi))) * u[i]);
    const expected = mv(w(`${p}.mlp.down_proj.weight`), a, H).map((d, i) => d + h1[i]);
    expect(maxAbsDiff(out, expected)).toBeLessThan(1e-4);
  });

  it('is causal: changing the last token leaves every earlier row of every layer unchanged', () => {
    const { cfg, w } = tinyModel();
    const H = cfg.text.hiddenSize;
    const S = 20;
    const a = randomArray(prng(22), S * H);
    const b = a.slice();
    for (let i = (S - 1) * H; i < S * H; i++) b[i] += 0.5;
    const ra = referenceText(w, cfg, a, arange(S), null, []);
    const rb = referenceText(w, cfg, b, arange(S), null, []);
    for (let l = 0; l < cfg.text.numLayers; l++) {
      expect(Array.from(rb.layerOutputs[l].subarray(0, (S - 1) * H))).toEqual(Array.from(ra.layerOutputs[l].subarray(0, (S - 1) * H)));
    }
    expect(maxAbsDiff(ra.lastHidden.subarray((S - 1) * H), rb.lastHidden.subarray((S - 1) * H))).toBeGreaterThan(1e-3);
  });

  it('only relative positions matter (shifting t, h, w together changes nothing)', () => {
    const { cfg, w } = tinyModel();
    const S = 12;
    const x = randomArray(prng(23), S * cfg.text.hiddenSize);
    const pos = arange(S);
    pos[1] = pos[1].map((v, i) => (i > 3 && i < 8 ? 4 + ((i - 4) >> 1) : v)); // some 2-D span
    pos[2] = pos[2].map((v, i) => (i > 3 && i < 8 ? 4 + ((i - 4) & 1) : v));
    const shifted = pos.map((p) => p.map((v) => v + 37)) as [Int32Array, Int32Array, Int32Array];
    const a = referenceText(w, cfg, x, pos, null, []).lastHidden;
    const b = referenceText(w, cfg, x, shifted, null, []).lastHidden;
    expect(maxAbsDiff(a, b)).toBeLessThan(2e-4);
    // …while moving one axis alone does change the result.
    const hOnly: [Int32Array, Int32Array, Int32Array] = [pos[0], pos[1].map((v, i) => (i === 5 ? v + 3 : v)), pos[2]];
    expect(maxAbsDiff(a, referenceText(w, cfg, x, hOnly, null, []).lastHidden)).toBeGreaterThan(1e-4);
  });

  it('GQA uses repeat_kv (query head h reads kv head ⌊h / groups⌋): equals MHA with duplicated kv heads', () => {
    const gqa = tinyModel({ textHeads: 4, textKvHeads: 2 });
    const mha = tinyModel({ textHeads: 4, textKvHeads: 4 });
    const D = gqa.cfg.text.headDim;
    const H = gqa.cfg.text.hiddenSize;
    const map = new Map(gqa.map);
    for (let l = 0; l < gqa.cfg.text.numLayers; l++) {
      for (const n of ['k_proj', 'v_proj']) {
        const name = `model.language_model.layers.${l}.self_attn.${n}.weight`;
        const src = gqa.map.get(name)!;
        const dup = new Float32Array(4 * D * H);
        [0, 0, 1, 1].forEach((kv, h) => dup.set(src.subarray(kv * D * H, (kv + 1) * D * H), h * D * H));
        map.set(name, dup);
      }
    }
    const S = 9;
    const x = randomArray(prng(24), S * H);
    const a = referenceText(gqa.w, gqa.cfg, x, arange(S), null, []).lastHidden;
    const b = referenceText(weightsFromMap(map), mha.cfg, x, arange(S), null, []).lastHidden;
    expect(maxAbsDiff(a, b)).toBeLessThan(1e-5);
  });

  it('DeepStack: feature i is added at visual rows right after layer i, nowhere else', () => {
    const { cfg, w } = tinyModel({ textLayers: 3 });
    const H = cfg.text.hiddenSize;
    const S = 10;
    const x = randomArray(prng(25), S * H);
    const mask = Array.from({ length: S }, (_, s) => s === 3 || s === 4 || s === 7);
    const d0 = randomArray(prng(26), 3 * H);
    const d1 = randomArray(prng(27), 3 * H);
    const plain = referenceText(w, cfg, x, arange(S), null, []);
    const zero = referenceText(w, cfg, x, arange(S), mask, [new Float32Array(3 * H), new Float32Array(3 * H)]);
    expect(Array.from(zero.lastHidden)).toEqual(Array.from(plain.lastHidden));

    const withDs = referenceText(w, cfg, x, arange(S), mask, [d0, d1]);
    const l0a = plain.layerOutputs[0];
    const l0b = withDs.layerOutputs[0];
    let r = 0;
    for (let s = 0; s < S; s++) {
      const rowA = l0a.subarray(s * H, (s + 1) * H);
      const rowB = l0b.subarray(s * H, (s + 1) * H);
      if (mask[s]) {
        const diff = Array.from(rowB, (v, c) => v - rowA[c]);
        expect(maxAbsDiff(diff, d0.subarray(r * H, (r + 1) * H))).toBeLessThan(1e-5);
        r++;
      } else {
        expect(Array.from(rowB)).toEqual(Array.from(rowA));
      }
    }
    // Rows before the first visual position are untouched in every layer (causality).
    for (let l = 0; l < 3; l++)
      expect(Array.from(withDs.layerOutputs[l].subarray(0, 3 * H))).toEqual(Array.from(plain.layerOutputs[l].subarray(0, 3 * H)));
  });

  it('attention_bias adds q/k/v/o biases', () => {
    const { cfg, w } = tinyModel({ attentionBias: true, textLayers: 1 });
    const x = randomArray(prng(28), 3 * cfg.text.hiddenSize);
    expect(referenceText(w, cfg, x, arange(3), null, []).lastHidden.every(Number.isFinite)).toBe(true);
    expect(() => w('model.language_model.layers.0.self_attn.o_proj.bias')).not.toThrow();
  });
});
