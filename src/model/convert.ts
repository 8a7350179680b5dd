// Official safetensors checkpoint → Sift model directory (graphs, quantized shards, manifest), in one
// streaming pass: tensors are read one at a time, quantized, and written to bounded shards.
import { parseConfig } from './config.ts';
import { buildDecoderGraph } from './graphs/decoder.ts';
import { buildVisionGraph } from './graphs/vision.ts';
import { INT8_ROLES, type LinearFormat, type LinearPlan } from './graphs/linear.ts';
import { contentVersion, describeStorage, MANIFEST_FORMAT, MANIFEST_VERSION, type Manifest } from './manifest.ts';
import type { Bits } from './quantize.ts';
import type { EmbeddingBits } from './embeddingTable.ts';
import { writeEmbeddingTable } from './embeddingWriter.ts';
import { sha256Hex, ShardWriter, type ShardInfo } from './shards.ts';
import type { WeightSink } from './onnx/graph.ts';
import { withProgress, type CheckpointSource } from './checkpointSource.ts';
import type { ModelKind } from '../store/manifest.ts';
import { detectModelKind, type DetectedKind } from './modelKind.ts';

export { checkpointSource, type CheckpointSource } from './checkpointSource.ts';

export interface ConvertProgress {
  phase: string;
  /** Stored checkpoint bytes read so far, of `total`. */
  done: number;
  total: number;
}

export interface ConvertOptions {
  /** Reranker or embedding model (default: detected, modelKind.ts). */
  kind?: ModelKind;
  /** Told which kind was chosen and why, before the weights are read. */
  onKind?: (k: DetectedKind) => void;
  /** Width of every stored weight matrix with 'nbits' linear layers: 4/8-bit blocks, or 32 (fp32: every weight exact). */
  bits?: Bits | 32;
  /** The token embedding table's width (default: `bits`, 8 with int8 linear layers; at least 8 when they are 8-bit or wider). */
  embedBits?: EmbeddingBits;
  blockSize?: number;
  shardMB?: number;
  id?: string;
  label?: string;
  source?: string;
  randomWeights?: boolean;
  /** Fixed version string (default: a hash of the produced files). */
  version?: string;
  /** Also output per-layer hidden states (tests compare them with the CPU reference). */
  debugOutputs?: boolean;
  /**
   * How the graphs' linear layers are stored: 'nbits' (MatMulNBits `bits` wide, or fp32 MatMul at 32;
   * what WebGPU runs) or 'int8' (per-output-channel int8 weights quantized from the checkpoint's own
   * values, per-token int8 activations, graphs/linear.ts; about twice as fast on the WASM EP).
   */
  linear?: 'nbits' | 'int8';
  /** With 4-bit 'nbits' layers: a second 4-bit MatMulNBits on each layer's rounding error (≈8-bit precision, `--bits 4+4`). */
  residual?: boolean;
  /** int8 weights stored as uint8 around 128 ('u8', default: exact on every x86 CPU) or as int8 ('s8'). */
  int8Weights?: 'u8' | 's8';
  /**
   * Formats for some roles (graphs/linear.ts formatFor: "mlp/down_proj", "layers.3/*", "vision/*"),
   * instead of the rest's. Default: none, or INT8_ROLES with int8 layers; {} for none at all.
   */
  roles?: Record<string, LinearFormat>;
  /**
   * With int8 linear layers: writes each graph as one ORT-format file (vision.ort, decoder.ort, weights
   * inside) through this writer (onnxruntime-node in the CLI, src/model/ortFormatNode.ts; the browser
   * has none). The WASM EP then uses the weights in place instead of copying them (session.ts).
   */
  toOrtFormat?: (model: Uint8Array, externalData: { path: string; data: Uint8Array }[]) => Promise<Uint8Array>;
  onProgress?: (p: ConvertProgress) => void;
}

export type FileOutput = (file: string, bytes: Uint8Array) => Promise<void>;

/** "yes"/"no" ids from the tokenizer's vocabulary (never hard-coded). */
export function yesNoFromTokenizer(tokenizerJson: string): { yes: number; no: number } {
  const vocab = JSON.parse(tokenizerJson)?.model?.vocab as Record<string, number> | undefined;
  const yes = vocab?.['yes'];
  const no = vocab?.['no'];
  if (typeof yes !== 'number' || typeof no !== 'number') throw new Error('tokenizer.json: the vocabulary has no "yes"/"no" tokens');
  return { yes, no };
}

