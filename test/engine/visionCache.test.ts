// The cross-request vision cache: the LRU itself (byte budget, eviction order, in-flight runs shared,
// failures forgotten, models kept apart), then the tiny model reranking the same image and video
// candidates for a second query: exactly the scores of a run without the cache, with no vision run.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RerankSession, type MediaDecoder } from '../../src/engine/rerank.ts';
import type { LoadedModel, VisionOutput } from '../../src/engine/session.ts';
import { modelIdentity, visionCacheOf, VisionCache, visionKey, visionOutputBytes } from '../../src/engine/visionCache.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { loadPromptTokenizer, type PromptTokenizer, type RerankRequest } from '../../src/prompt/index.ts';
import { makePng, tempDir } from '../media/helpers.ts';
import { tinyModel } from './tinyModel.ts';

/** A fake output of `floats` Float32 values in all (embeds + deepstack). */
const output = (floats: number, tag = 0): VisionOutput => ({
  embeds: new Float32Array(floats / 2).fill(tag),
  deepstack: new Float32Array(floats / 2),
  tokens: 1,
});

describe('VisionCache (LRU)', () => {
  it('keeps outputs within its byte budget and evicts the least recently used first', async () => {
    const cache = new VisionCache(3 * 400); // three 400-byte outputs
    const runs: string[] = [];
    const get = (key: string) =>
      cache.get(key, async () => {
        runs.push(key);
        return output(100);
      });
    expect(visionOutputBytes(output(100))).toBe(400);
    for (const k of ['a', 'b', 'c']) await get(k);
    await get('a'); // a is now the most recent: b is the oldest
    await get('d'); // evicts b
    expect(cache.stats()).toMatchObject({ entries: 3, bytes: 1200, evictions: 1, hits: 1, misses: 4 });
    await get('b'); // runs again, evicts c
    await get('a');
    await get('d');
    expect(runs).toEqual(['a', 'b', 'c', 'd', 'b']);
    await get('c');
    expect(runs).toEqual(['a', 'b', 'c', 'd', 'b', 'c']);
  });

  it('does not keep an output larger than the budget, and budget 0 keeps nothing', async () => {
    const cache = new VisionCache(1000);
    await cache.get('small', async () => output(100));
    await cache.get('big', async () => output(1000)); // 4000 bytes
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 400 });
    cache.budgetBytes = 0;
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(cache.enabled).toBe(false);
    await cache.get('small', async () => output(100));
    expect(cache.stats().entries).toBe(0);
    expect(() => new VisionCache(-1)).toThrow(RangeError);
  });

  it('shares a run in flight: two asks at once run once', async () => {
    const cache = new VisionCache(1 << 20);
    let runs = 0;
    let finish!: (o: VisionOutput) => void;
    const run = () => {
      runs++;
      return new Promise<VisionOutput>((resolve) => (finish = resolve));
    };
    const first = cache.get('k', run);
    const second = cache.get('k', run);
    finish(output(10, 7));
    const [a, b] = await Promise.all([first, second]);
    expect(runs).toBe(1);
    expect(a).toBe(b);
    expect(await cache.get('k', run)).toBe(a);
    expect(runs).toBe(1);
  });

  it('forgets a failed run: both waiters see the error, the next ask runs again', async () => {
    const cache = new VisionCache(1 << 20);
    let runs = 0;
    const failing = async () => {
      runs++;
      throw new Error('the vision session failed');
    };
    const waits = [cache.get('k', failing), cache.get('k', failing)];
    for (const w of waits) await expect(w).rejects.toThrow('the vision session failed');
    expect(runs).toBe(1);
    expect(cache.stats().entries).toBe(0);
    const ok = await cache.get('k', async () => (runs++, output(10)));
    expect(runs).toBe(2);
    expect(await cache.get('k', failing)).toBe(ok);
  });

  it('a run that ends after clear() (the model was released) does not fill the cache', async () => {
    const cache = new VisionCache(1 << 20);
    let finish!: (o: VisionOutput) => void;
    const pending = cache.get('k', () => new Promise<VisionOutput>((resolve) => (finish = resolve)));
    cache.clear();
    finish(output(10));
    await pending;
    expect(cache.stats().entries).toBe(0);
  });

  it('keys by content, grid and model: equal patches hit, another model or grid misses', async () => {
    const manifest = (id: string, version: string, visionSha: string) =>
      ({
        id,
        version,
        graphs: { vision: { file: 'vision.onnx', shards: [] } },
        shards: [{ file: 'vision.onnx', bytes: 1, sha256: visionSha }],
      }) as never;
    const a = modelIdentity({ manifest: manifest('m', 'v1', 'aa'), backend: 'wasm' });
    const b = modelIdentity({ manifest: manifest('m', 'v2', 'bb'), backend: 'wasm' });
    const gpu = modelIdentity({ manifest: manifest('m', 'v1', 'aa'), backend: 'webgpu' });
    expect(new Set([a, b, gpu]).size).toBe(3);
    const patches = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i));
    const key = await visionKey(a, patches, [1, 2, 2]);
    expect(await visionKey(a, patches.slice(), [1, 2, 2])).toBe(key); // another array, same content
    expect(await visionKey(b, patches, [1, 2, 2])).not.toBe(key);
    expect(await visionKey(gpu, patches, [1, 2, 2])).not.toBe(key);
    expect(await visionKey(a, patches, [1, 1, 4])).not.toBe(key);
    const changed = patches.slice();
    changed[63] += 1e-6;
    expect(await visionKey(a, changed, [1, 2, 2])).not.toBe(key);
    // A shared-memory view (a decoder writing into a SharedArrayBuffer) hashes as its plain copy.
    const shared = new Float32Array(new SharedArrayBuffer(patches.byteLength));
    shared.set(patches);
    expect(await visionKey(a, shared, [1, 2, 2])).toBe(key);

    const cache = new VisionCache(1 << 20);
    let runs = 0;
    const run = async () => (runs++, output(10));
    await cache.get(key!, run);
    await cache.get((await visionKey(b, patches, [1, 2, 2]))!, run);
    expect(runs).toBe(2);
  });
});

