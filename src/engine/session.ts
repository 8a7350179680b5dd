// Runs single graph calls of a loaded model (loadModel.ts): the vision tower on one image or video,
// the decoder on a chunk of tokens with its KV cache.
import type * as OrtTypes from 'onnxruntime-web';
import { decoderIO } from '../model/graphs/decoder.ts';
import type { KvCache } from './kvcache.ts';
import type { Grid } from './rope.ts';
import { visionGridInputs } from './visionInputs.ts';
import type { LoadedModel, Ort } from './loadModel.ts';

export { isOrtGraph, loadModel, runsOnWasmOnly, type LoadedModel, type LoadOptions, type Ort, type ReadModelFile } from './loadModel.ts';

// onnxruntime-web rejects a run() that starts while another is in flight ("Session already started":
// Chromium, threaded WASM, a multi-image prompt whose images the Scorer encodes concurrently). The
// vision and decoder sessions share one runtime, so every run on it goes through a single queue.
const runQueues = new WeakMap<object, Promise<unknown>>();
function exclusive<T>(ort: Ort, fn: () => Promise<T>): Promise<T> {
  const next = (runQueues.get(ort) ?? Promise.resolve()).then(fn);
  runQueues.set(
    ort,
    next.catch(() => undefined),
  );
  return next;
}

export interface VisionOutput {
  embeds: Float32Array; // [M, H]
  deepstack: Float32Array; // [n_ds, M, H]
  tokens: number; // M
  /** Block outputs, only from graphs converted with debug outputs. */
  blocks?: Float32Array[];
}

export async function runVision(m: LoadedModel, patches: Float32Array, grid: Grid): Promise<VisionOutput> {
  const { ort, cfg } = m;
  const inp = visionGridInputs(cfg, grid);
  const K = patches.length / inp.patches;
  const feeds = {
    patches: new ort.Tensor('float32', patches, [inp.patches, K]),
    pos_idx: new ort.Tensor('int64', inp.posIdx, [4, inp.patches]),
    pos_w: new ort.Tensor('float32', inp.posW, [4, inp.patches]),
    rot_cos: new ort.Tensor('float32', inp.rotCos, [inp.patches, inp.rotCos.length / inp.patches]),
    rot_sin: new ort.Tensor('float32', inp.rotSin, [inp.patches, inp.rotSin.length / inp.patches]),
    frame_shape: new ort.Tensor('int64', inp.frameShape, [2]),
  };
  const out = await exclusive(ort, () => m.vision.run(feeds));
  const embeds = (await out.embeds.getData()) as Float32Array;
  const deepstack = out.deepstack ? ((await out.deepstack.getData()) as Float32Array) : new Float32Array(0);
  let blocks: Float32Array[] | undefined;
  if (out.block_0) {
    blocks = [];
    for (let i = 0; out[`block_${i}`]; i++) blocks.push((await out[`block_${i}`].getData()) as Float32Array);
  }
  for (const t of Object.values(out)) t.dispose();
  return { embeds, deepstack, tokens: embeds.length / cfg.vision.outHiddenSize, blocks };
}

export interface DecoderStep {
  embeds: Float32Array; // [S, H]
  cos: Float32Array; // [S, D]
  sin: Float32Array;
  bias: Float32Array; // [S, P + S]
  deepstack: Float32Array; // [n_ds, S, H]
  past: KvCache;
  wantPresent: boolean;
  wantHidden?: boolean;
}

export interface DecoderResult {
  logits: Float32Array; // [S] (a reranker's; empty for an embedding model)
  /** An embedding model's final_norm(h), [S, H]. */
  finalHidden?: Float32Array;
  keys: Float32Array[]; // per layer [kvH, S, D]
  values: Float32Array[];
  hidden?: Float32Array[];
}

export async function runDecoder(m: LoadedModel, step: DecoderStep): Promise<DecoderResult> {
  const { ort, cfg } = m;
  const { hiddenSize: H, headDim: D, numKvHeads: kvH, numLayers } = cfg.text;
  const S = step.embeds.length / H;
  const P = step.past.length;
  const nds = cfg.vision.deepstackVisualIndexes.length;
  const feeds: Record<string, OrtTypes.Tensor> = {
    inputs_embeds: new ort.Tensor('float32', step.embeds, [1, S, H]),
    cos: new ort.Tensor('float32', step.cos, [1, S, D]),
    sin: new ort.Tensor('float32', step.sin, [1, S, D]),
    attn_bias: new ort.Tensor('float32', step.bias, [1, 1, S, P + S]),
  };
  if (nds) feeds.deepstack = new ort.Tensor('float32', step.deepstack, [nds, S, H]);
  for (let i = 0; i < numLayers; i++) {
    feeds[decoderIO.pastKey(i)] = new ort.Tensor('float32', step.past.keys[i], [1, kvH, P, D]);
    feeds[decoderIO.pastValue(i)] = new ort.Tensor('float32', step.past.values[i], [1, kvH, P, D]);
  }
  const out = await exclusive(ort, () => m.decoder.run(feeds));
  const result: DecoderResult = {
    logits: out.logits ? ((await out.logits.getData()) as Float32Array) : new Float32Array(0),
    keys: [],
    values: [],
  };
  const final = out[decoderIO.finalHidden];
  if (final) result.finalHidden = (await final.getData()) as Float32Array;
  if (step.wantPresent) {
    for (let i = 0; i < numLayers; i++) {
      result.keys.push((await out[decoderIO.presentKey(i)].getData()) as Float32Array);
      result.values.push((await out[decoderIO.presentValue(i)].getData()) as Float32Array);
    }
  }
  if (step.wantHidden && out[decoderIO.hidden(0)]) {
    result.hidden = [];
    for (let i = 0; i < numLayers; i++) result.hidden.push((await out[decoderIO.hidden(i)].getData()) as Float32Array);
  }
  for (const t of Object.values(out)) t.dispose();
  return result;
}
