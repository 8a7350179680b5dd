// Builds an ONNX ModelProto from nodes and initializers. Large initializers go to external-data
// shards (through a WeightSink) so one .onnx stays small and weights stream straight to storage.
import { ProtoWriter } from './protobuf.ts';

export const DType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;
export type DTypeCode = (typeof DType)[keyof typeof DType];

export type Dim = number | string;
export type AttrValue = number | string | number[] | { floats: number[] } | { float: number };

export interface ExternalRef {
  location: string;
  offset: number;
  length: number;
}

/** Where weight bytes go: returns the shard file and offset they were written at. */
export interface WeightSink {
  write(name: string, bytes: Uint8Array): ExternalRef;
}

interface ValueInfo {
  name: string;
  type: DTypeCode;
  dims: Dim[];
}

interface Initializer {
  name: string;
  type: DTypeCode;
  dims: number[];
  raw?: Uint8Array;
  external?: ExternalRef;
}

interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain: string;
  name: string;
}

const INLINE_LIMIT = 1024; // bytes: tiny tensors stay inside the .onnx

export class GraphBuilder {
  readonly inputs: ValueInfo[] = [];
  readonly outputs: ValueInfo[] = [];
  /** Declared shapes of intermediate values (graph.value_info). */
  private known: ValueInfo[] = [];
  private inits: Initializer[] = [];
  private nodes: NodeSpec[] = [];
  private counter = 0;
  private constCache = new Map<string, string>();
  private memos = new Map<string, unknown>();
  private nodeNames = new Map<string, number>();
  /**
   * Prefix of the names of the nodes added next, e.g. "/decoder/layers.3": a profile or an error from
   * onnxruntime then names the layer and role ("/decoder/layers.3/self_attn/q_proj"), not "mmq_57".
   */
  scope = '';

  constructor(
    readonly name: string,
    private sink: WeightSink | null,
  ) {}

  input(name: string, type: DTypeCode, dims: Dim[]): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  output(name: string, type: DTypeCode, dims: Dim[]): void {
    this.outputs.push({ name, type, dims });
  }

  /**
   * Declares an intermediate value's shape where ONNX shape inference cannot derive it (a Reshape
   * to a shape computed at run time). onnxruntime's allocation planner can only reuse buffers of
   * values whose sizes it can compare, so unknown dims make session creation grow quadratically.
   */
  shape(name: string, type: DTypeCode, dims: Dim[]): string {
    this.known.push({ name, type, dims });
    return name;
  }

  fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  /** Adds a weight; bytes are little-endian raw data of `type`. Large ones go to the sink. */
  weight(name: string, type: DTypeCode, dims: number[], bytes: Uint8Array): string {
    if (bytes.length > INLINE_LIMIT && this.sink) {
      this.inits.push({ name, type, dims, external: this.sink.write(name, bytes) });
    } else {
      this.inits.push({ name, type, dims, raw: bytes });
    }
    return name;
  }