describe('vision cache in reranking (tiny model)', () => {
  let tiny: Awaited<ReturnType<typeof tinyModel>>;
  let tok: PromptTokenizer;
  let media: MediaDecoder;
  let visionRuns = 0;
  let dir: { dir: string; cleanup: () => void };

  beforeAll(async () => {
    tiny = await tinyModel(32);
    const json = (f: string) => JSON.parse(new TextDecoder().decode(tiny.files.get(f)!));
    tok = loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
    // Count the vision session's runs (the session object is shared by every Scorer of the model).
    const vision = tiny.model.vision as { run: (...a: unknown[]) => Promise<unknown> };
    const run = vision.run.bind(vision);
    vision.run = (...a) => (visionRuns++, run(...a));
    // Real files through the Node decoder (PNGs; the video as a list of frames, so no ffmpeg): each
    // request decodes them again into new arrays.
    dir = tempDir('sift-vision-cache-');
    const png = (name: string, w: number, h: number, seed: number) => {
      const rows = Array.from({ length: h }, (_, y) => Array.from({ length: w * 3 }, (_, x) => (x * 7 + y * 13 + seed * 61) % 256));
      writeFileSync(join(dir.dir, name), makePng({ width: w, height: h, bitDepth: 8, colorType: 2, rows }));
    };
    png('a.png', 96, 64, 0);
    for (let f = 0; f < 4; f++) png(`f${f}.png`, 64, 48, f + 1);
    media = nodeMediaDecoder(dir.dir);
  }, 60_000);

  afterAll(async () => {
    dir?.cleanup();
    await tiny?.model.release();
  });

  const docs: RerankRequest['documents'] = [
    { image: 'a.png' },
    { video: ['f0.png', 'f1.png', 'f2.png', 'f3.png'], text: 'a test pattern' },
    { text: 'no media here' },
    { image: 'a.png', text: 'the same picture again, with a caption' },
  ];
  const request = (query: string): RerankRequest => ({ query: { text: query }, documents: docs, fps: 2 });

  /** Runs one request on `model` and counts its vision runs. */
  async function ranked(model: LoadedModel, query: string, visionCacheMb?: number) {
    const before = visionRuns;
    const out = await new RerankSession(model, tok, media).run(request(query), { visionCacheMb });
    expect(out.errors).toEqual([]);
    return { scores: out.scores, runs: visionRuns - before };
  }

  it('a second query over the same candidates gives exactly the uncached scores, with no vision run', async () => {
    // Another object with the same sessions: a model of its own, so a cache of its own, which is off.
    const uncached = { ...tiny.model } as LoadedModel;
    const first = await ranked(tiny.model, 'a dog on a beach', 64);
    expect(first.runs).toBe(2); // the image (twice in the request, one content) and the video
    const second = await ranked(tiny.model, 'a lecture about forces', 64);
    expect(second.runs).toBe(0);
    const cold = await ranked(uncached, 'a lecture about forces', 0);
    expect(cold.runs).toBe(3); // no cache: the repeated picture runs again too (another request document)
    expect(second.scores).toEqual(cold.scores);
    expect((await ranked(uncached, 'a dog on a beach', 0)).scores).toEqual(first.scores);
    expect(visionCacheOf(tiny.model).stats()).toMatchObject({ entries: 2 });
  }, 30_000);

  it('two requests at once over the same candidates run the vision tower once per item', async () => {
    const fresh = { ...tiny.model } as LoadedModel;
    const before = visionRuns;
    const [a, b] = await Promise.all([
      new RerankSession(fresh, tok, media).run(request('a cat')),
      new RerankSession(fresh, tok, media).run(request('a cat')),
    ]);
    expect(visionRuns - before).toBe(2);
    expect(a.scores).toEqual(b.scores);
  }, 30_000);
});
