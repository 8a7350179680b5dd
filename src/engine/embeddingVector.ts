// The official embedder's last step: L2-normalise the pooled hidden state (torch F.normalize, eps
// 1e-12). Matryoshka: the first `dims` values, renormalised; the same as slicing the normalised vector
// and renormalising it.

export const MIN_EMBEDDING_DIMS = 64;

/** Checks a requested dimension count against the model's width; returns it (or the width when absent). */
export function embeddingDims(requested: number | null | undefined, width: number): number {
  if (requested === undefined || requested === null) return width;
  if (!Number.isInteger(requested) || requested < MIN_EMBEDDING_DIMS || requested > width)
    throw Object.assign(new Error(`dims must be a whole number from ${MIN_EMBEDDING_DIMS} to the model's ${width}, got ${requested}`), {
      code: 'bad-request',
    });
  return requested;
}

/** The unit vector of `hidden`'s first `dims` values (computed in fp64, stored fp32). */
export function unitEmbedding(hidden: Float32Array, dims = hidden.length): Float32Array {
  let sum = 0;
  for (let i = 0; i < dims; i++) sum += hidden[i] * hidden[i];
  const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
  const out = new Float32Array(dims);
  for (let i = 0; i < dims; i++) out[i] = hidden[i] * scale;
  return out;
}

/** Cosine of two vectors of equal length (unit or not). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}
