// erf and the two GELU flavours. Qwen3-VL uses both: the vision MLP's `gelu_pytorch_tanh`
// (tanh approximation) and the patch mergers' `nn.GELU()` (exact, erf based). Mixing them up
// changes results by ~1e-4, so they live side by side here with their differences spelled out.

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * erf(x) in double precision (error well below 1e-14 for all x).
 * For |x| < 6 we use the everywhere-convergent series with positive terms only (no cancellation):
 *   erf(x) = 2/√π · e^{-x²} · Σ_{n≥0} 2ⁿ x^{2n+1} / (1·3·5·…·(2n+1)).
 * Beyond 6, 1 − erf(|x|) < 3e-17, below double resolution next to 1.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax >= 6) return x > 0 ? 1 : -1;
  const x2 = ax * ax;
  let term = ax; // n = 0 term: x / 1
  let sum = term;
  for (let n = 1; n < 400; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  const r = TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
  return x < 0 ? -r : r;
}

/** Exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)) — torch.nn.GELU() with approximate='none'. */
export function geluErf(x: number): number {
  return 0.5 * x * (1 + erf(x * Math.SQRT1_2));
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** GELU tanh approximation — transformers' `gelu_pytorch_tanh` (torch GELU approximate='tanh'). */
export function geluTanh(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

/** SiLU, x·σ(x) — the text MLP's `silu` gate. */
export function silu(x: number): number {
  return x / (1 + Math.exp(-x));
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}
