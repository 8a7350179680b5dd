// Reading (and re-emitting a few of) the ONNX protobuf messages Sift's own graph edits need: the
// int8 rewrite (int8Matmul.ts) and re-sharding a rewritten graph (int8Graph.ts). Wire types 0, 1, 2
// and 5 only; fields it does not know are copied byte for byte by its callers.
import { ProtoWriter } from './protobuf.ts';
// ── A minimal protobuf reader (wire types 0, 1, 2, 5) ─────────────────────────────────────────

export interface Field {
  no: number;
  wire: number;
  /** The whole field (tag included), for copying it unchanged. */
  start: number;
  end: number;
  /** Payload of a length-delimited field. */
  valueStart: number;
  /** Value of a varint field. */
  varint: number;
}

export function readVarint(buf: Uint8Array, pos: number): [number, number] {
  let result = 0;
  let mul = 1;
  for (;;) {
    if (pos >= buf.length) throw new Error('protobuf: truncated varint');
    const b = buf[pos++];
    result += (b & 127) * mul;
    if (b < 128) return [result, pos];
    mul *= 128;
  }
}

export function parseFields(buf: Uint8Array, from = 0, to = buf.length): Field[] {
  const out: Field[] = [];
  let pos = from;
  while (pos < to) {
    const start = pos;
    const [tag, p1] = readVarint(buf, pos);
    pos = p1;
    const wire = tag & 7;
    const no = Math.floor(tag / 8);
    let varint = 0;
    let valueStart = pos;
    if (wire === 0) [varint, pos] = readVarint(buf, pos);
    else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      valueStart = p2;
      pos = p2 + len;
    } else throw new Error(`protobuf: unsupported wire type ${wire}`);
    if (pos > to) throw new Error('protobuf: field runs past its message');
    out.push({ no, wire, start, end: pos, valueStart, varint });
  }
  return out;
}

const utf8 = new TextDecoder();
export const str = (buf: Uint8Array, f: Field) => utf8.decode(buf.subarray(f.valueStart, f.end));
export const body = (buf: Uint8Array, f: Field) => buf.subarray(f.valueStart, f.end);

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) (out.set(p, o), (o += p.length));
  return out;
}

/** A length-delimited field: tag, length, payload. */
export function lenField(no: number, payload: Uint8Array): Uint8Array {
  return new ProtoWriter().bytes(no, payload).finish();
}

// ── The ONNX messages this needs ──────────────────────────────────────────────────────────────

export interface NodeInfo {
  op: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  name: string;
  ints: Map<string, number>;
}

export function parseNode(buf: Uint8Array): NodeInfo {
  const node: NodeInfo = { op: '', domain: '', inputs: [], outputs: [], name: '', ints: new Map() };
  for (const f of parseFields(buf)) {
    if (f.no === 1) node.inputs.push(str(buf, f));
    else if (f.no === 2) node.outputs.push(str(buf, f));
    else if (f.no === 3) node.name = str(buf, f);
    else if (f.no === 4) node.op = str(buf, f);
    else if (f.no === 7) node.domain = str(buf, f);
    else if (f.no === 5) {
      const a = body(buf, f);
      let name = '';
      let i: number | undefined;
      for (const af of parseFields(a)) {
        if (af.no === 1) name = str(a, af);
        else if (af.no === 3 && af.wire === 0) i = af.varint;
      }
      if (i !== undefined) node.ints.set(name, i);
    }
  }
  return node;
}

export interface TensorInfo {
  name: string;
  dims: number[];
  dataType: number;
  raw?: Uint8Array;
  external?: { location: string; offset: number; length: number };
}

export function parseTensor(buf: Uint8Array): TensorInfo {
  const t: TensorInfo = { name: '', dims: [], dataType: 0 };
  const ext: Record<string, string> = {};
  for (const f of parseFields(buf)) {
    if (f.no === 1 && f.wire === 0) t.dims.push(f.varint);
    else if (f.no === 1 && f.wire === 2) {
      for (let p = f.valueStart; p < f.end; ) {
        const [v, next] = readVarint(buf, p);
        t.dims.push(v);
        p = next;
      }
    } else if (f.no === 2) t.dataType = f.varint;
    else if (f.no === 8) t.name = str(buf, f);
    else if (f.no === 9) t.raw = body(buf, f);
    else if (f.no === 13) {
      const e = body(buf, f);
      let key = '';
      let value = '';
      for (const ef of parseFields(e)) {
        if (ef.no === 1) key = str(e, ef);
        else if (ef.no === 2) value = str(e, ef);
      }
      ext[key] = value;
    }
  }
  if (ext.location !== undefined) {
    t.external = { location: ext.location, offset: Number(ext.offset ?? 0), length: Number(ext.length ?? -1) };
  }
  return t;
}

export function tensorBytes(t: TensorInfo, files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  if (t.raw) return t.raw;
  if (!t.external) throw new Error(`int8 rewrite: initializer ${t.name} has no data`);
  const file = files.get(t.external.location);
  if (!file) throw new Error(`int8 rewrite: external data file ${t.external.location} was not given`);
  const end = t.external.length < 0 ? file.length : t.external.offset + t.external.length;
  return file.subarray(t.external.offset, end);
}

export function nodeProto(op: string, inputs: string[], outputs: string[], name: string, opts: { domain?: string; ints?: Record<string, number>; intLists?: Record<string, number[]> } = {}): Uint8Array {
  const w = new ProtoWriter();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name);
  w.string(4, op);
  for (const [k, v] of Object.entries(opts.ints ?? {})) w.message(5, (a) => a.string(1, k).int(3, v).int(20, 2));
  for (const [k, v] of Object.entries(opts.intLists ?? {})) w.message(5, (a) => a.string(1, k).packedInts(8, v).int(20, 7));
  if (opts.domain) w.string(7, opts.domain);
  return w.finish();
}

export function tensorProto(name: string, dataType: number, dims: number[], data: { raw: Uint8Array } | { location: string; offset: number; length: number }): Uint8Array {
  const w = new ProtoWriter();
  if (dims.length) w.packedInts(1, dims);
  w.int(2, dataType);
  w.string(8, name);
  if ('raw' in data) {
    w.bytes(9, data.raw);
  } else {
    w.message(13, (e) => e.string(1, 'location').string(2, data.location));
    w.message(13, (e) => e.string(1, 'offset').string(2, String(data.offset)));
    w.message(13, (e) => e.string(1, 'length').string(2, String(data.length)));
    w.int(14, 1);
  }
  return w.finish();
}