/** The stored formats `opts` ask for: the linear layers', the token table's width, and the checks between them. */
function storedFormats(opts: ConvertOptions): { linear: LinearPlan; bits: Bits | 32; blockSize: number; embedBits: EmbeddingBits } {
  const bits = opts.bits ?? 4;
  const blockSize = opts.blockSize ?? 32;
  const int8 = opts.linear === 'int8';
  if (opts.residual && (int8 || bits !== 4)) throw new Error('a residual pass is for 4-bit MatMulNBits layers only (--bits 4+4)');
  const base: LinearFormat = int8
    ? { kind: 'int8', weights: opts.int8Weights ?? 'u8' }
    : bits === 32
      ? { kind: 'fp32' }
      : { kind: 'nbits', bits, blockSize, ...(opts.residual ? { residual: true } : {}) };
  const linear: LinearPlan = { base, roles: { ...(opts.roles ?? (int8 ? INT8_ROLES : {})) } };
  // int8 graphs are the WASM EP's alone (WebGPU has no MatMulIntegerToFloat): an int8 layer cannot go
  // in a MatMulNBits model; fp32 or MatMulNBits layers can go in an int8 one (the WASM EP runs both).
  for (const [role, f] of Object.entries(linear.roles!))
    if (f.kind === 'int8' && base.kind !== 'int8')
      throw new Error(`${role}: an int8 layer cannot go in a ${base.kind} model (WebGPU runs no int8 layers)`);
  const embedBits = opts.embedBits ?? (int8 || opts.residual ? 8 : bits);
  if (![4, 8, 32].includes(embedBits)) throw new Error(`the embedding table can be stored at 4, 8 or 32 bits, not ${embedBits}`);
  // A 4-bit table under 8-bit or wider linear layers would be most of the model's error.
  if (embedBits < 8 && (int8 || bits > 4))
    throw new Error(
      `the embedding table must be at least 8-bit when the linear layers are ${int8 ? 'int8' : `${bits}-bit`}: use --embed-bits 8 or 32`,
    );
  return { linear, bits: int8 ? 8 : bits, blockSize, embedBits };
}

/** Progress by phase, with the stored checkpoint bytes read so far (counted by withProgress). */
function phasedProgress(source: CheckpointSource, onProgress: (p: ConvertProgress) => void) {
  const total = source.totalTensorBytes ?? 0;
  let phase = 'vision';
  let read = 0;
  const src = withProgress(source, (done) => {
    read = done;
    onProgress({ phase, done, total });
  });
  const enter = (next: string, done = read) => {
    phase = next;
    onProgress({ phase, done, total });
  };
  return { src, enter, total };
}

/** Output files with their size and sha256, for the manifest. */
class ListedOutput {
  readonly files: ShardInfo[] = [];
  constructor(readonly out: FileOutput) {}

  async write(file: string, bytes: Uint8Array): Promise<void> {
    await this.out(file, bytes);
    this.files.push({ file, bytes: bytes.length, sha256: await sha256Hex(bytes) });
  }
}

/**
 * Builds one graph and writes it: ONNX with its weights in shards, or (given an ORT writer) one
 * ORT-format file with the weights inside, built in memory first.
 */
async function writeGraph(
  name: 'vision' | 'decoder',
  build: (sink: WeightSink) => Promise<Uint8Array>,
  output: ListedOutput,
  shardBytes: number,
  toOrtFormat?: ConvertOptions['toOrtFormat'],
): Promise<{ file: string; shards: ShardInfo[] }> {
  if (!toOrtFormat) {
    const shards = new ShardWriter(name, shardBytes, output.out);
    await output.write(`${name}.onnx`, await build(shards));
    return { file: `${name}.onnx`, shards: await shards.finish() };
  }
  const held: { path: string; data: Uint8Array }[] = [];
  const memory = new ShardWriter(`${name}-w`, shardBytes, async (path, data) => void held.push({ path, data }));
  const model = await build(memory);
  await memory.finish();
  await output.write(`${name}.ort`, await toOrtFormat(model, held));
  return { file: `${name}.ort`, shards: [] };
}

