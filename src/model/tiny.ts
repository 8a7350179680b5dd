// A deterministic random-weight Qwen3-VL checkpoint with the official file layout, tensor names,
// shapes and bf16 dtype — small by default (tests, demos), or at the real 2B sizes (memory
// benchmarks, streamed shard by shard). Pure: runs in Node and in the browser.

import { parseConfig } from './config.ts';
import type { ModelKind } from '../store/manifest.ts';
import { textNames, visionNames } from './names.ts';
import { QWEN3_VL_CHAT_TEMPLATE } from '../contracts/chatTemplate.ts';
import { float32ArrayToBf16 } from './checkpoint/dtypes.ts';
import { officialTensorShapes } from './checkpoint/officialShapes.ts';
import { type ChunkedFile, collectChunks, safetensorsLayout, type TensorSpec } from './checkpoint/safetensorsWriter.ts';
import {
  preprocessorConfigJson,
  resolveSizes,
  tinyConfigJson,
  tokenizerConfigJson,
  type TinySizes,
  videoPreprocessorConfigJson,
} from './tinyConfig.ts';

export interface TinyOptions extends Partial<TinySizes> {
  seed?: number;
  /** A Qwen3-VL-Reranker checkpoint (default) or a Qwen3-VL-Embedding one (no lm_head; model card named so). */
  kind?: ModelKind;
  /** Start from the Qwen3-VL-Reranker-2B sizes instead of the tiny ones. */
  realSize?: boolean;
  /** Contents of tokenizer.json; when given, the tokenizer files are written and yes/no are looked up in it. */
  tokenizerJson?: string | Uint8Array;
  /** chat_template.json's template (default: the Qwen3-VL template). */
  chatTemplate?: string;
  /** Largest safetensors shard; above it the weights are sharded with an index (default 2 GB). */
  maxShardBytes?: number;
}

export interface TinyTensor extends TensorSpec {
  init: Init;
}

/** How a tensor's values are drawn. */
type Init =
  | { kind: 'normal'; std: number } // matrices: std 1/sqrt(fan_in) keeps activations at unit scale
  | { kind: 'norm' } // norm weights: uniform 1 ± 0.1
  | { kind: 'scoreTable'; std: number; yes: number; no: number; deltaStd: number };

export interface TinyCheckpointPlan {
  sizes: TinySizes;
  config: Record<string, unknown>;
  tensors: TinyTensor[];
  files: ChunkedFile[];
  yesId: number;
  noId: number;
}

// Ids of "yes" and "no" in the Qwen vocabulary, used only to shape the weights when no tokenizer is
// given (scoring always looks them up in tokenizer.json).
const QWEN_YES_ID = 9693;
const QWEN_NO_ID = 2152;
const DEFAULT_MAX_SHARD_BYTES = 2_000_000_000;
/** Elements generated per chunk (16 MB of bf16). */
const CHUNK_ELEMENTS = 8 * 1024 * 1024;

// ---- random numbers -------------------------------------------------------------------------

/** splitmix32-style: a Weyl sequence through a murmur3-like finaliser. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed | 0;
  }
  next(): number {
    this.s = (this.s + 0x9e3779b9) | 0;
    return mix32(this.s);
  }
  /** Uniform in [-1, 1]. */
  uniform(): number {
    return (this.next() / 0xffffffff) * 2 - 1;
  }
  /** Mean 0, std 1: the sum of four 16-bit uniforms (Irwin–Hall), bounded at ±3.46. */
  normal(): number {
    const a = this.next();
    const b = this.next();
    const sum = (a & 0xffff) + (a >>> 16) + (b & 0xffff) + (b >>> 16);
    return (sum / 65535 - 2) * 1.7320508075688772;
  }
}

/** A seed per (checkpoint seed, tensor name): a tensor's values do not depend on the others. */
function tensorSeed(seed: number, name: string): number {
  let h = mix32(seed ^ 0x5bd1e995) ^ 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return mix32(h);
}

/** Each row has its own stream, so any row (the "yes" row, a chunk) can be generated alone. */
function rowRng(tseed: number, row: number): Rng {
  return new Rng(mix32(tseed ^ Math.imul(row + 1, 0x9e3779b1)));
}

// ---- tensors --------------------------------------------------------------------------------

