// Patch coordinates and the bilinear position-embedding resampling.
import { describe, expect, it } from 'vitest';
import { bilinearTaps, interpolatePosEmbed, linspaceF32, mergeOrderCoords } from './visionPos.ts';
import { prng, randomArray } from './testModel.ts';

describe('merge order', () => {
  it('grid [1, 4, 4]: 2×2 blocks in raster order, patches raster inside each block', () => {
    const { rows, cols } = mergeOrderCoords([1, 4, 4], 2);
    const raster = Array.from(rows, (r, n) => r * 4 + cols[n]);
    expect(raster).toEqual([0, 1, 4, 5, 2, 3, 6, 7, 8, 9, 12, 13, 10, 11, 14, 15]);
  });
  it('repeats per frame', () => {
    const { rows, cols } = mergeOrderCoords([2, 2, 4], 2);
    expect(Array.from(rows)).toEqual([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]);
    expect(Array.from(cols)).toEqual([0, 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3]);
  });
});

describe('linspace', () => {
  it('hits integers exactly when steps − 1 divides the range', () => {
    expect(Array.from(linspaceF32(0, 7, 8))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
  it('counts up to the middle and down from the end', () => {
    const third = Math.fround(1 / 3);
    expect(Array.from(linspaceF32(0, 1, 4))).toEqual([0, third, Math.fround(1 - third), 1]);
  });
  it('stays within float32 rounding of k·(end/(n−1)) and ends exactly at end', () => {
    const v = linspaceF32(0, 47, 30);
    expect(v[29]).toBe(47);
    for (let k = 0; k < 30; k++) expect(Math.abs(v[k] - (47 * k) / 29)).toBeLessThan(1e-5);
  });
});

describe('position embedding interpolation', () => {
  it('at grid = side it reproduces the table rows (then merge order, repeated per frame)', () => {
    const side = 8;
    const hidden = 3;
    const table = randomArray(prng(3), side * side * hidden);
    const out = interpolatePosEmbed(table, side, hidden, [2, 8, 8], 2);
    const { rows, cols } = mergeOrderCoords([2, 8, 8], 2);
    for (let n = 0; n < rows.length; n++) {
      const src = (rows[n] * side + cols[n]) * hidden;
      expect(Array.from(out.subarray(n * hidden, (n + 1) * hidden))).toEqual(Array.from(table.subarray(src, src + hidden)));
    }
  });

  it('bilinear by hand on a 2×2 table sampled at 4×4', () => {
    // Corners a (0,0) b (0,1) c (1,0) d (1,1); sample (r, c) sits at (y, x) = (r/3, c/3).
    const [a, b, c, d] = [1, 10, 100, 1000];
    const out = interpolatePosEmbed(new Float32Array([a, b, c, d]), 2, 1, [1, 4, 4], 2);
    const { rows, cols } = mergeOrderCoords([1, 4, 4], 2);
    for (let n = 0; n < 16; n++) {
      const y = rows[n] / 3;
      const x = cols[n] / 3;
      const e = (1 - y) * (1 - x) * a + (1 - y) * x * b + y * (1 - x) * c + y * x * d;
      expect(Math.abs(out[n] - e)).toBeLessThan(1e-4);
    }
  });

  it('taps: floor via truncation, ceiling clipped to side − 1, weights sum to 1', () => {
    const { idx, weight } = bilinearTaps(4, 6, 5);
    // last row/col: linspace ends exactly at 4, so floor 4 and the clipped ceiling 4 coincide
    const last = 4 * 6 - 1;
    expect([idx[0][last], idx[1][last], idx[2][last], idx[3][last]]).toEqual([24, 24, 24, 24]);
    expect(weight[0][last]).toBe(1);
    for (let p = 0; p < 24; p++) expect(weight[0][p] + weight[1][p] + weight[2][p] + weight[3][p]).toBeCloseTo(1, 6);
  });
});