/** Copies the tokenizer and the processor files the checkpoint has; returns the manifest's `files`. */
async function copyTokenizerFiles(source: CheckpointSource, output: ListedOutput): Promise<Manifest['files']> {
  const files: Manifest['files'] = { tokenizer: 'tokenizer.json', tokenizerConfig: 'tokenizer_config.json' };
  await output.write('tokenizer.json', await source.readFile('tokenizer.json'));
  await output.write('tokenizer_config.json', await source.readFile('tokenizer_config.json'));
  const optional: [keyof Manifest['files'], string][] = [
    ['chatTemplate', 'chat_template.json'],
    ['preprocessor', 'preprocessor_config.json'],
    ['videoPreprocessor', 'video_preprocessor_config.json'],
  ];
  for (const [key, file] of optional) {
    if (await source.hasFile(file)) {
      await output.write(file, await source.readFile(file));
      files[key] = file;
    }
  }
  return files;
}

export async function convertCheckpoint(source: CheckpointSource, out: FileOutput, opts: ConvertOptions = {}): Promise<Manifest> {
  const cfg = parseConfig(source.rawConfig);
  const { linear, bits, blockSize, embedBits } = storedFormats(opts);
  const shardBytes = Math.floor((opts.shardMB ?? 256) * 1024 * 1024);
  const detected = await detectModelKind(source, opts.kind);
  opts.onKind?.(detected);
  const { kind } = detected;
  // An embedding model has no answer tokens: its graph ends at the final norm.
  const tokens = kind === 'reranker' ? yesNoFromTokenizer(new TextDecoder().decode(await source.readFile('tokenizer.json'))) : undefined;
  const { src, enter, total } = phasedProgress(source, opts.onProgress ?? (() => {}));
  const output = new ListedOutput(out);
  // ORT format is the WASM EP's, for int8 layers only.
  const int8 = linear.base.kind === 'int8';
  const ort = int8 ? opts.toOrtFormat : undefined;

  enter('vision');
  const vision = await writeGraph(
    'vision',
    (sink) => buildVisionGraph(src, cfg, sink, { format: linear, debugBlocks: opts.debugOutputs }),
    output,
    shardBytes,
    ort,
  );
  enter('decoder');
  const head = tokens ? { kind: 'score' as const, yesId: tokens.yes, noId: tokens.no } : { kind: 'hidden' as const };
  const decoderOptions = { format: linear, head, debugHidden: opts.debugOutputs };
  const decoder = await writeGraph('decoder', (sink) => buildDecoderGraph(src, cfg, sink, decoderOptions), output, shardBytes, ort);
  enter('embedding');
  const emb = await writeEmbeddingTable(src, embedBits, blockSize, shardBytes, out);
  const files = await copyTokenizerFiles(source, output);

  const shards = [...output.files, ...vision.shards, ...decoder.shards, ...emb.shards];
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    formatVersion: MANIFEST_VERSION,
    kind,
    id: opts.id ?? (kind === 'embedding' ? 'qwen3-vl-embedding' : 'qwen3-vl-reranker'),
    version: opts.version ?? (await contentVersion(shards)),
    label: opts.label ?? opts.id ?? (kind === 'embedding' ? 'Qwen3-VL-Embedding' : 'Qwen3-VL-Reranker'),
    randomWeights: opts.randomWeights ?? false,
    source: opts.source ?? '',
    config: source.rawConfig,
    weights: {
      bits,
      blockSize,
      activations: 'fp32',
      ...(linear.base.kind === 'int8' ? { linear: 'int8' as const, int8Weights: linear.base.weights ?? 'u8' } : {}),
    },
    ...(tokens ? { tokens } : {}),
    files,
    graphs: {
      vision: { file: vision.file, shards: vision.shards.map((s) => s.file) },
      decoder: { file: decoder.file, shards: decoder.shards.map((s) => s.file) },
    },
    embedding: emb.embedding,
    storage: describeStorage(linear, embedBits, blockSize),
    shards,
    totalBytes: shards.reduce((s, x) => s + x.bytes, 0),
  };
  await out('manifest.json', new TextEncoder().encode(JSON.stringify(manifest, null, 1)));
  enter('done', total);
  return manifest;
}
