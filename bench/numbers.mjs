// Small number helpers the bench's sections share.

/** The median of a non-empty list. */
export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** x rounded to d decimals; null, undefined and NaN pass through. */
export const round = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? x : Math.round(x * 10 ** d) / 10 ** d);
