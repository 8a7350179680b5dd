// Writes the token embedding table (fp32, or block-quantized) into shards of at most the shard limit,
// split by rows into parts (embeddingTable.ts), reading the checkpoint a bounded number of rows at a time.
import type { Manifest } from './manifest.ts';
import { textNames } from './names.ts';
import { quantizeMatrix } from './quantize.ts';
import { rowBytes, type EmbeddingBits, type EmbeddingPart } from './embeddingTable.ts';
import type { ShardInfo, ShardOutput } from './shards.ts';
import { ShardWriter } from './shards.ts';
import type { CheckpointSource } from './checkpointSource.ts';

const ALIGN = 64; // ShardWriter's alignment: at most this much padding before each array of a part
const STEP = 8192; // rows per checkpoint read: the 151,936-row table is never held whole in fp32

/** Rows per part such that one part's arrays (and their padding) fit in `maxBytes`. */
export function rowsPerPart(cols: number, bits: EmbeddingBits, blockSize: number, maxBytes: number): number {
  const per = rowBytes(cols, bits, blockSize);
  const rows = Math.floor((maxBytes - 2 * ALIGN) / (per.packed + per.scales + per.zeroPoints));
  if (rows < 1) throw new Error(`the shard limit (${maxBytes} bytes) is smaller than one row of the embedding table`);
  return rows;
}

async function readRows(src: CheckpointSource, start: number, count: number, cols: number): Promise<Float32Array> {
  if (src.readRows) return src.readRows(textNames.embed, start, count);
  return (await src.readTensor(textNames.embed)).subarray(start * cols, (start + count) * cols);
}

/** One part's arrays: rows [first, first + rows), read and converted STEP rows at a time. */
async function partArrays(src: CheckpointSource, first: number, rows: number, cols: number, bits: EmbeddingBits, blockSize: number) {
  const per = rowBytes(cols, bits, blockSize);
  const packed = new Uint8Array(rows * per.packed);
  const scales = new Uint8Array(rows * per.scales);
  const zeroPoints = new Uint8Array(rows * per.zeroPoints);
  for (let r = 0; r < rows; r += STEP) {
    const n = Math.min(STEP, rows - r);
    const data = await readRows(src, first + r, n, cols);
    if (bits === 32) {
      packed.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), r * per.packed);
      continue;
    }
    const q = quantizeMatrix(data, n, cols, bits, blockSize);
    packed.set(q.packed, r * per.packed);
    scales.set(new Uint8Array(q.scales.buffer, q.scales.byteOffset, q.scales.byteLength), r * per.scales);
    zeroPoints.set(q.zeroPoints, r * per.zeroPoints);
  }
  return { packed, scales, zeroPoints };
}

/**
 * Writes the table to embed-NNN.bin shards. A quantized table that fits one shard keeps the single-part
 * layout (packed, scales, zero points in embed-000.bin, named directly by the manifest); anything
 * larger, and any fp32 table, is listed as parts, one per shard.
 */
export async function writeEmbeddingTable(
  src: CheckpointSource,
  bits: EmbeddingBits,
  blockSize: number,
  maxBytes: number,
  out: ShardOutput,
): Promise<{ embedding: Manifest['embedding']; shards: ShardInfo[] }> {
  const [rows, cols] = src.shape(textNames.embed);
  const perPart = rowsPerPart(cols, bits, blockSize, maxBytes);
  const writer = new ShardWriter('embed', maxBytes, out);
  const range = (r: { location: string; offset: number; length: number }) => ({ file: r.location, offset: r.offset, length: r.length });
  const parts: EmbeddingPart[] = [];
  for (let first = 0; first < rows; first += perPart) {
    const n = Math.min(perPart, rows - first);
    const a = await partArrays(src, first, n, cols, bits, blockSize);
    if (bits === 32) {
      parts.push({ rows: n, values: range(writer.write('embed.values', a.packed)) });
    } else {
      const packed = range(writer.write('embed.q', a.packed));
      const scales = range(writer.write('embed.scales', a.scales));
      const zeroPoints = range(writer.write('embed.zp', a.zeroPoints));
      parts.push({ rows: n, packed, scales, zeroPoints });
    }
    writer.endShard();
  }
  const shards = await writer.finish();
  const embedding: Manifest['embedding'] = { rows, cols, bits, blockSize };
  if (bits !== 32 && parts.length === 1)
    Object.assign(embedding, { packed: parts[0].packed, scales: parts[0].scales, zeroPoints: parts[0].zeroPoints });
  else embedding.parts = parts;
  return { embedding, shards };
}
