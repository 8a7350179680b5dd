// The WASM EP's fast weight format: made once at conversion (int8Graph.ts, `sift convert --linear int8`)
// or at load time (LoadOptions.matmul), from the stored 4/8-bit blocks.
//
// On onnxruntime-web's WASM EP, MatMulNBits has no quantized kernel: it dequantizes the whole weight to
// fp32 on every call and runs an fp32 GEMM (measured here: ≈30 GFLOP/s at best, ≈5 at 16 tokens),
// while its int8 GEMM (MLAS u8·s8, used by MatMulIntegerToFloat) runs about twice as fast. So on WASM
// every MatMulNBits node of a converted graph is rewritten into
//   per-token symmetric int8 quantization of the activations (scale = max|x| of the row / 127)
//   → MatMulIntegerToFloat(x_q, W_int8 [K, N], row scale [.., 1], column scale [N], zero point 128)
// with W requantized from its 4/8-bit blocks to int8 with one scale per output column.
// Per-token (not per-tensor, as DynamicQuantizeMatMul does) matters twice: one token with a massive
// activation does not wreck the precision of every other token in the call, and a token's result
// does not depend on which other tokens share the call (packing and prefix reuse stay exact).
// The graph is edited at the protobuf level: only MatMulNBits nodes and their initializers change.
import { DType } from './onnx/graph.ts';
import { body, concat, lenField, nodeProto, parseFields, parseNode, parseTensor, tensorBytes, tensorProto, type Field, type TensorInfo } from './onnx/protoRead.ts';
import { requant4Simd } from './requantWasm.ts';

/** One matrix to requantize (requantizeInt8's arguments). */
export interface RequantJob {
  packed: Uint8Array;
  blockScales: Float32Array;
  zeroPoints: Uint8Array | null;
  N: number;
  K: number;
  bits: number;
  blockSize: number;
}

/** Runs requantization jobs, possibly elsewhere (src/engine/requantPool.ts: a Worker in browsers). */
export interface Requantizer {
  run(job: RequantJob): Promise<Int8Matrix>;
  close(): void;
}

// ── Requantization ────────────────────────────────────────────────────────────────────────────

export interface Int8Matrix {
  /** int8 weights laid out [K, N] (B of A·B). */
  weights: Int8Array;
  /** One scale per output column: W[n, k] ≈ weights[k, n] · scales[n]. */
  scales: Float32Array;
}

/**
 * MatMulNBits blocks (packed [N, blocks, blockSize·bits/8], scales [N·blocks], zero points
 * [N, ceil(blocks·bits/8)] or none = 2^(bits−1)) → symmetric int8 with one scale per column n.
 * Each block's 2^bits levels map through a small table, so no fp32 copy of W is ever made.
 */
