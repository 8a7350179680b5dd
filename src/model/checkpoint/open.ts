// Opening a Qwen3-VL checkpoint: config.json, then the safetensors headers (one file or the shards
// named by model.safetensors.index.json). Tensor data is read on demand, in bounded chunks, so the
// checkpoint is never held in memory as a whole.

import { type ModelConfig, parseConfig } from '../config.ts';
import { DTYPE_BYTES, FLOAT_DTYPES, decodeToFloat32, isFloatDtype } from './dtypes.ts';
import type { CheckpointLocation } from './locations.ts';
import { elementCount, parseShardIndex, readSafetensorsHeader, type TensorInfo } from './safetensors.ts';
import type { ByteSource } from './sources.ts';

export type { TensorInfo } from './safetensors.ts';

export const SINGLE_FILE = 'model.safetensors';
export const SHARD_INDEX = 'model.safetensors.index.json';

/** Side files probed on locations that cannot list their files (URLs). */
export const KNOWN_SIDE_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'chat_template.json',
  'chat_template.jinja',
  'preprocessor_config.json',
  'video_preprocessor_config.json',
  'generation_config.json',
  'vocab.json',
  'merges.txt',
];

/** Tensor reads are split into requests of at most this many bytes (bounds memory and HTTP bodies). */
const READ_CHUNK_BYTES = 64 * 1024 * 1024;

export interface Checkpoint {
  readonly location: CheckpointLocation;
  readonly config: ModelConfig;
  readonly rawConfig: Record<string, unknown>;
  /** Every tensor of every safetensors file, by name. */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The safetensors files, in index order. */
  readonly files: readonly string[];
  /** The tensor's entry; throws naming the tensor when it is absent. */
  tensor(name: string): TensorInfo;
  has(name: string): boolean;
  shape(name: string): number[];
  /** Stored bytes of a tensor (for progress). */
  tensorBytes(name: string): number;
  /** The whole tensor widened to float32. */
  readTensor(name: string): Promise<Float32Array>;
  /** Rows [rowStart, rowStart + rowCount) of a tensor's first dimension, widened to float32. */
  readRows(name: string, rowStart: number, rowCount: number): Promise<Float32Array>;
  /** The tensor's raw bytes in its stored dtype. */
  readTensorBytes(name: string): Promise<Uint8Array>;
  /** A whole non-tensor file (tokenizer.json, chat_template.json, …). */
  readFile(name: string): Promise<Uint8Array>;
  readJson(name: string): Promise<unknown>;
  /** Whether a side file exists (listed at open; on URLs, KNOWN_SIDE_FILES were probed). */
  hasFile(name: string): boolean;
  /** Releases open file handles (Node). */
  close(): Promise<void>;
}

async function readWhole(location: CheckpointLocation, name: string): Promise<Uint8Array> {
  const src = await location.open(name);
  try {
    return await src.read(0, await src.size());
  } finally {
    await src.close?.();
  }
}

function parseJson(bytes: Uint8Array, where: string): unknown {
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new Error(`${where}: not valid JSON (${(err as Error).message})`);
  }
}

/** Opens a checkpoint and reads its config and every safetensors header (a few KB–MB of I/O). */
export async function openCheckpoint(location: CheckpointLocation): Promise<Checkpoint> {
  const where = (file: string) => location.description.replace(/\/?$/, '/') + file;
  const rawConfig = parseJson(await readWhole(location, 'config.json'), where('config.json'));
  if (!rawConfig || typeof rawConfig !== 'object') throw new Error(`${where('config.json')}: not a JSON object`);
  const config = parseConfig(rawConfig);

  // A shard index, when present, is authoritative; otherwise a single model.safetensors.
  let indexMap: Map<string, string> | null = null;
  let files: string[];
  if (await location.has(SHARD_INDEX)) {
    indexMap = parseShardIndex(parseJson(await readWhole(location, SHARD_INDEX), where(SHARD_INDEX)), where(SHARD_INDEX));
    files = [...new Set(indexMap.values())];
  } else if (await location.has(SINGLE_FILE)) {
    files = [SINGLE_FILE];
  } else {
    throw new Error(`${location.description}: neither ${SINGLE_FILE} nor ${SHARD_INDEX} found`);
  }

  const sources = new Map<string, ByteSource>();
  const tensors = new Map<string, TensorInfo>();
  let present: Set<string>;
  try {
    const headers = await Promise.all(
      files.map(async (file) => {
        const src = await location.open(file);
        sources.set(file, src);
        return readSafetensorsHeader(src, where(file));
      }),
    );
    headers.forEach((header, i) => {
      for (const t of header.tensors) {
        if (tensors.has(t.name)) throw new Error(`${where(files[i])}: tensor "${t.name}" also appears in ${tensors.get(t.name)!.file}`);
        tensors.set(t.name, { ...t, file: files[i] });
      }
    });
    if (indexMap) {
      for (const [name, file] of indexMap) {
        const t = tensors.get(name);
        if (!t || t.file !== file) {
          throw new Error(`${where(SHARD_INDEX)}: maps tensor "${name}" to ${file}, but ${file} has no such tensor`);
        }
      }
    }
    present = location.list
      ? new Set(await location.list())
      : new Set((await Promise.all(KNOWN_SIDE_FILES.map(async (f) => ((await location.has(f)) ? f : null)))).filter((f) => f !== null));
  } catch (err) {
    await Promise.all([...sources.values()].map((s) => s.close?.()));
    throw err;
  }
  for (const f of files) present.add(f);
  present.add('config.json');
  if (indexMap) present.add(SHARD_INDEX);
  return new OpenCheckpoint(location, config, rawConfig as Record<string, unknown>, tensors, files, sources, present);
}

