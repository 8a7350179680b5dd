// Hand-computed checks of the elementary pieces.
import { describe, expect, it } from 'vitest';
import { erf, geluErf, geluTanh, sigmoid, silu } from './erf.ts';
import { applyRotaryInPlace, attendHead, layerNorm, linear, rmsNorm } from './ops.ts';

describe('erf and activations', () => {
  it('erf matches tabulated values to 1e-12', () => {
    // Values from Python's math.erf (libm), an independent implementation.
    const table: [number, number][] = [
      [0, 0],
      [0.1, 0.1124629160182849],
      [0.5, 0.5204998778130465],
      [1, 0.8427007929497149],
      [-1.5, -0.9661051464753108],
      [2, 0.9953222650189527],
      [3, 0.9999779095030014],
      [5.5, 0.9999999999999927],
      [7, 1],
    ];
    for (const [x, e] of table) expect(Math.abs(erf(x) - e)).toBeLessThan(1e-12);
  });

  it('exact GELU and tanh GELU at known points, and they differ', () => {
    expect(geluErf(1)).toBeCloseTo(0.8413447460685429, 12); // 1·Φ(1)
    expect(geluErf(-2)).toBeCloseTo(-0.04550026389635842, 12);
    expect(geluTanh(1)).toBeCloseTo(0.8411919906082768, 12);
    expect(geluTanh(-2)).toBeCloseTo(-0.04540230591222494, 12);
    expect(Math.abs(geluErf(1) - geluTanh(1))).toBeGreaterThan(1e-4);
  });

  it('silu and sigmoid', () => {
    expect(silu(0)).toBe(0);
    expect(silu(2)).toBeCloseTo(2 / (1 + Math.exp(-2)), 14);
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(-800)).toBe(0);
    expect(sigmoid(3) + sigmoid(-3)).toBeCloseTo(1, 14);
  });
});

describe('norms and linear', () => {
  it('RMSNorm of [1, 2, 3, 4]', () => {
    // mean(x²) = 30/4 = 7.5 → x / √7.5, times weight [1, 2, 1, 0.5].
    const y = rmsNorm(new Float32Array([1, 2, 3, 4]), 1, 4, new Float32Array([1, 2, 1, 0.5]), 0);
    const r = Math.sqrt(7.5);
    expect(Array.from(y)).toEqual([1 / r, 4 / r, 3 / r, 2 / r].map(Math.fround));
  });

  it('RMSNorm applies per row (per head when dim = head_dim)', () => {
    const y = rmsNorm(new Float32Array([3, 4, 0, 2]), 2, 2, new Float32Array([1, 1]), 0);
    // rows [3,4]: rms √12.5; [0,2]: rms √2
    expect(y[0]).toBeCloseTo(3 / Math.sqrt(12.5), 6);
    expect(y[3]).toBeCloseTo(2 / Math.sqrt(2), 6);
  });

  it('LayerNorm of [1, 2, 3, 4] with eps 1e-6', () => {
    // mean 2.5, biased variance 1.25.
    const w = new Float32Array([1, 1, 2, 1]);
    const b = new Float32Array([0, 1, 0, 0]);
    const y = layerNorm(new Float32Array([1, 2, 3, 4]), 1, 4, w, b, 1e-6);
    const s = Math.sqrt(1.25 + 1e-6);
    const e = [-1.5 / s, -0.5 / s + 1, (2 * 0.5) / s, 1.5 / s];
    e.forEach((v, i) => expect(y[i]).toBeCloseTo(v, 6));
  });

  it('linear is x·Wᵀ + b with W [out, in]', () => {
    const x = new Float32Array([1, 2, 3, 4, 5, 6]); // 2 rows × 3
    const W = new Float32Array([1, 0, 0, 0, 1, 1]); // out 2 × in 3
    const y = linear(x, 2, 3, W, 2, new Float32Array([10, 20]));
    expect(Array.from(y)).toEqual([11, 25, 14, 31]);
  });
});

describe('rotary and attention', () => {
  it('rotate_half rotation: pairs (d, d + D/2) turn by the angle, norms are preserved', () => {
    const D = 8;
    const v = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const angles = [0.3, 1.1, -2, 0];
    const cos = new Float32Array(D);
    const sin = new Float32Array(D);
    angles.forEach((a, j) => {
      cos[j] = cos[j + 4] = Math.cos(a);
      sin[j] = sin[j + 4] = Math.sin(a);
    });
    const r = v.slice();
    applyRotaryInPlace(r, 0, D, cos, sin, 0);
    for (let j = 0; j < 4; j++) {
      // (x, y) = (v[j], v[j+4]) rotated counter-clockwise: (x cos − y sin, x sin + y cos)
      const x = v[j];
      const y = v[j + 4];
      expect(r[j]).toBeCloseTo(x * Math.cos(angles[j]) - y * Math.sin(angles[j]), 5);
      expect(r[j + 4]).toBeCloseTo(x * Math.sin(angles[j]) + y * Math.cos(angles[j]), 5);
    }
    const norm = (a: Float32Array) => Math.hypot(...a);
    expect(norm(r)).toBeCloseTo(norm(v), 5);
  });

  it('a row attending only to itself returns its value vector; two equal keys average the values', () => {
    const q = new Float32Array([1, 0, 5, 5]); // 2 rows × headDim 2
    const k = new Float32Array([2, 2, 2, 2]);
    const v = new Float32Array([1, 2, 3, 4]);
    const out = new Float32Array(4);
    const view = (data: Float32Array) => ({ data, stride: 2, col: 0 });
    attendHead(view(q), view(k), view(v), view(out), 2, 0, 2, true, 1);
    expect(Array.from(out)).toEqual([1, 2, 2, 3]);
  });
});
