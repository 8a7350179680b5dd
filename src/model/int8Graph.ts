// The graphs Sift stores for onnxruntime-web's WASM EP: the int8 rewrite (int8Matmul.ts) applied once,
// at conversion time, instead of at every load, and every external initializer re-sharded so the
// stored files hold no dead 4-bit weights. Scores equal a load-time rewrite of the 4-bit graphs (the
// same requantization of the same blocks), while a cached start only reads and builds sessions.
import { rewriteMatMulNBitsToInt8 } from './int8Matmul.ts';
import { body, concat, lenField, parseFields, parseTensor, tensorBytes, tensorProto } from './onnx/protoRead.ts';
import type { WeightSink } from './onnx/graph.ts';

/**
 * Rewrites a 4/8-bit graph (weights in `files`) to int8 linear layers and writes all of its external
 * initializers to `sink`; returns the new .onnx bytes (their locations point into the sink's shards).
 */
export function storedInt8Graph(model: Uint8Array, files: ReadonlyMap<string, Uint8Array>, prefix: string, sink: WeightSink): Uint8Array {
  const rw = rewriteMatMulNBitsToInt8(model, files, { prefix });
  const all = new Map(files);
  for (const e of rw.externalData) all.set(e.path, e.data);
  const top = parseFields(rw.model);
  const graphField = top.find((f) => f.no === 7 && f.wire === 2);
  if (!graphField) throw new Error('int8 graph: the model has no graph');
  const graph = body(rw.model, graphField);
  const parts: Uint8Array[] = [];
  for (const f of parseFields(graph)) {
    const t = f.no === 5 ? parseTensor(body(graph, f)) : null;
    if (!t?.external) {
      parts.push(graph.subarray(f.start, f.end));
      continue;
    }
    const ref = sink.write(t.name, tensorBytes(t, all));
    parts.push(lenField(5, tensorProto(t.name, t.dataType, t.dims, ref)));
  }
  const newGraph = concat(parts);
  return concat(top.map((f) => (f === graphField ? lenField(7, newGraph) : rw.model.subarray(f.start, f.end))));
}
