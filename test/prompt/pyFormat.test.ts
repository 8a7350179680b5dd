import { describe, expect, it } from 'vitest';
import { formatPythonFixed1 } from '../../src/prompt/pyFormat.ts';

// Independent oracle: the exact binary value m·2^e of the double, times 10, rounded half-to-even
// with BigInt arithmetic, then printed as Python's "%.1f" does.
function exactFixed1(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075; // value = mantissa · 2^exponent
  let tenths: bigint;
  if (exponent >= 0) {
    tenths = mantissa * 10n * (1n << BigInt(exponent));
  } else {
    const num = mantissa * 10n;
    const den = 1n << BigInt(-exponent);
    const q = num / den;
    const r2 = (num % den) * 2n;
    tenths = r2 > den || (r2 === den && q % 2n === 1n) ? q + 1n : q;
  }
  return `${negative ? '-' : ''}${tenths / 10n}.${tenths % 10n}`;
}

// Outputs of CPython's f"{x:.1f}" for the same inputs (run once, pasted here).
const PYTHON: [number, string][] = [
  [0.05, '0.1'],
  [0.15, '0.1'],
  [0.25, '0.2'],
  [0.35, '0.3'],
  [0.45, '0.5'],
  [0.55, '0.6'],
  [0.65, '0.7'],
  [0.75, '0.8'],
  [0.85, '0.8'],
  [0.95, '0.9'],
  [1.05, '1.1'],
  [1.25, '1.2'],
  [2.5, '2.5'],
  [2.25, '2.2'],
  [2.75, '2.8'],
  [-0.25, '-0.2'],
  [-0.75, '-0.8'],
  [-0.0, '-0.0'],
  [-0.04, '-0.0'],
  [0.0, '0.0'],
  [1e21, '1000000000000000000000.0'],
  [1.5e22, '15000000000000000000000.0'],
  [123456.75, '123456.8'],
  [0.125, '0.1'],
  [0.375, '0.4'],
  [9.95, '9.9'],
  [99.95, '100.0'],
  [0.04999999999999999, '0.0'],
  [1 / 3, '0.3'],
  [2 / 3, '0.7'],
  [1e-320, '0.0'],
  [5e-324, '0.0'],
  [Infinity, 'inf'],
  [-Infinity, '-inf'],
  [NaN, 'nan'],
  [16.25, '16.2'],
  [32.75, '32.8'],
  [1234567.25, '1234567.2'],
  [9007199254740992.0, '9007199254740992.0'],
  [1.152921504606847e18, '1152921504606846976.0'],
  [4503599627370495.5, '4503599627370495.5'],
  [0.2500000000000001, '0.3'],
  [0.24999999999999997, '0.2'],
];

describe('formatPythonFixed1', () => {
  it('matches CPython on hand-picked values', () => {
    for (const [x, py] of PYTHON) expect([x, formatPythonFixed1(x)]).toEqual([x, py]);
  });

  it('agrees with the oracle on the pasted CPython values (oracle sanity)', () => {
    for (const [x, py] of PYTHON) expect(exactFixed1(x)).toBe(py);
  });

  it('differs from toFixed exactly on ties that round up to an odd digit', () => {
    expect((0.25).toFixed(1)).toBe('0.3');
    expect(formatPythonFixed1(0.25)).toBe('0.2');
    expect(formatPythonFixed1(0.75)).toBe((0.75).toFixed(1));
  });

  it('matches the exact oracle on every tie j/4 (j odd) up to 10^4', () => {
    for (let j = 1; j < 40000; j += 2) {
      expect(formatPythonFixed1(j / 4)).toBe(exactFixed1(j / 4));
      expect(formatPythonFixed1(-j / 4)).toBe(exactFixed1(-j / 4));
    }
  });

  it('matches the exact oracle next to every k/20 (near-ties) and on video-style timestamps', () => {
    for (let k = 0; k < 20000; k++) {
      const x = k / 20;
      const up = x + Number.EPSILON * Math.max(1, x);
      const down = x - Number.EPSILON * Math.max(1, x);
      for (const v of [x, up, down]) expect(formatPythonFixed1(v)).toBe(exactFixed1(v));
    }
    for (const fps of [1, 2, 23.976, 24, 25, 29.97, 30, 59.94, 60, 7.5]) {
      for (let idx = 0; idx < 2000; idx += 3) {
        const t = (idx / fps + (idx + 1) / fps) / 2;
        expect(formatPythonFixed1(t)).toBe(exactFixed1(t));
      }
    }
  });

  it('matches the exact oracle on random doubles of every magnitude', () => {
    let seed = 12345;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const view = new DataView(new ArrayBuffer(8));
    for (let i = 0; i < 20000; i++) {
      // Random bit patterns (all exponents), and random values in the timestamp range.
      view.setUint32(0, Math.floor(rand() * 2 ** 32));
      view.setUint32(4, Math.floor(rand() * 2 ** 32));
      const wild = view.getFloat64(0);
      const small = (rand() - 0.5) * 10 ** Math.floor(rand() * 8);
      for (const v of [wild, small]) {
        if (Number.isFinite(v)) expect(formatPythonFixed1(v)).toBe(exactFixed1(v));
      }
    }
  });
});
