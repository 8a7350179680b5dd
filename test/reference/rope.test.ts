// Rotary tables: frequencies, the interleaved M-RoPE pair layout, and the vision 2-D split.
import { describe, expect, it } from 'vitest';
import { interleavedMropeAxes, ropeInvFreq, textRotary, visionRotary } from './rope.ts';

describe('inverse frequencies', () => {
  it('base 10000, dim 4 → [1, 1/100]', () => {
    expect(Array.from(ropeInvFreq(10000, 4))).toEqual([1, Math.fround(0.01)]);
  });
  it('are float32 values of base^(−2i/dim)', () => {
    const inv = ropeInvFreq(5_000_000, 128);
    expect(inv.length).toBe(64);
    for (let i = 0; i < 64; i++) {
      const exact = Math.pow(5_000_000, (-2 * i) / 128);
      expect(Math.abs(inv[i] - exact) / exact).toBeLessThan(3e-7);
    }
  });
});

describe('interleaved M-RoPE layout', () => {
  it('section [24, 20, 20]: h on pairs 1,4,…,58; w on 2,5,…,59; t elsewhere (0,3,…,57 and 60–63)', () => {
    // Written out by hand from apply_interleaved_mrope: slice(1, 60, 3) → h, slice(2, 60, 3) → w.
    const h = [1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34, 37, 40, 43, 46, 49, 52, 55, 58];
    const w = [2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 32, 35, 38, 41, 44, 47, 50, 53, 56, 59];
    const t = [0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45, 48, 51, 54, 57, 60, 61, 62, 63];
    const axes = interleavedMropeAxes([24, 20, 20], 64);
    expect(t.length + h.length + w.length).toBe(64);
    for (const j of t) expect(axes[j]).toBe(0);
    for (const j of h) expect(axes[j]).toBe(1);
    for (const j of w) expect(axes[j]).toBe(2);
  });

  it('text cos/sin take each pair’s angle from its axis, duplicated into both halves', () => {
    const D = 128;
    const pos: [Int32Array, Int32Array, Int32Array] = [new Int32Array([7]), new Int32Array([11]), new Int32Array([13])];
    const { cos, sin } = textRotary(pos, D, 5_000_000, [24, 20, 20]);
    const inv = ropeInvFreq(5_000_000, D);
    const axisPos = (j: number) => (j < 60 && j % 3 === 1 ? 11 : j < 60 && j % 3 === 2 ? 13 : 7);
    for (let j = 0; j < 64; j++) {
      const a = Math.fround(inv[j] * axisPos(j));
      expect(cos[j]).toBeCloseTo(Math.cos(a), 6);
      expect(sin[j]).toBeCloseTo(Math.sin(a), 6);
      expect(cos[j + 64]).toBe(cos[j]);
      expect(sin[j + 64]).toBe(sin[j]);
    }
  });

  it('equal t/h/w positions reduce to plain 1-D RoPE', () => {
    const p = new Int32Array([0, 1, 5, 300]);
    const { cos } = textRotary([p, p, p], 32, 10000, [6, 5, 5]);
    const inv = ropeInvFreq(10000, 32);
    for (let s = 0; s < 4; s++) for (let j = 0; j < 16; j++) expect(cos[s * 32 + j]).toBeCloseTo(Math.cos(Math.fround(inv[j] * p[s])), 6);
  });
});

describe('vision rotary', () => {
  it('head_dim 16: 4 row frequencies, then 4 column frequencies, then the same 8 again', () => {
    const { cos, sin } = visionRotary(new Int32Array([3]), new Int32Array([5]), 16);
    const inv = [1, 10000 ** -0.25, 10000 ** -0.5, 10000 ** -0.75]; // theta^(−2i/8), i = 0..3
    for (let i = 0; i < 4; i++) {
      expect(sin[i]).toBeCloseTo(Math.sin(3 * inv[i]), 6);
      expect(sin[4 + i]).toBeCloseTo(Math.sin(5 * inv[i]), 6);
      expect(cos[8 + i]).toBeCloseTo(Math.cos(3 * inv[i]), 6);
      expect(cos[12 + i]).toBeCloseTo(Math.cos(5 * inv[i]), 6);
    }
  });
});
