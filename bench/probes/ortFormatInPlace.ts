// Probe (not part of `npm run bench`): would onnxruntime-web build the decoder faster from an ORT-format
// model whose initializers it uses where they lie (session.use_ort_model_bytes_for_initializers) instead
// of copying each into its heap? Numbers and conclusions: bench/README.md, "Where a cached load's time goes".
//   npx tsx bench/probes/ortFormatInPlace.ts .cache/bench/full2b-int8/model
// 1. onnxruntime-node (native, same version) saves the converted decoder as ORT format (basic level).
// 2. onnxruntime-web (WASM, Node, one thread; its Module reached through bench/probes/ortModuleHook.mjs)
//    builds it: ONNX + external data; ORT format in place as onnxruntime-web hands it over; in place
//    from a heap block kept alive; copied (onnxruntime-web already sets use_ort_model_bytes_directly).
// 3. Each one's logits against the ONNX session's, again after another session was built.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as web from 'onnxruntime-web';

const dir = process.argv[2] ?? '.cache/bench/l4v6-int8/model';
const ortPath = join(dir, '..', 'decoder-basic.ort');
type Module = { _malloc(n: number): number; _free(p: number): void; HEAPU8: Uint8Array };
const moduleOf = () => (globalThis as unknown as { __siftOrtModule: Module }).__siftOrtModule;
web.env.wasm.numThreads = 1;
web.env.wasm.wasmPaths = {
  mjs: pathToFileURL(resolve('bench/probes/ortModuleHook.mjs')).href,
  wasm: resolve('node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm'),
} as unknown as string;
const heapMB = () => Math.round((moduleOf()?.HEAPU8.buffer.byteLength ?? 0) / 2 ** 20);

const node = await import('onnxruntime-node');
let t = performance.now();
await node.InferenceSession.create(join(dir, 'decoder.onnx'), {
  graphOptimizationLevel: 'basic',
  optimizedModelFilePath: ortPath,
  extra: { session: { save_model_format: 'ORT' } },
});
console.log(`saved ${ortPath} in ${Math.round(performance.now() - t)} ms`);

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const graph = (g: { file: string; shards: string[] }) => ({
  model: new Uint8Array(readFileSync(join(dir, g.file))),
  externalData: g.shards.map((path) => ({ path, data: new Uint8Array(readFileSync(join(dir, path))) })),
});
const inPlace = { extra: { session: { use_ort_model_bytes_for_initializers: '1' } } } as web.InferenceSession.SessionOptions;
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

// One decoder call (8 new tokens, no past); logits compared with the ONNX session's.
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
const v = graph(manifest.graphs.vision);
async function check(s: web.InferenceSession) {
  console.log(`  its logits vs ONNX's, max |Δ|: ${diff(await logits(s))}`);
  await (await web.InferenceSession.create(v.model, { externalData: v.externalData })).release();
  console.log(`  … after another session was built and released: ${diff(await logits(s))}`);
  await s.release();
}

// As onnxruntime-web hands it over: it copies the bytes into a heap block and frees it once create returns.
let bytes = new Uint8Array(readFileSync(ortPath));
await check(await timed('ORT format, in place, as handed over', () => web.InferenceSession.create(bytes, inPlace)));

// The bytes in a heap block of our own, which onnxruntime-web's free of the model buffer leaves alone.
const M = moduleOf();
t = performance.now();
const ptr = M._malloc(bytes.length);
M.HEAPU8.set(bytes, ptr);
console.log(`ORT format copied into a heap block of its own: ${Math.round(performance.now() - t)} ms`);
const free = M._free;
M._free = (p) => (p === ptr ? undefined : free(p));
await check(await timed('ORT format, in place, block kept', () => web.InferenceSession.create(M.HEAPU8.subarray(ptr, ptr + bytes.length), inPlace)));
M._free = free;
free(ptr);

bytes = new Uint8Array(readFileSync(ortPath));
await check(await timed('ORT format, copied', () => web.InferenceSession.create(bytes)));
