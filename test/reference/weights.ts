// How the reference reads parameters: a plain lookup by the official checkpoint tensor name.
// Names are written out as literals in each module (from the HF module tree), not imported from
// src/model/names.ts, so that a typo on either side shows up as a mismatch in the tests.

/** Returns the float32 data of a tensor, row-major, by its official name; throws (or returns undefined) when absent. */
export type Weights = (name: string) => Float32Array;

/** Fetches a tensor and checks its element count, so a wrong layout fails loudly instead of reading garbage. */
export function take(w: Weights, name: string, size: number): Float32Array {
  let t: Float32Array | undefined;
  try {
    t = w(name);
  } catch (err) {
    throw new Error(`reference: tensor ${name} is missing (${(err as Error).message})`);
  }
  if (!t) throw new Error(`reference: tensor ${name} is missing`);
  if (t.length !== size) throw new Error(`reference: tensor ${name} has ${t.length} elements, expected ${size}`);
  return t;
}

/** Like take, but an absent tensor gives undefined (for optional ones such as lm_head.weight). */
export function maybeTake(w: Weights, name: string, size: number): Float32Array | undefined {
  let t: Float32Array | undefined;
  try {
    t = w(name);
  } catch {
    return undefined;
  }
  if (!t) return undefined;
  if (t.length !== size) throw new Error(`reference: tensor ${name} has ${t.length} elements, expected ${size}`);
  return t;
}

/** A Weights over a plain Map (tests build their random checkpoints this way). */
export function weightsFromMap(map: Map<string, Float32Array>): Weights {
  return (name) => {
    const t = map.get(name);
    if (!t) throw new Error(`no tensor named ${name}`);
    return t;
  };
}
