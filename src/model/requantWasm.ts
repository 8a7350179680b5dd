// A WebAssembly SIMD kernel for the hot loop of the int8 rewrite (int8Matmul.ts): 4-bit blocks of 32
// → per-column int8, transposed from [N, K] to [K, N]. Plain JS runs this at ≈10 ns per weight here
// (≈20 s for the 2B model's 1.8 G weights at every load); the kernel does ≈16 rows × 32 weights per
// tile with a table lookup (i8x16.swizzle) and an in-register 16×16 byte transpose (4 rounds of
// interleaving shuffles). The module is assembled here (no toolchain, ~1 KB) and validated; where
// SIMD is missing the caller falls back to the JS loop.

// ── A minimal assembler ──────────────────────────────────────────────────────────────────────

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 127;
    n >>>= 7;
    if (n) b |= 128;
    out.push(b);
  } while (n);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 127;
    n >>= 7;
    if ((n === 0 && !(b & 64)) || (n === -1 && b & 64)) return (out.push(b), out);
    out.push(b | 128);
  }
}

const vec = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Emits instructions into a function body. */
class Code {
  bytes: number[] = [];
  private op(...b: number[]) {
    this.bytes.push(...b);
    return this;
  }
  private simd(opcode: number, ...imm: number[]) {
    return this.op(0xfd, ...uleb(opcode), ...imm);
  }
  get(l: number) { return this.op(0x20, ...uleb(l)); }
  set(l: number) { return this.op(0x21, ...uleb(l)); }
  i32(v: number) { return this.op(0x41, ...sleb(v)); }
  add() { return this.op(0x6a); }
  mul() { return this.op(0x6c); }
  and() { return this.op(0x71); }
  shl() { return this.op(0x74); }
  shrU() { return this.op(0x76); }
  ltU() { return this.op(0x49); }
  load8u() { return this.op(0x2d, 0, 0); }
  f32load() { return this.op(0x2a, 2, 0); }
  f32div() { return this.op(0x95); }
  f32FromU32() { return this.op(0xb3); }
  block() { return this.op(0x02, 0x40); }
  loop() { return this.op(0x03, 0x40); }
  brIf(depth: number) { return this.op(0x0d, ...uleb(depth)); }
  end() { return this.op(0x0b); }
  v128load() { return this.simd(0, 4, 0); }
  v128store() { return this.simd(11, 4, 0); }
  v128const(bytes: number[]) { return this.simd(12, ...bytes); }
  shuffle(lanes: number[]) { return this.simd(13, ...lanes); }
  swizzle() { return this.simd(14); }
  f32x4splat() { return this.simd(19); }
  v128and() { return this.simd(78); }
  narrow8s() { return this.simd(101); }
  nearest() { return this.simd(106); }
  shrU8() { return this.simd(109); }
  narrow16s() { return this.simd(133); }
  f32x4sub() { return this.simd(229); }
  f32x4mul() { return this.simd(230); }
  truncSat() { return this.simd(248); }
}

const f32x4Bytes = (vals: number[]) => Array.from(new Uint8Array(new Float32Array(vals).buffer));
const INTERLEAVE_LO = Array.from({ length: 16 }, (_, i) => (i % 2 ? 16 : 0) + (i >> 1));
const INTERLEAVE_HI = Array.from({ length: 16 }, (_, i) => (i % 2 ? 16 : 0) + 8 + (i >> 1));

/**
 * requant4(packed, blockScales, zeroPoints, colScales, out, N, blocks): N a multiple of 16, block 32.
 *   packed u8 [N, blocks, 16], blockScales f32 [N, blocks], zeroPoints u8 [N, ceil(blocks/2)] (4-bit,
 *   low nibble = even block), colScales f32 [N] → out i8 [blocks·32, N] = round((q − z)·s / c).
 */
