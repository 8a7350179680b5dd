// Probe (not run by the bench): where one image document's time goes on onnxruntime-web's WASM EP in
// Node — onnxruntime's own per-node profile of the vision and decoder sessions, summed by op type and
// by role (attention core, linear layers, the int8 activation quantization, GELU, norms, the rest).
//   node --import tsx bench/probes/profileImageDocument.ts <converted model dir> [image.png] [--threads N]
// The image defaults to a generated 448×448 PNG. The first request warms up; the second is profiled.
// onnxruntime-web's WASM build writes its profile straight to file descriptor 1 at endProfiling, so the
// work runs in a child process whose stdout is parsed here.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import * as ort from 'onnxruntime-web';
import { nodeWasmPaths } from '../../src/cli/nodeModel.ts';
import { RerankSession } from '../../src/engine/rerank.ts';
import { startModel } from '../../src/engine/startModel.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { parseManifest } from '../../src/model/manifest.ts';
import { readFile } from 'node:fs/promises';

const args = process.argv.slice(2);
const threadsAt = args.indexOf('--threads');
const threads = threadsAt >= 0 ? Number(args.splice(threadsAt, 2)[1]) : 2;
const [dir, imageArg] = args;
if (!dir) throw new Error('usage: profileImageDocument.ts <model dir> [image.png] [--threads N]');

function testImage(): string {
  const png = new PNG({ width: 448, height: 448 });
  for (let i = 0; i < png.data.length; i += 4) {
    const p = i / 4;
    png.data[i] = (p * 7) % 256;
    png.data[i + 1] = (p >> 5) % 256;
    png.data[i + 2] = (p * 13) % 256;
    png.data[i + 3] = 255;
  }
  const file = join(mkdtempSync(join(tmpdir(), 'sift-profile-')), 'image.png');
  writeFileSync(file, PNG.sync.write(png));
  return file;
}

/** Each node's role, from the names the graph builder gives (src/model/graphs). */
function roleOf(node: string, op: string): string {
  if (
    /MatMulIntegerToFloat|MatMulNBits|MatMul$|Gemm/.test(op) &&
    /(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj|qkv|proj|fc1|fc2|patch_embed|linear_fc)/.test(node)
  )
    return 'linear';
  if (/act_(abs|max|scale|q)|int8-act/.test(node) || (/^(Abs|ReduceMax|Round|Cast)$/.test(op) && !/attn/.test(node)))
    return 'int8 activations';
  if (/MatMul|Softmax/.test(op)) return 'attention core';
  if (/Tanh|Erf|Sigmoid/.test(op)) return 'activation fn';
  if (/LayerNormalization/.test(op)) return 'norms';
  if (/Transpose|Reshape|Split|Concat|Squeeze|Unsqueeze|Slice|Gather/.test(op)) return 'layout';
  return 'elementwise';
}

interface Event {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

async function main() {
  ort.env.wasm.wasmPaths = nodeWasmPaths();
  ort.env.wasm.numThreads = threads;
  const profiled: ort.InferenceSession[] = [];
  const profilingOrt = {
    ...ort,
    InferenceSession: {
      create: async (model: never, options: ort.InferenceSession.SessionOptions = {}) => {
        const s = await ort.InferenceSession.create(model, { ...options, enableProfiling: true });
        profiled.push(s);
        return s;
      },
    },
  } as unknown as typeof ort;
  const manifest = parseManifest(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
  const { model, tokenizer } = await startModel(profilingOrt, manifest, {
    read: async (f) => new Uint8Array(await readFile(join(dir, f))),
  });
  const image = imageArg ?? testImage();
  const request = { query: { text: 'a picture of a cat on a sofa' }, documents: [{ image }] };
  const session = new RerankSession(model, tokenizer, nodeMediaDecoder(process.cwd(), {}));
  await session.run(request, { visionCacheMb: 0 } as never); // warm-up
  const t0 = performance.now();
  await session.run({ ...request, query: { text: 'a dog in the snow' } }, { visionCacheMb: 0 } as never);
  process.stderr.write(`WALL ${performance.now() - t0}\n`);
  for (const s of profiled) s.endProfiling();
  await model.release();
}

/**
 * The profiled request's events: each session prints one JSON array; in each, the node events of its
 * runs that started after the warm-up request's (the later half of its model_run events).
 */
function eventsOf(out: string): Event[] {
  return out
    .split(/^\[$/m)
    .slice(1)
    .flatMap((block) => {
      const events = block
        .split('\n')
        .filter((l) => l.startsWith('{"cat"'))
        .map((l) => JSON.parse(l.replace(/,\s*$/, '')) as Event & { ts: number });
      const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run').sort((a, b) => a.ts - b.ts);
      const from = runs[Math.floor(runs.length / 2)]?.ts ?? 0;
      return events.filter((e) => e.ts >= from);
    });
}

function report(events: Event[], wall: number) {
  const nodes = events.filter((e) => e.cat === 'Node' && e.name.endsWith('_kernel_time'));
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const byRole = new Map<string, number>();
  const byOp = new Map<string, number>();
  let total = 0;
  for (const e of nodes) {
    const op = e.args?.op_name ?? '?';
    const role = `${e.name.startsWith('/vision') ? 'vision' : 'decoder'}: ${roleOf(e.name, op)}`;
    byRole.set(role, (byRole.get(role) ?? 0) + e.dur);
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    total += e.dur;
  }
  const table = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 16)
      .map(([k, v]) => `  ${k.padEnd(24)} ${(v / 1000).toFixed(0).padStart(8)} ms  ${((100 * v) / total).toFixed(1).padStart(5)} %`)
      .join('\n');
  console.log(
    `model ${dir}, ${threads} threads; session runs (profiled request): ${runs.map((r) => (r.dur / 1000).toFixed(0)).join(', ')} ms; the second request's wall time ${wall.toFixed(0)} ms`,
  );
  console.log(`node time by graph and role (profiled request, sum over nodes ${(total / 1000).toFixed(0)} ms):\n${table(byRole)}`);
  console.log(`by op type:\n${table(byOp)}`);
}

if (process.env.SIFT_PROFILE_CHILD) await main();
else {
  const r = spawnSync(process.execPath, process.execArgv.concat(process.argv.slice(1)), {
    env: { ...process.env, SIFT_PROFILE_CHILD: '1' },
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`the profiled run failed: ${r.stderr}`);
  report(eventsOf(r.stdout), Number(/WALL ([\d.]+)/.exec(r.stderr)?.[1] ?? NaN));
}
