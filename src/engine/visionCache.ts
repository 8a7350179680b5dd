// Vision outputs kept across requests. What the vision tower makes of an image or video (merged
// embeddings + DeepStack features) depends on its patches, its grid and the model, never on the query:
// reranking the same candidates for a new query, or a library top-K that recurs, reuses them instead of
// running the tower again. One cache per loaded model (visionCacheOf), an LRU bounded in bytes, keyed by
// a SHA-256 of the patches (which already hold every preprocessing choice: resize, frame sampling,
// normalisation) + the grid + the model's identity.
import type { Grid } from './rope.ts';
import type { LoadedModel, VisionOutput } from './session.ts';

const MB = 1024 * 1024;

const nodeProcess = (globalThis as { process?: { versions?: { node?: string } } }).process;

/**
 * Default budget: 256 MB in Node (the CLI has the machine's memory), 128 MB in a browser worker (its
 * JS heap sits beside the model's wasm heap). The real 2B's output for a 448×448 image is ≈6.4 MB.
 */
export const DEFAULT_VISION_CACHE_BYTES = (nodeProcess?.versions?.node ? 256 : 128) * MB;

export interface VisionCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Entries and bytes held now. */
  entries: number;
  bytes: number;
}

/** Bytes a vision output keeps alive (every Float32Array of it, debug block outputs included). */
export function visionOutputBytes(o: VisionOutput): number {
  return o.embeds.byteLength + o.deepstack.byteLength + (o.blocks ?? []).reduce((s, b) => s + b.byteLength, 0);
}

/**
 * An LRU of vision outputs by key, at most `budgetBytes` of them; budget 0 keeps nothing. A key asked
 * for again while its run is in flight shares that run; a run that fails is forgotten, so the next ask
 * tries again.
 */
export class VisionCache {
  /** Insertion order is recency: a hit moves its entry to the end, eviction takes from the front. */
  private entries = new Map<string, { output: VisionOutput; bytes: number }>();
  private inFlight = new Map<string, Promise<VisionOutput>>();
  /** Bumped by clear(): a run that started before it does not fill the cache after it. */
  private generation = 0;
  private held = 0;
  private counts = { hits: 0, misses: 0, evictions: 0 };

  constructor(private budget: number = DEFAULT_VISION_CACHE_BYTES) {
    if (!(budget >= 0)) throw new RangeError(`vision cache budget must be ≥ 0 bytes, got ${budget}`);
  }

  get budgetBytes(): number {
    return this.budget;
  }

  /** A new budget: entries beyond it are evicted now (0 empties the cache and disables it). */
  set budgetBytes(bytes: number) {
    if (!(bytes >= 0)) throw new RangeError(`vision cache budget must be ≥ 0 bytes, got ${bytes}`);
    this.budget = bytes;
    this.evictTo(bytes);
  }

  get enabled(): boolean {
    return this.budget > 0;
  }

  stats(): VisionCacheStats {
    return { ...this.counts, entries: this.entries.size, bytes: this.held };
  }

  /** The output for `key`: held, in flight, or made now by `run` (and kept if it fits the budget). */
  get(key: string, run: () => Promise<VisionOutput>): Promise<VisionOutput> {
    const held = this.entries.get(key);
    if (held) {
      this.counts.hits++;
      this.entries.delete(key);
      this.entries.set(key, held);
      return Promise.resolve(held.output);
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.counts.hits++;
      return pending;
    }
    this.counts.misses++;
    const generation = this.generation;
    const p = run().then(
      (output) => {
        if (this.inFlight.get(key) === p) this.inFlight.delete(key);
        if (generation === this.generation) this.keep(key, output);
        return output;
      },
      (err) => {
        if (this.inFlight.get(key) === p) this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, p);
    return p;
  }

  /** Forgets everything (the model is being released); runs in flight finish without filling it. */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.inFlight.clear();
    this.held = 0;
  }

  private keep(key: string, output: VisionOutput) {
    const bytes = visionOutputBytes(output);
    if (bytes > this.budget) return; // would evict everything and still not fit
    this.evictTo(this.budget - bytes);
    this.entries.set(key, { output, bytes });
    this.held += bytes;
  }

  private evictTo(limit: number) {
    for (const [key, e] of this.entries) {
      if (this.held <= limit) break;
      this.entries.delete(key);
      this.held -= e.bytes;
      this.counts.evictions++;
    }
  }
}

/**
 * What makes one model's vision outputs differ from another's: its manifest id and content version
 * (a hash of every file's sha256, so a re-conversion is another model), the vision graph's own hash and
 * the backend it runs on (WASM and WebGPU round differently).
 */
export function modelIdentity(m: Pick<LoadedModel, 'manifest' | 'backend'>): string {
  const graph = m.manifest.shards.find((s) => s.file === m.manifest.graphs.vision.file)?.sha256 ?? '';
  return `${m.manifest.id}@${m.manifest.version}/${graph}/${m.backend}`;
}

const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;

/**
 * The cache key of one image or video: the model's identity, the grid and a SHA-256 of the patches
 * (≈4 ms for a 448×448 image's 4.8 MB in Node, against seconds of vision tower). Null where Web Crypto
 * is missing (a page served over plain http to another host): the tower then just runs.
 */
export async function visionKey(identity: string, patches: Float32Array, grid: Grid): Promise<string | null> {
  if (!subtle) return null;
  // digest() refuses views of shared memory; a patch array is rarely one, so copy only then.
  const bytes = patches.buffer instanceof ArrayBuffer ? (patches as Float32Array<ArrayBuffer>) : new Float32Array(patches);
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return `${identity}|${grid.join('x')}|${patches.length}|${hex}`;
}

const caches = new WeakMap<LoadedModel, VisionCache>();

/**
 * The vision cache of a loaded model, made on first use with the default budget; `budgetBytes`, when
 * given, sets its budget (kept for later requests). It goes with the model object; releaseVisionCache
 * empties it as soon as the model is released.
 */
export function visionCacheOf(m: LoadedModel, budgetBytes?: number): VisionCache {
  let cache = caches.get(m);
  if (!cache) caches.set(m, (cache = new VisionCache(budgetBytes ?? DEFAULT_VISION_CACHE_BYTES)));
  else if (budgetBytes !== undefined) cache.budgetBytes = budgetBytes;
  return cache;
}

/** Lets a released model's vision outputs go now, not when the model object is collected. */
export function releaseVisionCache(m: LoadedModel): void {
  caches.get(m)?.clear();
  caches.delete(m);
}

/** The `visionCacheMb` option of the engine's entry points, as bytes (undefined: leave the budget as it is). */
export function visionCacheBytesOf(mb: number | undefined): number | undefined {
  if (mb === undefined) return undefined;
  if (!(mb >= 0)) throw Object.assign(new RangeError(`visionCacheMb must be ≥ 0, got ${mb}`), { code: 'bad-request' });
  return Math.round(mb * MB);
}