function assemble(): Uint8Array<ArrayBuffer> {
  // Parameters 0…6, then locals.
  const [P_PACKED, P_SCALES, P_ZPS, P_COLS, P_OUT, P_N, P_BLOCKS] = [0, 1, 2, 3, 4, 5, 6];
  let next = 7;
  const i32l = (k: number) => Array.from({ length: k }, () => next++);
  const [N0, B, NB, ZROW, ADDR] = i32l(5);
  const fRatio = next++;
  const fZ = next++;
  const v128First = next;
  const vl = (k: number) => Array.from({ length: k }, () => next++);
  const [LUT, PK, E, O] = vl(4);
  const R0 = vl(16);
  const R1 = vl(16);
  const T = vl(16);
  const U = vl(16);
  const c = new Code();

  // zpRow = (blocks + 1) >> 1
  c.get(P_BLOCKS).i32(1).add().i32(1).shrU().set(ZROW);
  c.i32(0).set(N0);
  c.block().loop(); // over 16-row tiles
  c.i32(0).set(B);
  c.block().loop(); // over blocks
  for (let r = 0; r < 16; r++) {
    // nb = (n0 + r)·blocks + b
    c.get(N0).i32(r).add().get(P_BLOCKS).mul().get(B).add().set(NB);
    // ratio = blockScales[nb] / colScales[n0 + r]
    c.get(P_SCALES).get(NB).i32(2).shl().add().f32load();
    c.get(P_COLS).get(N0).i32(r).add().i32(2).shl().add().f32load().f32div().set(fRatio);
    // z = (zps[(n0 + r)·zpRow + (b >> 1)] >> ((b & 1) << 2)) & 15
    c.get(P_ZPS).get(N0).i32(r).add().get(ZROW).mul().add().get(B).i32(1).shrU().add().load8u();
    c.get(B).i32(1).and().i32(2).shl().shrU().i32(15).and().f32FromU32().set(fZ);
    // The block's 16-entry table: trunc(nearest((q − z)·ratio)) narrowed to int8.
    for (let q = 0; q < 4; q++) {
      c.v128const(f32x4Bytes([4 * q, 4 * q + 1, 4 * q + 2, 4 * q + 3]));
      c.get(fZ).f32x4splat().f32x4sub().get(fRatio).f32x4splat().f32x4mul().nearest().truncSat();
      if (q % 2 === 1) c.narrow16s();
    }
    c.narrow8s().set(LUT);
    // 16 packed bytes = 32 weights along k; low nibble = even k.
    c.get(P_PACKED).get(NB).i32(4).shl().add().v128load().set(PK);
    c.get(LUT).get(PK).v128const(Array(16).fill(15)).v128and().swizzle().set(E);
    c.get(LUT).get(PK).i32(4).shrU8().swizzle().set(O);
    c.get(E).get(O).shuffle(INTERLEAVE_LO).set(R0[r]);
    c.get(E).get(O).shuffle(INTERLEAVE_HI).set(R1[r]);
  }
  // Transpose each 16×16 byte tile (rows n, columns k) and store its rows at out[k·N + n0].
  for (const [rows, kOffset] of [[R0, 0], [R1, 16]] as const) {
    let src: number[] = [...rows];
    for (let round = 0; round < 4; round++) {
      const dst = round % 2 === 0 ? T : U;
      for (let i = 0; i < 8; i++) {
        c.get(src[i]).get(src[i + 8]).shuffle(INTERLEAVE_LO).set(dst[2 * i]);
        c.get(src[i]).get(src[i + 8]).shuffle(INTERLEAVE_HI).set(dst[2 * i + 1]);
      }
      src = dst;
    }
    // addr = out + (b·32 + kOffset)·N + n0
    c.get(P_OUT).get(B).i32(5).shl().i32(kOffset).add().get(P_N).mul().add().get(N0).add().set(ADDR);
    for (let j = 0; j < 16; j++) {
      c.get(ADDR).get(src[j]).v128store();
      if (j < 15) c.get(ADDR).get(P_N).add().set(ADDR);
    }
  }
  c.get(B).i32(1).add().set(B);
  c.get(B).get(P_BLOCKS).ltU().brIf(0);
  c.end().end();
  c.get(N0).i32(16).add().set(N0);
  c.get(N0).get(P_N).ltU().brIf(0);
  c.end().end();
  c.end();

  const locals = [
    [...uleb(5), I32],
    [...uleb(2), F32],
    [...uleb(next - v128First), V128],
  ];
  const body = [...vec(locals), ...c.bytes];
  const module = [
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 7 }, () => [I32])), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])), // memory: min 1 page, no maximum
    ...section(7, vec([
      [...vec([...new TextEncoder().encode('memory')].map((b) => [b])), 0x02, 0],
      [...vec([...new TextEncoder().encode('requant4')].map((b) => [b])), 0x00, 0],
    ])),
    ...section(10, vec([[...uleb(body.length), ...body]])),
  ];
  return new Uint8Array(module);
}

interface Kernel {
  memory: WebAssembly.Memory;
  requant4: (packed: number, scales: number, zps: number, cols: number, out: number, N: number, blocks: number) => void;
}

let kernel: Kernel | null | undefined;

/** The kernel instance, or null where WebAssembly SIMD is unavailable. */
export function requantKernel(): Kernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  try {
    const bytes = assemble();
    if (typeof WebAssembly !== 'undefined' && WebAssembly.validate(bytes)) {
      const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes));
      kernel = instance.exports as unknown as Kernel;
    }
  } catch {
    kernel = null;
  }
  return kernel;
}

/**
 * Runs the kernel on one matrix (4-bit, block 32, N % 16 == 0), writing out [K, N] int8. Returns
 * false (and writes nothing) when the kernel is unavailable.
 */
export function requant4Simd(
  packed: Uint8Array,
  blockScales: Float32Array,
  zeroPoints: Uint8Array,
  colScales: Float32Array,
  N: number,
  blocks: number,
  out: Int8Array,
): boolean {
  const k = requantKernel();
  if (!k || N % 16 !== 0) return false;
  const K = blocks * 32;
  const zpBytes = N * ((blocks + 1) >> 1);
  const align = (x: number) => Math.ceil(x / 16) * 16;
  const pPacked = 16;
  const pScales = align(pPacked + N * blocks * 16);
  const pZps = align(pScales + N * blocks * 4);
  const pCols = align(pZps + zpBytes);
  const pOut = align(pCols + N * 4);
  const need = pOut + K * N;
  const have = k.memory.buffer.byteLength;
  if (need > have) k.memory.grow(Math.ceil((need - have) / 65536));
  const mem = new Uint8Array(k.memory.buffer);
  mem.set(packed.subarray(0, N * blocks * 16), pPacked);
  mem.set(new Uint8Array(blockScales.buffer, blockScales.byteOffset, N * blocks * 4), pScales);
  mem.set(zeroPoints.subarray(0, zpBytes), pZps);
  mem.set(new Uint8Array(colScales.buffer, colScales.byteOffset, N * 4), pCols);
  k.requant4(pPacked, pScales, pZps, pCols, pOut, N, blocks);
  out.set(new Int8Array(k.memory.buffer, pOut, K * N));
  return true;
}
