// Probe (not part of `npm run bench`): would onnxruntime-web build the decoder faster from an ORT-format
// model whose initializers it uses where they lie (session.use_ort_model_bytes_for_initializers) instead
// of copying each into its heap? Numbers and conclusions: bench/README.md, "Where a cached load's time goes".
//   npx tsx bench/probes/ortFormatInPlace.ts .cache/bench/full2b-int8-onnx/model
// (an int8 model converted with --graph-format onnx; the bench makes these for its before/after)
// 1. onnxruntime-node writes the converted decoder as ORT format (src/model/ortFormatNode.ts), beside the
//    model as decoder-basic.ort.
// 2. onnxruntime-web (WASM, Node, one thread; started through the factory wrapper of
//    src/engine/inPlaceSession.ts) builds it: ONNX + external data; ORT format in place as
//    onnxruntime-web hands it over; in place from a heap block kept alive (createInPlace); copied
//    (onnxruntime-web already sets use_ort_model_bytes_directly).
// 3. Each one's logits against the ONNX session's, again after another session was built.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as web from 'onnxruntime-web';
import { createInPlace, ortHeap } from '../../src/engine/inPlaceSession.ts';
import { toOrtFormat } from '../../src/model/ortFormatNode.ts';
import { nodeWasmPaths } from '../../src/cli/nodeModel.ts';
import { randomDecoderFeeds, timedParts } from '../pages/probeHelpers.ts';

const dir = process.argv[2] ?? '.cache/bench/l4v6-int8-onnx/model';
const ortPath = join(dir, '..', 'decoder-basic.ort');
web.env.wasm.numThreads = 1;
web.env.wasm.wasmPaths = nodeWasmPaths();
const heapMB = () => Math.round((ortHeap()?.HEAPU8.buffer.byteLength ?? 0) / 2 ** 20);

const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
const graph = (g: { file: string; shards: string[] }) => ({
  model: new Uint8Array(readFileSync(join(dir, g.file))),
  externalData: g.shards.map((path) => ({ path, data: new Uint8Array(readFileSync(join(dir, path))) })),
});
const d = graph(manifest.graphs.decoder);
let t = performance.now();
writeFileSync(ortPath, await toOrtFormat(d.model, d.externalData));
console.log(`saved ${ortPath} in ${Math.round(performance.now() - t)} ms`);

const inPlace = { extra: { session: { use_ort_model_bytes_for_initializers: '1' } } } as web.InferenceSession.SessionOptions;
async function timed<T>(label: string, build: () => Promise<T>) {
  const cpu = process.cpuUsage();
  const heap = heapMB();
  t = performance.now();
  const s = await build();
  const used = process.cpuUsage(cpu);
  console.log(
    `${label}: ${Math.round(performance.now() - t)} ms (user ${Math.round(used.user / 1000)}, kernel ${Math.round(used.system / 1000)} ms), wasm heap +${heapMB() - heap} MB`,
  );
  return s;
}
const onnx = await timed('ONNX + external data', () => web.InferenceSession.create(d.model, { externalData: d.externalData }));

// One decoder call; logits compared with the ONNX session's.
const feeds = randomDecoderFeeds(web, onnx);
const logits = async (s: web.InferenceSession) => (await s.run(feeds)).logits.data as Float32Array;
const ref = await logits(onnx);
await onnx.release(); // wasm32: the 2B's sessions do not all fit at once
const diff = (x: Float32Array) => Math.max(...ref.map((r, i) => Math.abs(r - x[i])));
const v = graph(manifest.graphs.vision);
async function check(s: web.InferenceSession, release = () => s.release()) {
  console.log(`  its logits vs ONNX's, max |Δ|: ${diff(await logits(s))}`);
  await (await web.InferenceSession.create(v.model, { externalData: v.externalData })).release();
  console.log(`  … after another session was built and released: ${diff(await logits(s))}`);
  await release();
}

// As onnxruntime-web hands it over: it copies the bytes into a heap block and frees it once create returns.
let bytes = new Uint8Array(readFileSync(ortPath));
await check(await timed('ORT format, in place, as handed over', () => web.InferenceSession.create(bytes, inPlace)));

// The bytes in a heap block of our own, which onnxruntime-web's free of the model buffer leaves alone.
const parts = timedParts([bytes]);
const kept = await timed('ORT format, in place, block kept (copy into the block + session)', () =>
  createInPlace(web, ortHeap()!, parts.parts(), bytes.length),
);
console.log(`  of which the copy into the block: ${Math.round(parts.readMs)} ms`);
await check(kept.session, kept.release);

bytes = new Uint8Array(readFileSync(ortPath));
await check(await timed('ORT format, copied', () => web.InferenceSession.create(bytes)));
