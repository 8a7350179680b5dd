// Python's `f"{x:.1f}"` for JS numbers. Python rounds the exact binary value of the float to one
// decimal, ties to even; JS `toFixed` also uses the exact value but breaks ties upward, and writes
// large numbers in exponent form. Both facts are handled here; everything else is toFixed's.

/**
 * Python's `format(x, ".1f")`: e.g. 0.25 → "0.2", 0.75 → "0.8", 0.35 → "0.3" (0.35 is 0.34999…),
 * 1.05 → "1.1" (1.05 is 1.0500000000000000444…), -0.0 → "-0.0", 1e21 → "1000000000000000000000.0".
 */
export function formatPythonFixed1(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  // Python keeps the sign of negative zero and of negatives that round to zero.
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const a = Math.abs(x);
  if (a >= 2 ** 53) {
    // Every float this large is an integer; toFixed would switch to exponent form at 1e21.
    return sign + BigInt(a).toString() + '.0';
  }
  let digits = a.toFixed(1);
  // A tie at one decimal means 10·a = k + 1/2 exactly; since a is dyadic that happens iff 4·a is
  // an odd integer (4·a is exact). toFixed then picked the larger neighbour; Python wants the even one.
  const quarter = a * 4;
  if (Number.isInteger(quarter) && quarter % 2 === 1) {
    const last = digits.charCodeAt(digits.length - 1) - 48;
    // The larger neighbour's last digit is odd for exactly one of the two candidates; odd digits
    // are ≥ 1, so stepping down never borrows.
    if (last % 2 === 1) digits = digits.slice(0, -1) + String(last - 1);
  }
  return sign + digits;
}