function fanIn(shape: number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

/** The tensor list with initialisers, sorted by name (the order of the data in the file). */
export function tinyTensors(sizes: TinySizes, yesId: number, noId: number, kind: ModelKind = 'reranker'): TinyTensor[] {
  const config = parseConfig(tinyConfigJson(sizes));
  // The embedding model's table is plain: no answer rows to shape, and (as published) no lm_head at all.
  const scoreTable = kind === 'embedding' ? null : sizes.tie ? textNames.embed : textNames.lmHead;
  const out: TinyTensor[] = [];
  for (const [name, shape] of officialTensorShapes(config)) {
    if (kind === 'embedding' && name === textNames.lmHead) continue;
    let init: Init;
    if (name === scoreTable && yesId < sizes.vocabSize && noId < sizes.vocabSize && yesId !== noId) {
      // W[no] = W[yes] + δ. After the final RMSNorm |h| ≈ sqrt(hidden), so std(δ) = 1.5/sqrt(hidden)
      // gives yes−no logits of std ≈ 1.5: scores vary with the input instead of saturating at 0 or 1
      // (independent random rows would give logits of std ≈ sqrt(2·hidden)).
      const std = name === textNames.embed ? 1 : 1 / Math.sqrt(sizes.textHidden);
      init = { kind: 'scoreTable', std, yes: yesId, no: noId, deltaStd: 1.5 / Math.sqrt(sizes.textHidden) };
    } else if (name === textNames.embed) init = { kind: 'normal', std: 1 };
    else if (name === textNames.lmHead) init = { kind: 'normal', std: 1 / Math.sqrt(sizes.textHidden) };
    // Position table at half scale so image content (patch projection, std ≈ 0.5) still shows.
    else if (name === visionNames.posEmbed) init = { kind: 'normal', std: 0.5 };
    else if (name.endsWith('.bias')) init = { kind: 'normal', std: 0.02 };
    else if (shape.length === 1) init = { kind: 'norm' };
    else init = { kind: 'normal', std: 1 / Math.sqrt(fanIn(shape)) };
    out.push({ name, dtype: 'BF16', shape, init });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Fills `out` with row `row` of a tensor (row = first dimension; 1-D tensors are one row). */
function fillRow(t: TinyTensor, tseed: number, row: number, out: Float32Array): void {
  const init = t.init;
  if (init.kind === 'norm') {
    const rng = rowRng(tseed, row);
    for (let i = 0; i < out.length; i++) out[i] = 1 + 0.1 * rng.uniform();
    return;
  }
  if (init.kind === 'scoreTable' && row === init.no) {
    fillRow(t, tseed, init.yes, out);
    const rng = new Rng(mix32(tseed ^ 0x6e6f6e6f));
    for (let i = 0; i < out.length; i++) out[i] += init.deltaStd * rng.normal();
    return;
  }
  const rng = rowRng(tseed, row);
  const std = init.std;
  for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
}

/** The tensor's bf16 bytes in bounded chunks. */
function* tensorChunks(t: TinyTensor, seed: number): Generator<Uint8Array> {
  const tseed = tensorSeed(seed, t.name);
  const rows = t.shape.length >= 2 ? t.shape[0] : 1;
  const rowLen = t.shape.length >= 2 ? fanIn(t.shape) : t.shape.reduce((a, b) => a * b, 1);
  const rowsPerChunk = Math.max(1, Math.floor(CHUNK_ELEMENTS / Math.max(1, rowLen)));
  for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - r0);
    const values = new Float32Array(n * rowLen);
    for (let r = 0; r < n; r++) fillRow(t, tseed, r0 + r, values.subarray(r * rowLen, (r + 1) * rowLen));
    const bits = float32ArrayToBf16(values);
    yield new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength);
  }
}

function safetensorsFile(name: string, tensors: TinyTensor[], seed: number): ChunkedFile {
  const layout = safetensorsLayout(tensors);
  return {
    name,
    byteLength: layout.byteLength,
    *chunks() {
      yield layout.header;
      for (const t of tensors) yield* tensorChunks(t, seed);
    },
  };
}

/** Groups tensors (in order) into shards of at most `maxBytes` (a larger tensor gets its own). */
function shardTensors(tensors: TinyTensor[], maxBytes: number): TinyTensor[][] {
  const shards: TinyTensor[][] = [[]];
  let bytes = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1) * 2;
    if (bytes + size > maxBytes && shards[shards.length - 1].length > 0) {
      shards.push([]);
      bytes = 0;
    }
    shards[shards.length - 1].push(t);
    bytes += size;
  }
  return shards;
}

const TINY_EMBEDDING_SIZES: Partial<TinySizes> = { textHidden: 128, textIntermediate: 256 };
const EMBEDDING_MODEL_CARD = '# Qwen3-VL-Embedding (generated: random weights, official layout)\n';

function stripUndefinedSizes(o: Partial<TinySizes>): Partial<TinySizes> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<TinySizes>;
}

