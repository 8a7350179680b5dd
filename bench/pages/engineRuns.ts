// The engine on the bench page: models loaded over HTTP, reranking with synthetic images, and the
// graphs' work counted (calls, tokens, FLOPs) by wrapping the sessions' run.
import { decoderFlops, flopFormulas, visionFlops } from './flops.ts';
import { getOrt, wasmHeapBytes } from './runtime.ts';
import { startModel } from '../../src/engine/startModel.ts';
import type { LoadedModel } from '../../src/engine/session.ts';
import { RerankSession, type MediaDecoder } from '../../src/engine/rerank.ts';
import { loadPromptTokenizer, type PromptTokenizer, type RerankRequest } from '../../src/prompt/index.ts';
import { smartResize } from '../../src/media/smartResize.ts';
import type { Manifest } from '../../src/model/manifest.ts';
import { prng } from '../../test/reference/testModel.ts';

/** Work done by the graphs since the last reset (counted by wrapping the sessions' run). */
interface Work {
  decoderCalls: number;
  decoderTokens: number;
  decoderVisible: number;
  decoderMs: number;
  visionCalls: number;
  visionPatches: number;
  visionMs: number;
  flops: number;
}
const emptyWork = (): Work => ({
  decoderCalls: 0,
  decoderTokens: 0,
  decoderVisible: 0,
  decoderMs: 0,
  visionCalls: 0,
  visionPatches: 0,
  visionMs: 0,
  flops: 0,
});
let work = emptyWork();

interface Loaded {
  model: LoadedModel;
  tokenizer: PromptTokenizer;
}
export const loaded = new Map<string, Loaded>();
const decoder = new TextDecoder();

export function instrument(m: LoadedModel): void {
  const dec = m.decoder;
  const run = dec.run.bind(dec);
  (dec as { run: unknown }).run = async (feeds: Record<string, import('onnxruntime-web').Tensor>, ...rest: unknown[]) => {
    const s = feeds.attn_bias.dims[2];
    const bias = feeds.attn_bias.data as Float32Array;
    let visible = 0;
    for (let i = 0; i < bias.length; i++) if (bias[i] === 0) visible++;
    const t0 = performance.now();
    const out = await (run as (...a: unknown[]) => Promise<unknown>)(feeds, ...rest);
    work.decoderMs += performance.now() - t0;
    work.decoderCalls++;
    work.decoderTokens += s;
    work.decoderVisible += visible;
    work.flops += decoderFlops(m.cfg, s, visible);
    return out;
  };
  const vis = m.vision;
  const vrun = vis.run.bind(vis);
  (vis as { run: unknown }).run = async (feeds: Record<string, import('onnxruntime-web').Tensor>, ...rest: unknown[]) => {
    const n = feeds.patches.dims[0];
    const frame = Number((feeds.frame_shape.data as BigInt64Array)[1]);
    const t0 = performance.now();
    const out = await (vrun as (...a: unknown[]) => Promise<unknown>)(feeds, ...rest);
    work.visionMs += performance.now() - t0;
    work.visionCalls++;
    work.visionPatches += n;
    work.flops += visionFlops(m.cfg, n, frame);
    return out;
  };
}

export async function tokenizerOf(manifest: Manifest, read: (f: string) => Promise<Uint8Array>): Promise<PromptTokenizer> {
  const json = async (f: string) => JSON.parse(decoder.decode(await read(f)));
  return loadPromptTokenizer(await json(manifest.files.tokenizer), await json(manifest.files.tokenizerConfig));
}

export async function release(key: string) {
  const l = loaded.get(key);
  loaded.delete(key);
  if (l) await l.model.release();
}

/** Loads a converted model over HTTP (files fetched whole, as the e2e engine page does). */
export async function loadHttp(key: string, base: string, opts: { ep?: 'wasm' | 'webgpu' } = {}) {
  const o = await getOrt();
  await release(key);
  const url = (f: string) => new URL(f, new URL(base, location.href)).href;
  const t0 = performance.now();
  const manifest = (await (await fetch(url('manifest.json'))).json()) as Manifest;
  let readMs = 0;
  const read = async (f: string) => {
    const r0 = performance.now();
    const res = await fetch(url(f));
    if (!res.ok) throw new Error(`${f}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    readMs += performance.now() - r0;
    return bytes;
  };
  const ep = opts.ep ?? 'wasm';
  const { model, tokenizer } = await startModel(o, manifest, { read }, { executionProviders: [ep], backend: ep });
  instrument(model);
  loaded.set(key, { model, tokenizer });
  return {
    ms: performance.now() - t0,
    readMs,
    wasmHeapMB: wasmHeapBytes() / 2 ** 20,
    config: model.cfg,
    flopFormulas: flopFormulas(model.cfg),
    weights: manifest.weights,
    totalBytes: manifest.totalBytes,
    linear: model.linear,
  };
}

/** Synthetic images for the bench: a handle "bench:<width>x<height>:<seed>" gives random patches of that size's grid. */
const benchMedia: MediaDecoder = {
  async image(item) {
    const m = /^bench:(\d+)x(\d+):(\d+)$/.exec(String(item.image));
    if (!m) throw new Error(`not a bench image: ${String(item.image)}`);
    const [h, w] = smartResize(Number(m[2]), Number(m[1]), { minPixels: item.min_pixels, maxPixels: item.max_pixels });
    const grid: [number, number, number] = [1, h / 16, w / 16];
    const n = grid[1] * grid[2];
    const r = prng(Number(m[3]));
    const patches = new Float32Array(n * 1536);
    for (let i = 0; i < patches.length; i++) patches[i] = r() * 2 - 1;
    return { patches, grid };
  },
  async video() {
    throw new Error('the bench uses no videos');
  },
};

/**
 * Scores a request. mode 'reuse' is Sift's way (one request, query prefix run once, documents
 * packed); 'per-document' runs one full prompt per document as its own request, re-encoding the
 * query's image each time (what the reference does, pair by pair). The model's vision cache is off
 * (visionCacheMb 0): repeated runs of one request measure the vision tower every time.
 */
export async function rerank(key: string, request: RerankRequest, mode: 'reuse' | 'per-document' = 'reuse') {
  const l = loaded.get(key);
  if (!l) throw new Error(`no model ${key}`);
  const session = new RerankSession(l.model, l.tokenizer, benchMedia);
  work = emptyWork();
  const t0 = performance.now();
  let scores: (number | null)[] = [];
  const errors: string[] = [];
  if (mode === 'reuse') {
    const out = await session.run(request, { visionCacheMb: 0 });
    scores = out.scores;
    errors.push(...out.errors.map((e) => e.message));
  } else {
    for (const doc of request.documents ?? []) {
      const out = await session.run({ ...request, documents: [doc] }, { reusePrefix: false, visionCacheMb: 0 });
      scores.push(out.scores[0]);
      errors.push(...out.errors.map((e) => e.message));
    }
  }
  const ms = performance.now() - t0;
  return { ms, scores, errors, work: { ...work }, wasmHeapMB: wasmHeapBytes() / 2 ** 20 };
}