class OpenCheckpoint implements Checkpoint {
  constructor(
    readonly location: CheckpointLocation,
    readonly config: ModelConfig,
    readonly rawConfig: Record<string, unknown>,
    readonly tensors: ReadonlyMap<string, TensorInfo>,
    readonly files: readonly string[],
    private readonly sources: Map<string, ByteSource>,
    private readonly present: ReadonlySet<string>,
  ) {}

  /** A file's full name for error messages. */
  private where(file: string): string {
    return this.location.description.replace(/\/?$/, '/') + file;
  }

  tensor(name: string): TensorInfo {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`${this.location.description}: checkpoint has no tensor "${name}"`);
    return t;
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  shape(name: string): number[] {
    return this.tensor(name).shape.slice();
  }

  tensorBytes(name: string): number {
    const t = this.tensor(name);
    return t.end - t.begin;
  }

  private floatTensor(name: string): TensorInfo & { dtype: (typeof FLOAT_DTYPES)[number] } {
    const t = this.tensor(name);
    if (!isFloatDtype(t.dtype)) {
      throw new Error(`${this.where(t.file)}: tensor "${name}" has dtype ${t.dtype}, unsupported (supported: ${FLOAT_DTYPES.join(', ')})`);
    }
    return t as TensorInfo & { dtype: (typeof FLOAT_DTYPES)[number] };
  }

  /** Decodes bytes [begin, end) of a tensor's file into `out`, in bounded requests. */
  private async decodeRange(t: TensorInfo & { dtype: (typeof FLOAT_DTYPES)[number] }, begin: number, end: number, out: Float32Array) {
    const width = DTYPE_BYTES[t.dtype];
    const src = this.sources.get(t.file)!;
    const step = READ_CHUNK_BYTES - (READ_CHUNK_BYTES % width);
    for (let pos = begin; pos < end; pos += step) {
      const len = Math.min(step, end - pos);
      let bytes: Uint8Array;
      try {
        bytes = await src.read(pos, len);
      } catch (err) {
        throw new Error(`${this.where(t.file)}: reading tensor "${t.name}" failed: ${(err as Error).message}`, { cause: err });
      }
      decodeToFloat32(t.dtype, bytes, out, (pos - begin) / width);
    }
    return out;
  }

  async readTensor(name: string): Promise<Float32Array> {
    const t = this.floatTensor(name);
    return this.decodeRange(t, t.begin, t.end, new Float32Array(elementCount(t.shape)));
  }

  async readRows(name: string, rowStart: number, rowCount: number): Promise<Float32Array> {
    const t = this.floatTensor(name);
    if (t.shape.length < 1) throw new Error(`tensor "${name}" is a scalar; it has no rows`);
    const rows = t.shape[0];
    if (!Number.isSafeInteger(rowStart) || !Number.isSafeInteger(rowCount) || rowStart < 0 || rowCount < 0 || rowStart + rowCount > rows) {
      throw new Error(`tensor "${name}": rows ${rowStart}..${rowStart + rowCount - 1} requested, it has ${rows}`);
    }
    const rowElems = elementCount(t.shape.slice(1));
    const rowBytes = rowElems * DTYPE_BYTES[t.dtype];
    const begin = t.begin + rowStart * rowBytes;
    return this.decodeRange(t, begin, begin + rowCount * rowBytes, new Float32Array(rowCount * rowElems));
  }

  async readTensorBytes(name: string): Promise<Uint8Array> {
    const t = this.tensor(name);
    return this.sources.get(t.file)!.read(t.begin, t.end - t.begin);
  }

  readFile(name: string): Promise<Uint8Array> {
    return readWhole(this.location, name);
  }

  async readJson(name: string): Promise<unknown> {
    return parseJson(await this.readFile(name), `${this.location.description} ${name}`);
  }

  hasFile(name: string): boolean {
    return this.present.has(name);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sources.values()].map((s) => s.close?.()));
  }
}