// ---- files ----------------------------------------------------------------------------------

const encoder = new TextEncoder();

function jsonFile(name: string, value: unknown): ChunkedFile {
  const bytes = encoder.encode(`${JSON.stringify(value, null, 2)}\n`);
  return { name, byteLength: bytes.byteLength, chunks: () => [bytes] };
}

function bytesFile(name: string, bytes: Uint8Array): ChunkedFile {
  return { name, byteLength: bytes.byteLength, chunks: () => [bytes] };
}

/** Plans every file of the checkpoint; tensor bytes are generated only when a file's chunks are read. */
export function planTinyCheckpoint(options: TinyOptions = {}): TinyCheckpointPlan {
  const {
    seed = 0,
    realSize = false,
    kind = 'reranker',
    tokenizerJson,
    chatTemplate = QWEN3_VL_CHAT_TEMPLATE,
    maxShardBytes,
    ...rest
  } = options;
  if (!Number.isSafeInteger(seed)) throw new Error(`tiny checkpoint: seed must be an integer, got ${seed}`);
  // A tiny embedding model is 128 wide, so Matryoshka truncation to 64 dimensions is a real cut.
  const overrides = kind === 'embedding' && !realSize ? { ...TINY_EMBEDDING_SIZES, ...stripUndefinedSizes(rest) } : rest;
  const sizes = resolveSizes(overrides, realSize);
  const config = tinyConfigJson(sizes);

  let tokenizer: { bytes: Uint8Array; json: { added_tokens?: unknown[]; model?: { vocab?: Record<string, number> } } } | null = null;
  if (tokenizerJson !== undefined) {
    const bytes = typeof tokenizerJson === 'string' ? encoder.encode(tokenizerJson) : tokenizerJson;
    tokenizer = { bytes, json: JSON.parse(new TextDecoder().decode(bytes)) };
  }
  const vocab = tokenizer?.json.model?.vocab;
  const yesId = vocab?.yes ?? QWEN_YES_ID;
  const noId = vocab?.no ?? QWEN_NO_ID;

  const tensors = tinyTensors(sizes, yesId, noId, kind);
  const files: ChunkedFile[] = [jsonFile('config.json', config)];
  // The published repositories' model cards are titled by model; `sift convert` reads the title (modelKind.ts).
  if (kind === 'embedding') files.push(bytesFile('README.md', encoder.encode(EMBEDDING_MODEL_CARD)));
  const shards = shardTensors(tensors, maxShardBytes ?? DEFAULT_MAX_SHARD_BYTES);
  if (shards.length === 1) {
    files.push(safetensorsFile('model.safetensors', tensors, seed));
  } else {
    const pad = (n: number) => String(n).padStart(5, '0');
    const weightMap: Record<string, string> = {};
    let totalSize = 0;
    shards.forEach((group, i) => {
      const name = `model-${pad(i + 1)}-of-${pad(shards.length)}.safetensors`;
      for (const t of group) {
        weightMap[t.name] = name;
        totalSize += t.shape.reduce((a, b) => a * b, 1) * 2;
      }
      files.push(safetensorsFile(name, group, seed));
    });
    files.push(jsonFile('model.safetensors.index.json', { metadata: { total_size: totalSize }, weight_map: weightMap }));
  }
  if (tokenizer) {
    files.push(bytesFile('tokenizer.json', tokenizer.bytes));
    const added = (tokenizer.json.added_tokens ?? []) as Parameters<typeof tokenizerConfigJson>[0];
    files.push(jsonFile('tokenizer_config.json', tokenizerConfigJson(added)));
  }
  files.push(jsonFile('chat_template.json', { chat_template: chatTemplate }));
  files.push(jsonFile('preprocessor_config.json', preprocessorConfigJson()));
  files.push(jsonFile('video_preprocessor_config.json', videoPreprocessorConfigJson()));
  return { sizes, config, tensors, files, yesId, noId };
}

/** The whole checkpoint in memory: file name → bytes. For real sizes use the streaming writer. */
export function makeTinyCheckpoint(options: TinyOptions = {}): Map<string, Uint8Array<ArrayBuffer>> {
  const plan = planTinyCheckpoint(options);
  const total = plan.files.reduce((s, f) => s + f.byteLength, 0);
  if (total > 1_500_000_000) {
    throw new Error(`tiny checkpoint of ${(total / 1e9).toFixed(1)} GB is too large to build in memory; write it to disk (sift tiny)`);
  }
  return new Map(plan.files.map((f) => [f.name, collectChunks(f)]));
}
