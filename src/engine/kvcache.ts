// The decoder's key/value cache, owned by the engine (the graph only returns the new tokens' K/V).
// Layout per layer: [kvHeads, length, headDim]. Slot 0 is a zero "dummy" that every row masks out,
// so a graph never sees a zero-length past (zero-sized tensors misbehave on some EPs).
import type { ModelConfig } from '../model/config.ts';

export class KvCache {
  private constructor(
    readonly kvHeads: number,
    readonly headDim: number,
    readonly length: number,
    readonly keys: Float32Array[],
    readonly values: Float32Array[],
  ) {}

  /** A cache holding only the masked dummy slot. */
  static empty(cfg: ModelConfig): KvCache {
    const { numKvHeads, headDim, numLayers } = cfg.text;
    const make = () => Array.from({ length: numLayers }, () => new Float32Array(numKvHeads * headDim));
    return new KvCache(numKvHeads, headDim, 1, make(), make());
  }

  /** The first `length` slots (a prefix of a causal cache is itself a valid cache). */
  slice(length: number): KvCache {
    if (length === this.length) return this;
    if (length < 1 || length > this.length) throw new Error(`kv slice ${length} outside 1…${this.length}`);
    const cut = (a: Float32Array) => this.remap(a, this.length, length, 0, length, 0);
    return new KvCache(this.kvHeads, this.headDim, length, this.keys.map(cut), this.values.map(cut));
  }

  /** This cache followed by rows [from, to) of new K/V outputs laid out [kvHeads, S, headDim]. */
  append(newKeys: Float32Array[], newValues: Float32Array[], S: number, from = 0, to = S): KvCache {
    const n = to - from;
    const L = this.length + n;
    const join = (old: Float32Array, fresh: Float32Array) => {
      const out = this.remap(old, this.length, L, 0, this.length, 0);
      const D = this.headDim;
      for (let h = 0; h < this.kvHeads; h++) {
        out.set(fresh.subarray((h * S + from) * D, (h * S + to) * D), (h * L + this.length) * D);
      }
      return out;
    };
    return new KvCache(
      this.kvHeads,
      this.headDim,
      L,
      this.keys.map((k, i) => join(k, newKeys[i])),
      this.values.map((v, i) => join(v, newValues[i])),
    );
  }

  /** Copies slots [start, end) of an array with `len` slots per head into one with `outLen` slots. */
  private remap(a: Float32Array, len: number, outLen: number, start: number, end: number, at: number): Float32Array {
    const D = this.headDim;
    const out = new Float32Array(this.kvHeads * outLen * D);
    for (let h = 0; h < this.kvHeads; h++) out.set(a.subarray((h * len + start) * D, (h * len + end) * D), (h * outLen + at) * D);
    return out;
  }

  get bytes(): number {
    return this.keys.length * 2 * this.kvHeads * this.length * this.headDim * 4;
  }
}
