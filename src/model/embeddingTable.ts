// The token embedding table as stored and read: row ranges ("parts"), each inside one shard file, as
// fp32 values or block-quantized (quantize.ts). Rows are split into parts so that no file exceeds the
// shard limit (the 2B's table is 311 MB at 8 bits, 1.24 GB at fp32) and no buffer comes near a
// browser's largest ArrayBuffer; the engine looks rows up part by part, never joining them.
import { embeddingFiles, embeddingParts, type ByteRange, type EmbeddingBits, type Manifest } from '../store/manifest.ts';

export { embeddingFiles, embeddingParts };
import { blocksPerRow, dequantizeRowList, type QuantizedMatrix } from './quantize.ts';

export type { EmbeddingBits, EmbeddingPart } from '../store/manifest.ts';

/** Bytes one row takes in each stored array. */
export function rowBytes(cols: number, bits: EmbeddingBits, blockSize: number): { packed: number; scales: number; zeroPoints: number } {
  if (bits === 32) return { packed: cols * 4, scales: 0, zeroPoints: 0 };
  const blocks = blocksPerRow(cols, blockSize);
  return { packed: (blocks * blockSize * bits) / 8, scales: blocks * 4, zeroPoints: Math.ceil((blocks * bits) / 8) };
}

interface LoadedPart {
  first: number;
  rows: number;
  fp32?: Float32Array;
  quantized?: QuantizedMatrix;
}

export class EmbeddingTable {
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly bits: EmbeddingBits,
    private parts: LoadedPart[],
  ) {}

  /** Rows of the listed token ids, as fp32 [ids.length, cols]. */
  rowsOf(ids: ArrayLike<number>): Float32Array {
    const { cols } = this;
    const out = new Float32Array(ids.length * cols);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < this.rows))
        throw new Error(`token id ${id} is outside the embedding table (0…${this.rows - 1})`);
      const p = this.partOf(id);
      const local = id - p.first;
      if (p.fp32) out.set(p.fp32.subarray(local * cols, (local + 1) * cols), i * cols);
      else dequantizeRowList(p.quantized!, [local], out.subarray(i * cols, (i + 1) * cols));
    }
    return out;
  }

  /** Rows [start, start + count). */
  rowRange(start: number, count: number): Float32Array {
    return this.rowsOf(Array.from({ length: count }, (_, i) => start + i));
  }

  private partOf(id: number): LoadedPart {
    let lo = 0;
    let hi = this.parts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.parts[mid].first <= id) lo = mid;
      else hi = mid - 1;
    }
    return this.parts[lo];
  }
}

/** A Float32Array over a byte range: a view when aligned, else a copy. */
function floats(bytes: Uint8Array, r: ByteRange): Float32Array {
  const at = bytes.byteOffset + r.offset;
  if (at % 4 === 0) return new Float32Array(bytes.buffer, at, r.length / 4);
  return new Float32Array(bytes.slice(r.offset, r.offset + r.length).buffer);
}

/** The table from its files' bytes (`fileBytes` returns a whole file named by the manifest). */
export function embeddingTableOf(e: Manifest['embedding'], fileBytes: (file: string) => Uint8Array): EmbeddingTable {
  const sized = (r: ByteRange, expected: number, what: string) => {
    const bytes = fileBytes(r.file);
    if (r.length !== expected || r.offset + r.length > bytes.length) {
      throw new Error(
        `manifest.json: the embedding table's ${what} (${r.file} at ${r.offset}, ${r.length} bytes) does not fit its file (${bytes.length} bytes) or its rows; re-convert the model`,
      );
    }
    return bytes;
  };
  const per = rowBytes(e.cols, e.bits, e.blockSize);
  let first = 0;
  const parts = embeddingParts(e).map((p): LoadedPart => {
    const part: LoadedPart = { first, rows: p.rows };
    first += p.rows;
    if (e.bits === 32) {
      part.fp32 = floats(sized(p.values!, p.rows * per.packed, 'values'), p.values!);
      return part;
    }
    const view = (r: ByteRange, n: number, what: string) => sized(r, n, what).subarray(r.offset, r.offset + r.length);
    part.quantized = {
      rows: p.rows,
      cols: e.cols,
      bits: e.bits,
      blockSize: e.blockSize,
      packed: view(p.packed!, p.rows * per.packed, 'packed rows'),
      scales: floats(sized(p.scales!, p.rows * per.scales, 'scales'), p.scales!),
      zeroPoints: view(p.zeroPoints!, p.rows * per.zeroPoints, 'zero points'),
    };
    return part;
  });
  return new EmbeddingTable(e.rows, e.cols, e.bits, parts);
}
