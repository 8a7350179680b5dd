// Rounding the way the reference's Python/PyTorch code rounds. JS Math.round rounds ties up; Python's
// round() and torch.round() round ties to even, which decides sizes such as 48 / 32 = 1.5 → 2 · 32.

/** Python 3 `round(x)` for a float: nearest integer, ties to even (x is exact binary, so no tie is "fake"). */
export function pythonRound(x: number): number {
  const f = Math.floor(x);
  const d = x - f; // exact for |x| < 2^52
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** torch.round / numpy.rint: same rule as Python's round. */
export const roundHalfEven = pythonRound;

/** qwen-vl-utils `round_by_factor`: `round(number / factor) * factor`. */
export function roundByFactor(n: number, factor: number): number {
  return pythonRound(n / factor) * factor;
}

/** qwen-vl-utils `ceil_by_factor`: `math.ceil(number / factor) * factor`. */
export function ceilByFactor(n: number, factor: number): number {
  return Math.ceil(n / factor) * factor;
}

/** qwen-vl-utils `floor_by_factor`: `math.floor(number / factor) * factor`. */
export function floorByFactor(n: number, factor: number): number {
  return Math.floor(n / factor) * factor;
}
