// One Node run of the section "beside the peer" (bench/peerSection.mjs): a converted model loaded on
// the chosen onnxruntime (src/cli/backend.ts: 'native' = onnxruntime-node's CPU EP, 'wasm' =
// onnxruntime-web's WASM build, the browser's engine), then the prepared workloads (bench/peerInputs.ts)
// scored the app's way (bench/peerScore.ts), warm-up first. Prints one JSON object on stdout.
//   node --import tsx bench/peerSift.ts <model-dir> <inputs-dir> --backend native|wasm [--threads N]
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { loadModelDir } from '../src/cli/nodeModel.ts';
import { nativeInt8Saturates, type BackendName } from '../src/cli/backend.ts';
import type { FidelityInputs } from './fidelity/inputs.ts';
import type { PeerPrefixes } from './peerInputs.ts';
import { scorePrepared } from './peerScore.ts';

const load = () => loadavg().map((x) => Math.round(x * 100) / 100);

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const [modelDir, inputsDir] = process.argv.slice(2);
  const backend = (option('backend') ?? 'native') as BackendName;
  const threads = option('threads') ? Number(option('threads')) : undefined;
  const inputs = JSON.parse(readFileSync(join(inputsDir, 'inputs.json'), 'utf8')) as FidelityInputs;
  const prefixes = JSON.parse(readFileSync(join(inputsDir, 'prefixes.json'), 'utf8')) as PeerPrefixes;
  const read = async (file: string) => {
    const b = await readFile(join(inputsDir, file));
    return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  };
  const t0 = performance.now();
  const { model, runtime, manifest } = await loadModelDir(modelDir, { backend, threads });
  const loadMs = Math.round(performance.now() - t0);
  const workloads: Record<string, unknown> = {};
  try {
    for (const [name, docs] of Object.entries(inputs)) {
      const r = await scorePrepared(model, docs, prefixes[name] ?? null, read);
      workloads[name] = { ...r, ms: Math.round(r.ms), loadavg: load() };
      console.error(`${backend} ${modelDir} ${name}: ${Math.round(r.ms)} ms${r.errors.length ? ` (${r.errors[0]})` : ''}`);
    }
  } finally {
    await model.release();
  }
  const saturates = backend === 'native' && nativeInt8Saturates(manifest);
  console.log(JSON.stringify({ runtime, load_ms: loadMs, linear: model.linear, native_int8_saturates: saturates, workloads }));
}

await main();
