// Vision reuse (issue I, point 2): the second query over the same 8 image documents, with the model's
// vision cache (src/engine/visionCache.ts: the tower ran for the first query, its outputs are reused)
// against without it (the tower runs again). Real 448×448 PNGs through the Node decoder, so decoding and
// the cache's SHA-256 of the patches are paid on both sides, as a user's second search pays them.
// Prints one JSON object on stdout; `visionReuse` is the measurement for the bench runner.
//   node --import tsx bench/visionReuse.ts <reranker-dir> <work-dir> [--quick | --reps=N] [--backend=wasm|native]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { RerankSession } from '../src/engine/rerank.ts';
import type { LoadedModel } from '../src/engine/session.ts';
import { visionCacheOf, visionKey, modelIdentity } from '../src/engine/visionCache.ts';
import { nodeMediaDecoder } from '../src/media/nodeDecoder.ts';
import type { PromptTokenizer, RerankRequest } from '../src/prompt/index.ts';

const round = (x: number, d = 2) => +x.toFixed(d);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `count` distinct `size`×`size` PNGs (smooth gradients with a per-image phase) in `dir`. */
function writeImages(dir: string, count: number, size: number): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, k) => {
    const png = new PNG({ width: size, height: size });
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const i = (y * size + x) * 4;
        png.data[i] = (x + 29 * k) & 255;
        png.data[i + 1] = (y * 2 + 53 * k) & 255;
        png.data[i + 2] = ((x ^ y) + 97 * k) & 255;
        png.data[i + 3] = 255;
      }
    const name = `doc${k}.png`;
    writeFileSync(join(dir, name), PNG.sync.write(png));
    return name;
  });
}

export interface VisionReuseResult {
  /** Second query's wall time without the cache ÷ with it. */
  vision_reuse_speedup: number;
  second_query_ms: { cached: number; uncached: number };
  first_query_ms: number;
  /** Vision session runs during the timed second queries (0 expected with the cache). */
  vision_runs: { cached: number; uncached: number };
  /** SHA-256 of one image's patches (the cache key), ms. */
  hash_ms_per_image: number;
  documents: number;
  image: string;
  reps: number;
}

/**
 * Times the second query over the same `documents` image documents (`size`² PNGs written in `work`), as
 * the median of `reps` runs each way. Leaves the model's vision cache at its default budget, emptied.
 */
export async function visionReuse(
  model: LoadedModel,
  tokenizer: PromptTokenizer,
  work: string,
  o: { documents?: number; size?: number; reps?: number } = {},
): Promise<VisionReuseResult> {
  const documents = o.documents ?? 8;
  const size = o.size ?? 448;
  const reps = o.reps ?? 3;
  const names = writeImages(work, documents, size);
  const media = nodeMediaDecoder(work);
  const request = (query: string): RerankRequest => ({ query: { text: query }, documents: names.map((image) => ({ image })) });
  let runs = 0;
  const vision = model.vision as { run: (...a: unknown[]) => Promise<unknown> };
  const run = vision.run;
  vision.run = (...a) => (runs++, run.apply(vision, a));
  const cache = visionCacheOf(model);
  const budget = cache.budgetBytes;
  const timed = async (query: string, visionCacheMb: number) => {
    const [r0, t0] = [runs, performance.now()];
    const out = await new RerankSession(model, tokenizer, media).run(request(query), { visionCacheMb });
    if (out.errors.length) throw new Error(`vision reuse bench: ${out.errors[0].message}`);
    return { ms: performance.now() - t0, runs: runs - r0 };
  };
  try {
    const mb = Math.max(256, Math.ceil(budget / 2 ** 20));
    await timed('a warm-up query that lets onnxruntime allocate its buffers', 0);
    const uncached: { ms: number; runs: number }[] = [];
    const cached: { ms: number; runs: number }[] = [];
    let firstMs = 0;
    for (let r = 0; r < reps; r++) {
      await timed(`an orange cat on a windowsill (${r})`, 0);
      uncached.push(await timed(`a diagram of forces on a blackboard (${r})`, 0));
      cache.clear(); // each cached rep starts cold: its first query fills the cache
      firstMs += (await timed(`an orange cat on a windowsill (${r})`, mb)).ms;
      cached.push(await timed(`a diagram of forces on a blackboard (${r})`, mb));
    }
    // The key of one image: its patches are [(size/16)², C·T·16²] floats (size a multiple of 32).
    const v = model.cfg.vision;
    const patches = Float32Array.from(
      { length: (size / v.patchSize) ** 2 * v.inChannels * v.temporalPatchSize * v.patchSize ** 2 },
      Math.random,
    );
    const h0 = performance.now();
    for (let r = 0; r < 5; r++) await visionKey(modelIdentity(model), patches, [1, 1, 1]);
    const hashMs = (performance.now() - h0) / 5;
    const [c, u] = [median(cached.map((x) => x.ms)), median(uncached.map((x) => x.ms))];
    return {
      vision_reuse_speedup: round(u / c),
      second_query_ms: { cached: Math.round(c), uncached: Math.round(u) },
      first_query_ms: Math.round(firstMs / reps),
      vision_runs: { cached: Math.max(...cached.map((x) => x.runs)), uncached: Math.max(...uncached.map((x) => x.runs)) },
      hash_ms_per_image: round(hashMs),
      documents,
      image: `${size}x${size}`,
      reps,
    };
  } finally {
    vision.run = run;
    cache.clear();
    cache.budgetBytes = budget;
  }
}

async function main() {
  const [modelDir, work] = process.argv.slice(2);
  const backend = process.argv.find((a) => a.startsWith('--backend='))?.slice('--backend='.length);
  // Typed loosely: the CLI's loader takes a backend choice where it has several runtimes.
  const { loadModelDir } = (await import('../src/cli/nodeModel.ts')) as unknown as {
    loadModelDir: (
      dir: string,
      choice?: { backend?: string },
    ) => Promise<{ model: LoadedModel; tokenizer: PromptTokenizer; runtime?: string }>;
  };
  const { model, tokenizer, runtime } = await loadModelDir(modelDir, backend ? { backend } : undefined);
  rmSync(work, { recursive: true, force: true });
  try {
    const reps = process.argv.find((a) => a.startsWith('--reps='))?.slice('--reps='.length);
    const r = await visionReuse(model, tokenizer, work, { reps: reps ? Number(reps) : process.argv.includes('--quick') ? 1 : 3 });
    console.log(JSON.stringify({ ...r, runtime: runtime ?? model.backend }));
  } finally {
    await model.release();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
