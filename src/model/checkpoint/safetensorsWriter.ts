// Writing safetensors files. The header is computed from shapes alone, so tensor bytes can be
// produced afterwards as a stream (the real-size test checkpoint is ~4 GB).

import { DTYPE_BYTES } from './dtypes.ts';
import { elementCount } from './safetensors.ts';

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
}

/** A file described as its size plus a chunk stream (written to disk or concatenated). */
export interface ChunkedFile {
  name: string;
  byteLength: number;
  chunks(): Iterable<Uint8Array>;
}

export interface SafetensorsLayout {
  /** The 8-byte length plus the JSON header, padded with spaces to a multiple of 8. */
  header: Uint8Array;
  /** Byte length of each tensor's data, in the order given. */
  sizes: number[];
  /** Total file size. */
  byteLength: number;
}

export function tensorByteLength(spec: TensorSpec): number {
  const width = DTYPE_BYTES[spec.dtype];
  if (width === undefined) throw new Error(`tensor "${spec.name}": unknown dtype ${spec.dtype}`);
  return elementCount(spec.shape) * width;
}

/** Lays out a safetensors file whose tensor data follows the header in the order of `specs`. */
export function safetensorsLayout(specs: readonly TensorSpec[], metadata: Record<string, string> = { format: 'pt' }): SafetensorsLayout {
  const header: Record<string, unknown> = { __metadata__: metadata };
  const sizes: number[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.name in header) throw new Error(`duplicate tensor name "${spec.name}"`);
    const size = tensorByteLength(spec);
    header[spec.name] = { dtype: spec.dtype, shape: spec.shape, data_offsets: [offset, offset + size] };
    sizes.push(size);
    offset += size;
  }
  let json = JSON.stringify(header);
  // Pad so tensor data starts 8-byte aligned, like the reference writer.
  const raw = new TextEncoder().encode(json);
  json += ' '.repeat((8 - (raw.byteLength % 8)) % 8);
  const body = new TextEncoder().encode(json);
  const bytes = new Uint8Array(8 + body.byteLength);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(body.byteLength), true);
  bytes.set(body, 8);
  return { header: bytes, sizes, byteLength: bytes.byteLength + offset };
}

/** A whole safetensors file in memory, for small checkpoints and tests. */
export function encodeSafetensors(tensors: readonly (TensorSpec & { data: Uint8Array })[], metadata?: Record<string, string>): Uint8Array {
  const layout = safetensorsLayout(tensors, metadata);
  const out = new Uint8Array(layout.byteLength);
  out.set(layout.header, 0);
  let pos = layout.header.byteLength;
  tensors.forEach((t, i) => {
    if (t.data.byteLength !== layout.sizes[i]) {
      throw new Error(`tensor "${t.name}": ${t.data.byteLength} data bytes, expected ${layout.sizes[i]}`);
    }
    out.set(t.data, pos);
    pos += t.data.byteLength;
  });
  return out;
}

/** Concatenates a chunked file into one buffer (checks the announced size). */
export function collectChunks(file: ChunkedFile): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(file.byteLength);
  let pos = 0;
  for (const chunk of file.chunks()) {
    if (pos + chunk.byteLength > out.byteLength) throw new Error(`${file.name}: more bytes than the announced ${file.byteLength}`);
    out.set(chunk, pos);
    pos += chunk.byteLength;
  }
  if (pos !== out.byteLength) throw new Error(`${file.name}: ${pos} bytes produced, ${file.byteLength} announced`);
  return out;
}
