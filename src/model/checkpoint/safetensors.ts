// Reading a safetensors header: an 8-byte little-endian length, then that many bytes of JSON
// mapping tensor names to {dtype, shape, data_offsets}. Only the header is read here; tensor
// bytes are fetched later, one tensor (or a few rows) at a time.

import { DTYPE_BYTES } from './dtypes.ts';
import type { ByteSource } from './sources.ts';

/** The safetensors reference implementation refuses headers above 100 MB; so do we. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  name: string;
  dtype: string;
  shape: number[];
  /** The safetensors file holding it (relative name). */
  file: string;
  /** Absolute byte offsets in that file: [begin, end). */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  file: string;
  fileSize: number;
  /** Where tensor data starts (8 + header length). */
  dataStart: number;
  metadata: Record<string, string>;
  tensors: TensorInfo[];
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Validates one header entry and turns it into a TensorInfo with absolute offsets. */
function parseEntry(file: string, name: string, raw: unknown, dataStart: number, dataSize: number): TensorInfo {
  const where = `${file}: tensor "${name}"`;
  if (!raw || typeof raw !== 'object') throw new Error(`${where}: header entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string') throw new Error(`${where}: dtype missing`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where}: bad shape ${JSON.stringify(shape)}`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    throw new Error(`${where}: bad data_offsets ${JSON.stringify(offsets)}`);
  }
  const [b, e] = offsets as [number, number];
  if (e > dataSize) {
    throw new Error(`${where}: bytes ${b}–${e} of the data section are out of range (the file holds ${dataSize} data bytes; truncated?)`);
  }
  const width = DTYPE_BYTES[dtype];
  if (width !== undefined && e - b !== elementCount(shape) * width) {
    throw new Error(
      `${where}: ${dtype} ${JSON.stringify(shape)} needs ${elementCount(shape) * width} bytes but data_offsets span ${e - b}`,
    );
  }
  return { name, dtype, shape: shape.slice(), file, begin: dataStart + b, end: dataStart + e };
}

/** Reads and validates the header of one safetensors file. */
export async function readSafetensorsHeader(source: ByteSource, file = source.name): Promise<SafetensorsHeader> {
  const fileSize = await source.size();
  if (fileSize < 8) throw new Error(`${file}: only ${fileSize} bytes, too short for a safetensors file (truncated?)`);
  const lenBytes = await source.read(0, 8);
  const headerLen = new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${file}: header length ${headerLen} is absurd (limit ${MAX_HEADER_BYTES}); not a safetensors file?`);
  }
  const len = Number(headerLen);
  if (len < 2) throw new Error(`${file}: header length ${len} is too small; not a safetensors file?`);
  if (8 + len > fileSize) {
    throw new Error(`${file}: header says ${len} bytes but the file has only ${fileSize - 8} after the length (truncated?)`);
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(await source.read(8, len));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: header is not valid JSON (${(err as Error).message}); not a safetensors file?`);
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new Error(`${file}: header JSON is not an object`);
  const dataStart = 8 + len;
  const dataSize = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: TensorInfo[] = [];
  for (const [name, entry] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (entry && typeof entry === 'object') Object.assign(metadata, entry);
      continue;
    }
    tensors.push(parseEntry(file, name, entry, dataStart, dataSize));
  }
  return { file, fileSize, dataStart, metadata, tensors };
}

/** The `model.safetensors.index.json` of a sharded checkpoint: tensor name → shard file. */
export function parseShardIndex(json: unknown, file = 'model.safetensors.index.json'): Map<string, string> {
  const map = (json as { weight_map?: unknown } | null)?.weight_map;
  if (!map || typeof map !== 'object' || Array.isArray(map)) throw new Error(`${file}: "weight_map" object missing`);
  const out = new Map<string, string>();
  for (const [name, shard] of Object.entries(map as Record<string, unknown>)) {
    if (typeof shard !== 'string') throw new Error(`${file}: weight_map["${name}"] is not a file name`);
    out.set(name, shard);
  }
  return out;
}
