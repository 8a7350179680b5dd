// Probe (not part of `npm run bench`): would onnxruntime-web build the decoder faster from an ORT-format
// model whose initializers it uses where they lie (session.use_ort_model_bytes_directly +
// session.use_ort_model_bytes_for_initializers) instead of copying each into its heap?
//   npx tsx bench/probes/ortFormatInPlace.ts .cache/bench/full2b-int8/model
// 1. onnxruntime-node (native, same version) saves the converted decoder as ORT format (basic level).
// 2. onnxruntime-web (WASM, Node, one thread) builds it: copied vs in place; time, CPU, wasm heap
//    (onnxruntime-web already sets use_ort_model_bytes_directly; "copied" = initializers copied).
// 3. Scores: the in-place session against the ONNX one, before and after another session is built.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as web from 'onnxruntime-web';

const dir = process.argv[2] ?? '.cache/bench/l4v6-int8/model';
const ortPath = join(dir, '..', 'decoder-basic.ort');
let memory: WebAssembly.Memory | null = null;
const Memory = WebAssembly.Memory;
// The wasm heap's size, read off the Memory onnxruntime-web creates.
(WebAssembly as unknown as { Memory: unknown }).Memory = Object.assign(function (d: WebAssembly.MemoryDescriptor) {
  return (memory = new Memory(d));
}, { prototype: Memory.prototype });
const heapMB = () => Math.round((memory?.buffer.byteLength ?? 0) / 2 ** 20);

const node = await import('onnxruntime-node');
let t = performance.now();
await node.InferenceSession.create(join(dir, 'decoder.onnx'), {
  graphOptimizationLevel: 'basic',
  optimizedModelFilePath: ortPath,
  extra: { session: { save_model_format: 'ORT' } },
});
console.log(`saved ${ortPath} in ${Math.round(performance.now() - t)} ms`);

web.env.wasm.numThreads = 1;
const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const graph = (g: { file: string; shards: string[] }) => ({
  model: new Uint8Array(readFileSync(join(dir, g.file))),
  externalData: g.shards.map((path) => ({ path, data: new Uint8Array(readFileSync(join(dir, path))) })),
});
const inPlace = { session: { use_ort_model_bytes_directly: '1', use_ort_model_bytes_for_initializers: '1' } };
async function timed(label: string, build: () => Promise<web.InferenceSession>) {
  const cpu = process.cpuUsage();
  const heap = heapMB();
  t = performance.now();
  const s = await build();
  const used = process.cpuUsage(cpu);
  console.log(`${label}: ${Math.round(performance.now() - t)} ms (user ${Math.round(used.user / 1000)}, kernel ${Math.round(used.system / 1000)} ms), wasm heap +${heapMB() - heap} MB`);
  return s;
}
const d = graph(manifest.graphs.decoder);
const onnx = await timed('ONNX + external data', () => web.InferenceSession.create(d.model, { externalData: d.externalData }));
const ortBytes = () => new Uint8Array(readFileSync(ortPath));

// One decoder call (8 new tokens, no past) on each; logits compared.
let seed = 1;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31 - 0.5;
const feeds: Record<string, web.Tensor> = {};
for (const meta of onnx.inputMetadata) {
  if (!meta.isTensor) continue;
  const shape = meta.shape.map((x) => (typeof x === 'number' ? x : /past|P/.test(x) ? 0 : 8));
  if (meta.name === 'attn_bias') shape.splice(2, 2, 8, 8);
  const n = shape.reduce((a, b) => a * b, 1);
  feeds[meta.name] = new web.Tensor('float32', Float32Array.from({ length: n }, () => (meta.name === 'attn_bias' ? 0 : rnd())), shape);
}
const logits = async (s: web.InferenceSession) => (await s.run(feeds)).logits.data as Float32Array;
const ref = await logits(onnx);
await onnx.release(); // wasm32: the 2B's sessions do not all fit at once
const diff = (x: Float32Array) => Math.max(...ref.map((r, i) => Math.abs(r - x[i])));
// In place first (its heap growth is then the model bytes' one copy), then copied.
let bytes = ortBytes(); // read before timing, as the ONNX files were
const placed = await timed('ORT format, in place', () => web.InferenceSession.create(bytes, { extra: inPlace } as web.InferenceSession.SessionOptions));
console.log(`  its logits vs ONNX's, max |Δ|: ${diff(await logits(placed))}`);
const v = graph(manifest.graphs.vision);
await (await web.InferenceSession.create(v.model, { externalData: v.externalData })).release();
console.log(`  … after another session was built and released: ${diff(await logits(placed))} (onnxruntime-web 1.30 frees the model buffer once create returns)`);
await placed.release();
bytes = ortBytes();
const copied = await timed('ORT format, copied', () => web.InferenceSession.create(bytes));
console.log(`  its logits vs ONNX's, max |Δ|: ${diff(await logits(copied))}`);