export function requantizeInt8(
  packed: Uint8Array,
  blockScales: Float32Array,
  zeroPoints: Uint8Array | null,
  N: number,
  K: number,
  bits: number,
  blockSize: number,
  out?: Int8Array,
  opts: { simd?: boolean } = {},
): Int8Matrix {
  if (bits !== 4 && bits !== 8) throw new Error(`int8 rewrite: ${bits}-bit weights are not supported`);
  const blocks = Math.ceil(K / blockSize);
  const blob = (blockSize * bits) / 8;
  const zpRow = Math.ceil((blocks * bits) / 8);
  const levels = 1 << bits;
  const defaultZp = levels >> 1;
  if (packed.length < N * blocks * blob || blockScales.length < N * blocks) throw new Error('int8 rewrite: MatMulNBits weights are shorter than K, N say');
  const zpOf = (n: number, b: number) => {
    if (!zeroPoints) return defaultZp;
    if (bits === 8) return zeroPoints[n * zpRow + b];
    const byte = zeroPoints[n * zpRow + (b >> 1)];
    return b & 1 ? byte >> 4 : byte & 15;
  };
  const scales = new Float32Array(N);
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let b = 0; b < blocks; b++) {
      const s = Math.abs(blockScales[n * blocks + b]);
      const z = zpOf(n, b);
      m = Math.max(m, s * Math.max(z, levels - 1 - z));
    }
    scales[n] = m > 0 ? m / 127 : 1;
  }
  const weights = out ?? new Int8Array(K * N);
  // The common case (4-bit, block 32, whole blocks, N % 16 == 0) runs in a WebAssembly SIMD kernel.
  if (opts.simd !== false && bits === 4 && blockSize === 32 && K === blocks * 32) {
    const zps = zeroPoints ?? new Uint8Array(N * zpRow).fill(0x88);
    if (requant4Simd(packed, blockScales, zps, scales, N, blocks, weights)) return { weights, scales };
  }
  const lut = new Int8Array(levels);
  const TILE = 64; // output columns per pass: each k row then gets one 64-byte run per block
  for (let n0 = 0; n0 < N; n0 += TILE) {
    const n1 = Math.min(N, n0 + TILE);
    for (let b = 0; b < blocks; b++) {
      const k0 = b * blockSize;
      const count = Math.min(K, k0 + blockSize) - k0;
      for (let n = n0; n < n1; n++) {
        const ratio = blockScales[n * blocks + b] / scales[n];
        const z = zpOf(n, b);
        for (let q = 0; q < levels; q++) lut[q] = Math.max(-127, Math.min(127, Math.round((q - z) * ratio)));
        const base = (n * blocks + b) * blob;
        let o = k0 * N + n;
        if (bits === 4) {
          for (let j = 0; j < count; j += 2) {
            const byte = packed[base + (j >> 1)];
            weights[o] = lut[byte & 15];
            o += N;
            if (j + 1 < count) {
              weights[o] = lut[byte >> 4];
              o += N;
            }
          }
        } else {
          for (let j = 0; j < count; j++, o += N) weights[o] = lut[packed[base + j]];
        }
      }
    }
  }
  return { weights, scales };
}

// ── The graph rewrite ─────────────────────────────────────────────────────────────────────────

export interface Int8Rewrite {
  model: Uint8Array;
  /** New external-data files holding the int8 weights (pass them with the original shards). */
  externalData: { path: string; data: Uint8Array }[];
  /** MatMulNBits nodes rewritten. */
  matrices: number;
  /** Bytes of int8 weights and scales. */
  bytes: number;
}

const MS_DOMAIN = 'com.microsoft';

/** One MatMulNBits weight to requantize, and where its int8 weights and scales go. */
interface Target {
  job: RequantJob;
  weights: Uint8Array;
  scales: Uint8Array;
}

interface Plan {
  result: Int8Rewrite;
  targets: Target[];
}

/**
 * Rewrites every MatMulNBits node of an ONNX model (weights as initializers, inline or in `files`)
 * into per-token int8 activations + MatMulIntegerToFloat on int8 weights. Other nodes and
 * initializers are copied byte for byte; the int8 weights go to new external-data files named
 * `<prefix>-int8-NNN.bin` of at most `fileBytes` each.
 */
export function rewriteMatMulNBitsToInt8(model: Uint8Array, files: ReadonlyMap<string, Uint8Array>, opts: { prefix: string; fileBytes?: number }): Int8Rewrite {
  const { result, targets } = plan(model, files, opts);
  for (const t of targets) {
    const j = t.job;
    const r = requantizeInt8(j.packed, j.blockScales, j.zeroPoints, j.N, j.K, j.bits, j.blockSize, new Int8Array(t.weights.buffer, t.weights.byteOffset, j.K * j.N));
    t.scales.set(new Uint8Array(r.scales.buffer));
  }
  return result;
}

/** The same, with the requantization done by `requantizer` (a Worker in browsers), two matrices in flight. */
export async function rewriteMatMulNBitsToInt8Async(
  model: Uint8Array,
  files: ReadonlyMap<string, Uint8Array>,
  opts: { prefix: string; fileBytes?: number; requantizer: Requantizer },
): Promise<Int8Rewrite> {
  const { result, targets } = plan(model, files, opts);
  let next = 0;
  const lane = async () => {
    while (next < targets.length) {
      const t = targets[next++];
      const r = await opts.requantizer.run(t.job);
      t.weights.set(new Uint8Array(r.weights.buffer, r.weights.byteOffset, r.weights.byteLength));
      t.scales.set(new Uint8Array(r.scales.buffer, r.scales.byteOffset, r.scales.byteLength));
    }
  };
  await Promise.all([lane(), lane()]);
  return result;
}

