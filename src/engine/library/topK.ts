// Exact cosine search over unit vectors: one dot product per stored vector and a bounded heap-free
// selection (K is small next to N). Brute force is exact and, at 100k × 2048, well under a second (npm run bench).

export interface Scored<T> {
  item: T;
  similarity: number;
}

/** The `k` items of highest dot product with `query`, best first (ties by input order). */
export function topKByDot<T>(query: Float32Array, items: Iterable<{ item: T; vector: ArrayLike<number> }>, k: number): Scored<T>[] {
  const best: Scored<T>[] = [];
  if (!(k >= 1)) return best;
  for (const { item, vector } of items) {
    let dot = 0;
    for (let i = 0; i < query.length; i++) dot += query[i] * vector[i];
    if (best.length === k && dot <= best[k - 1].similarity) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].similarity < dot) at--;
    best.splice(at, 0, { item, similarity: dot });
    if (best.length > k) best.pop();
  }
  return best;
}
