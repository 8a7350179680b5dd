// Block-wise asymmetric quantization in onnxruntime's MatMulNBits layout, used for every large
// matrix and for the embedding table (whose rows are dequantized in JS, see dequantizeRows).
//   packed      uint8 [N, blocks, block·bits/8]   (4-bit: low nibble = even element)
//   scales      f32   [N, blocks]
//   zeroPoints  uint8 [N, ceil(blocks·bits/8)]    (4-bit: low nibble = even block)
// weight[n, k] = (q − zp) · scale ; MatMulNBits computes A · Wᵀ like a torch Linear.

export type Bits = 4 | 8;

export interface QuantizedMatrix {
  rows: number; // N (output features / vocabulary rows)
  cols: number; // K (input features)
  bits: Bits;
  blockSize: number;
  packed: Uint8Array;
  scales: Float32Array;
  zeroPoints: Uint8Array;
}

export function blocksPerRow(cols: number, blockSize: number): number {
  return Math.ceil(cols / blockSize);
}

export function quantizeMatrix(w: Float32Array, rows: number, cols: number, bits: Bits, blockSize = 32): QuantizedMatrix {
  if (w.length !== rows * cols) throw new Error(`quantize: ${w.length} values is not ${rows}×${cols}`);
  const blocks = blocksPerRow(cols, blockSize);
  const blob = (blockSize * bits) / 8;
  const zpRow = Math.ceil((blocks * bits) / 8);
  const qmax = (1 << bits) - 1;
  const packed = new Uint8Array(rows * blocks * blob);
  const scales = new Float32Array(rows * blocks);
  const zeroPoints = new Uint8Array(rows * zpRow);
  for (let n = 0; n < rows; n++) {
    const rowOff = n * cols;
    for (let b = 0; b < blocks; b++) {
      const k0 = b * blockSize;
      const k1 = Math.min(cols, k0 + blockSize);
      // The range always contains 0 so that exact zeros (padding) stay exact.
      let lo = 0;
      let hi = 0;
      for (let k = k0; k < k1; k++) {
        const v = w[rowOff + k];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      let scale = (hi - lo) / qmax;
      if (!(scale > 0) || !Number.isFinite(scale)) scale = 1;
      scale = Math.fround(scale);
      const zp = Math.min(qmax, Math.max(0, Math.round(-lo / scale)));
      scales[n * blocks + b] = scale;
      if (bits === 4) {
        const zi = n * zpRow + (b >> 1);
        zeroPoints[zi] |= b & 1 ? zp << 4 : zp;
      } else {
        zeroPoints[n * zpRow + b] = zp;
      }
      const base = (n * blocks + b) * blob;
      for (let k = k0; k < k1; k++) {
        const q = Math.min(qmax, Math.max(0, Math.round(w[rowOff + k] / scale) + zp));
        const j = k - k0;
        if (bits === 4) packed[base + (j >> 1)] |= j & 1 ? q << 4 : q;
        else packed[base + j] = q;
      }
      // Padding elements of a partial block quantize to zp (exact 0), as the kernel expects.
      for (let j = k1 - k0; j < blockSize; j++) {
        if (bits === 4) packed[base + (j >> 1)] |= j & 1 ? zp << 4 : zp;
        else packed[base + j] = zp;
      }
    }
  }
  return { rows, cols, bits, blockSize, packed, scales, zeroPoints };
}

/** Dequantizes rows [start, start+count) into a Float32Array [count, cols]. */
export function dequantizeRows(q: QuantizedMatrix, start: number, count: number, out?: Float32Array): Float32Array {
  return dequantizeRowList(
    q,
    Array.from({ length: count }, (_, i) => start + i),
    out,
  );
}

/** Dequantizes the listed rows (e.g. token ids) into [ids.length, cols]. */
export function dequantizeRowList(q: QuantizedMatrix, ids: ArrayLike<number>, out?: Float32Array): Float32Array {
  const { cols, bits, blockSize } = q;
  const blocks = blocksPerRow(cols, blockSize);
  const blob = (blockSize * bits) / 8;
  const zpRow = Math.ceil((blocks * bits) / 8);
  const result = out ?? new Float32Array(ids.length * cols);
  for (let r = 0; r < ids.length; r++) {
    const n = ids[r];
    if (!(n >= 0 && n < q.rows)) throw new Error(`dequantize: row ${n} is outside 0…${q.rows - 1}`);
    for (let b = 0; b < blocks; b++) {
      const scale = q.scales[n * blocks + b];
      const zpByte = q.zeroPoints[n * zpRow + (bits === 4 ? b >> 1 : b)];
      const zp = bits === 4 ? (b & 1 ? zpByte >> 4 : zpByte & 15) : zpByte;
      const base = (n * blocks + b) * blob;
      const k0 = b * blockSize;
      const k1 = Math.min(cols, k0 + blockSize);
      for (let k = k0; k < k1; k++) {
        const j = k - k0;
        const qv = bits === 4 ? (j & 1 ? q.packed[base + (j >> 1)] >> 4 : q.packed[base + (j >> 1)] & 15) : q.packed[base + j];
        result[r * cols + k] = (qv - zp) * scale;
      }
    }
  }
  return result;
}