function plan(model: Uint8Array, files: ReadonlyMap<string, Uint8Array>, opts: { prefix: string; fileBytes?: number }): Plan {
  const top = parseFields(model);
  const graphField = top.find((f) => f.no === 7 && f.wire === 2);
  if (!graphField) throw new Error('int8 rewrite: the model has no graph');
  const graph = body(model, graphField);
  const gFields = parseFields(graph);

  const initializers = new Map<string, TensorInfo>();
  const initOf = new Map<Field, string>();
  for (const f of gFields) if (f.no === 5) {
    const t = parseTensor(body(graph, f));
    initializers.set(t.name, t);
    initOf.set(f, t.name);
  }
  const nodes = gFields.filter((f) => f.no === 1).map((f) => ({ field: f, info: parseNode(body(graph, f)) }));
  const found = nodes.filter((n) => n.info.op === 'MatMulNBits' && n.info.domain === MS_DOMAIN);
  if (!found.length) return { result: { model, externalData: [], matrices: 0, bytes: 0 }, targets: [] };

  // Initializers used only by the rewritten nodes are dropped.
  const uses = new Map<string, number>();
  for (const n of nodes) for (const i of n.info.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const dropped = new Set<string>();

  const P = `${opts.prefix}/int8`;
  const newInits: Uint8Array[] = [
    tensorProto(`${P}/tiny`, DType.FLOAT, [], { raw: new Uint8Array(new Float32Array([1e-30]).buffer) }),
    tensorProto(`${P}/qmax`, DType.FLOAT, [], { raw: new Uint8Array(new Float32Array([127]).buffer) }),
    tensorProto(`${P}/offset`, DType.FLOAT, [], { raw: new Uint8Array(new Float32Array([128]).buffer) }),
    tensorProto(`${P}/zp`, DType.UINT8, [], { raw: new Uint8Array([128]) }),
  ];

  // Activation quantization, shared by every MatMulNBits that reads the same tensor (q/k/v, gate/up).
  const quantized = new Map<string, { q: string; scale: string }>();
  const quantize = (x: string, id: number): { q: string; scale: string; nodes: Uint8Array[] } => {
    const hit = quantized.get(x);
    if (hit) return { ...hit, nodes: [] };
    const p = `${P}/a${id}`;
    const made = { q: `${p}/q`, scale: `${p}/scale` };
    quantized.set(x, made);
    return {
      ...made,
      nodes: [
        nodeProto('Abs', [x], [`${p}/abs`], `${p}/abs`),
        nodeProto('ReduceMax', [`${p}/abs`], [`${p}/max`], `${p}/max`, { intLists: { axes: [-1] }, ints: { keepdims: 1 } }),
        nodeProto('Max', [`${p}/max`, `${P}/tiny`], [`${p}/max1`], `${p}/max1`),
        nodeProto('Div', [`${p}/max1`, `${P}/qmax`], [made.scale], `${p}/scale`),
        nodeProto('Div', [x, made.scale], [`${p}/scaled`], `${p}/scaled`),
        nodeProto('Round', [`${p}/scaled`], [`${p}/rounded`], `${p}/rounded`),
        nodeProto('Add', [`${p}/rounded`, `${P}/offset`], [`${p}/shifted`], `${p}/shifted`),
        nodeProto('Cast', [`${p}/shifted`], [made.q], `${p}/q`, { ints: { to: DType.UINT8 } }),
      ],
    };
  };

  interface NewTensor {
    name: string;
    bytes: number;
    dataType: number;
    dims: number[];
  }
  const tensors: NewTensor[] = [];
  const replacement = new Map<Field, Uint8Array[]>();
  const jobs: RequantJob[] = [];
  let totalBytes = 0;
  found.forEach((t, idx) => {
    const { inputs, outputs, ints } = t.info;
    const K = ints.get('K');
    const N = ints.get('N');
    const bits = ints.get('bits') ?? 4;
    const blockSize = ints.get('block_size');
    if (!K || !N || !blockSize) throw new Error(`int8 rewrite: MatMulNBits ${t.info.name} lacks K, N or block_size`);
    if (inputs.length > 4 && inputs.slice(4).some((s) => s)) throw new Error(`int8 rewrite: MatMulNBits ${t.info.name} has g_idx or bias inputs`);
    const [x, wName, sName, zName] = inputs;
    const w = initializers.get(wName);
    const s = initializers.get(sName);
    const z = zName ? initializers.get(zName) : undefined;
    if (!w || !s || (zName && !z)) throw new Error(`int8 rewrite: MatMulNBits ${t.info.name} weights are not initializers`);
    const sBytes = tensorBytes(s, files);
    jobs.push({
      packed: tensorBytes(w, files),
      blockScales: new Float32Array(sBytes.buffer.slice(sBytes.byteOffset, sBytes.byteOffset + sBytes.byteLength)),
      zeroPoints: z ? tensorBytes(z, files) : null,
      N,
      K,
      bits,
      blockSize,
    });
    for (const n of [wName, sName, zName]) if (n && uses.get(n) === 1) dropped.add(n);
    const name = `${P}/w${idx}`;
    tensors.push({ name: `${name}/q`, bytes: K * N, dataType: DType.INT8, dims: [K, N] });
    tensors.push({ name: `${name}/scale`, bytes: N * 4, dataType: DType.FLOAT, dims: [N] });
    totalBytes += K * N + N * 4;
    const a = quantize(x, idx);
    replacement.set(t.field, [
      ...a.nodes,
      nodeProto('MatMulIntegerToFloat', [a.q, `${name}/q`, a.scale, `${name}/scale`, `${P}/zp`], outputs, `${name}/mm`, { domain: MS_DOMAIN }),
    ]);
  });

  // Lay the new tensors out in files of bounded size (64-byte aligned).
  const fileBytes = opts.fileBytes ?? 256 * 1024 * 1024;
  const layout: { path: string; size: number; items: { tensor: NewTensor; offset: number }[] }[] = [];
  for (const tensor of tensors) {
    let file = layout[layout.length - 1];
    if (!file || Math.ceil(file.size / 64) * 64 + tensor.bytes > fileBytes) {
      file = { path: `${opts.prefix}-int8-${String(layout.length).padStart(3, '0')}.bin`, size: 0, items: [] };
      layout.push(file);
    }
    const offset = Math.ceil(file.size / 64) * 64;
    file.items.push({ tensor, offset });
    file.size = offset + tensor.bytes;
  }
  const externalData: { path: string; data: Uint8Array }[] = [];
  const views = new Map<string, Uint8Array>();
  for (const f of layout) {
    const data = new Uint8Array(f.size);
    for (const { tensor, offset } of f.items) {
      views.set(tensor.name, data.subarray(offset, offset + tensor.bytes));
      newInits.push(tensorProto(tensor.name, tensor.dataType, tensor.dims, { location: f.path, offset, length: tensor.bytes }));
    }
    externalData.push({ path: f.path, data });
  }
  const targets = jobs.map((job, idx) => ({ job, weights: views.get(`${P}/w${idx}/q`)!, scales: views.get(`${P}/w${idx}/scale`)! }));

  // The new GraphProto: fields in their order, rewritten nodes replaced in place, dropped
  // initializers left out, new initializers appended.
  const parts: Uint8Array[] = [];
  for (const f of gFields) {
    if (f.no === 1 && replacement.has(f)) {
      for (const n of replacement.get(f)!) parts.push(lenField(1, n));
    } else if (f.no === 5 && dropped.has(initOf.get(f)!)) {
      continue;
    } else {
      parts.push(graph.subarray(f.start, f.end));
    }
  }
  for (const t of newInits) parts.push(lenField(5, t));
  const newGraph = concat(parts);
  const modelParts: Uint8Array[] = [];
  for (const f of top) modelParts.push(f === graphField ? lenField(7, newGraph) : model.subarray(f.start, f.end));
  return { result: { model: concat(modelParts), externalData, matrices: found.length, bytes: totalBytes }, targets };
}