  floatWeight(name: string, dims: number[], data: Float32Array): string {
    return this.weight(name, DType.FLOAT, dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  /** A cached constant int64 vector (shapes, axes, indices). */
  ints(values: number[]): string {
    const key = `i64:${values.join(',')}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = `const_i64_${this.constCache.size}`;
      const arr = new BigInt64Array(values.map((v) => BigInt(v)));
      this.inits.push({ name, type: DType.INT64, dims: [values.length], raw: new Uint8Array(arr.buffer) });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** A cached constant float scalar (shape []). */
  scalar(value: number): string {
    const key = `f32:${value}`;
    let name = this.constCache.get(key);
    if (!name) {
      name = `const_f32_${this.constCache.size}`;
      const arr = new Float32Array([value]);
      this.inits.push({ name, type: DType.FLOAT, dims: [], raw: new Uint8Array(arr.buffer) });
      this.constCache.set(key, name);
    }
    return name;
  }

  /** The value `make` returned the first time it was asked for `key` (shared sub-graphs, e.g. one quantization of an input). */
  memo<T>(key: string, make: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, make());
    return this.memos.get(key) as T;
  }

  /** `${scope}/${role}`, numbered when the scope already has a node of that role. */
  private nodeName(role: string): string {
    const base = `${this.scope}/${role}`;
    const seen = this.nodeNames.get(base) ?? 0;
    this.nodeNames.set(base, seen + 1);
    return seen ? `${base}_${seen}` : base;
  }

  /** Appends a node; returns its output names (fresh names unless given). `name` is its role within the scope (default: the hint, else the op). */
  node(
    op: string,
    inputs: string[],
    opts: { outputs?: number | string[]; attrs?: Record<string, AttrValue>; domain?: string; hint?: string; name?: string } = {},
  ): string[] {
    const hint = opts.hint ?? op.toLowerCase();
    const outputs = typeof opts.outputs === 'object' ? opts.outputs : Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(hint));
    this.nodes.push({
      op,
      inputs,
      outputs,
      attrs: opts.attrs ?? {},
      domain: opts.domain ?? '',
      name: this.nodeName(opts.name ?? opts.hint ?? op),
    });
    return outputs;
  }

  /** Single-output shorthand. */
  op(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain = '', hint?: string): string {
    return this.node(op, inputs, { attrs, domain, hint })[0];
  }

  serialize(opts: { opset?: number; producer?: string } = {}): Uint8Array {
    const w = new ProtoWriter();
    w.int(1, 9); // ir_version
    w.string(2, opts.producer ?? 'sift');
    w.string(3, '0.1');
    w.message(7, (g) => this.writeGraph(g));
    w.message(8, (o) => o.string(1, '').int(2, opts.opset ?? 17));
    w.message(8, (o) => o.string(1, 'com.microsoft').int(2, 1));
    return w.finish();
  }

  private writeGraph(g: ProtoWriter): void {
    for (const n of this.nodes) {
      g.message(1, (m) => {
        for (const i of n.inputs) m.string(1, i);
        for (const o of n.outputs) m.string(2, o);
        m.string(3, n.name);
        m.string(4, n.op);
        for (const [k, v] of Object.entries(n.attrs)) m.message(5, (a) => writeAttr(a, k, v));
        if (n.domain) m.string(7, n.domain);
      });
    }
    g.string(2, this.name);
    for (const t of this.inits) g.message(5, (m) => writeTensor(m, t));
    for (const v of this.inputs) g.message(11, (m) => writeValueInfo(m, v));
    for (const v of this.outputs) g.message(12, (m) => writeValueInfo(m, v));
    for (const v of this.known) g.message(13, (m) => writeValueInfo(m, v));
  }
}

function writeAttr(a: ProtoWriter, name: string, v: AttrValue): void {
  a.string(1, name);
  if (typeof v === 'number') {
    a.int(3, v).int(20, 2); // INT
  } else if (typeof v === 'string') {
    a.string(4, v).int(20, 3); // STRING
  } else if (Array.isArray(v)) {
    a.packedInts(8, v).int(20, 7); // INTS
  } else if ('floats' in v) {
    a.packedFloats(7, v.floats).int(20, 6); // FLOATS
  } else {
    a.float(2, v.float).int(20, 1); // FLOAT
  }
}

function writeTensor(m: ProtoWriter, t: Initializer): void {
  if (t.dims.length) m.packedInts(1, t.dims);
  m.int(2, t.type);
  m.string(8, t.name);
  if (t.raw) {
    m.bytes(9, t.raw);
  } else if (t.external) {
    const ext = t.external;
    m.message(13, (e) => e.string(1, 'location').string(2, ext.location));
    m.message(13, (e) => e.string(1, 'offset').string(2, String(ext.offset)));
    m.message(13, (e) => e.string(1, 'length').string(2, String(ext.length)));
    m.int(14, 1); // data_location = EXTERNAL
  }
}

function writeValueInfo(m: ProtoWriter, v: ValueInfo): void {
  m.string(1, v.name);
  m.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.type);
      tensor.message(2, (shape) => {
        for (const d of v.dims) {
          shape.message(1, (dim) => (typeof d === 'number' ? dim.int(1, d) : dim.string(2, d)));
        }
      });
    }),
  );
}
