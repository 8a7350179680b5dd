// Speed of stored formats A/B: each model scores the same prepared fidelity workload (inputs.ts), in
// turns (A B C A B C …) so that load on a shared machine falls on every model alike; prints the median
// time per model and the load average before and after.
//   node --import tsx bench/fidelity/formatSpeed.ts <inputs-dir> <workload> <reps> [native|wasm] name=<model-dir> … [--no-vision-cache]
// --no-vision-cache runs the vision tower on every turn (otherwise image turns after the first reuse its outputs).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { BackendName } from '../../src/cli/backend.ts';
import { loadModelDir } from '../../src/cli/nodeModel.ts';
import { Scorer, type PromptInput } from '../../src/engine/scorer.ts';
import type { FidelityInputs } from './inputs.ts';

const argv = process.argv.slice(2);
const noCache = argv.includes('--no-vision-cache');
const [inputsDir, workload, repsArg, backendArg, ...specs] = argv.filter((a) => a !== '--no-vision-cache');
const scorerOptions = noCache ? { visionCache: null } : {};
const backend = (backendArg === 'native' || backendArg === 'wasm' ? backendArg : undefined) as BackendName | undefined;
if (!backend) specs.unshift(backendArg);
const inputs = JSON.parse(readFileSync(join(inputsDir, 'inputs.json'), 'utf8')) as FidelityInputs;
const prompts: PromptInput[] = inputs[workload].map((d) => ({
  ids: d.ids,
  images: d.images.map((im) => ({ patches: new Float32Array(readFileSync(join(inputsDir, im.file)).buffer.slice(0)), grid: im.grid })),
  videos: [],
}));
const models = await Promise.all(
  specs.map(async (spec) => {
    const [name, dir] = spec.split('=');
    const m = await loadModelDir(dir, { backend });
    await new Scorer(m.model, scorerOptions).score(null, prompts.slice(0, 1), { reusePrefix: false }); // warm-up
    return { name, m, times: [] as number[] };
  }),
);
const load0 = loadavg()[0];
for (let r = 0; r < Number(repsArg); r++)
  for (const x of models) {
    const t0 = performance.now();
    await new Scorer(x.m.model, scorerOptions).score(null, prompts, { reusePrefix: false });
    x.times.push(performance.now() - t0);
  }
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];
console.log(
  `${workload} (${prompts.length} documents), ${models[0]?.m.runtime}; load average ${load0.toFixed(2)} → ${loadavg()[0].toFixed(2)}`,
);
for (const x of models)
  console.log(
    `  ${x.name.padEnd(16)} median ${(median(x.times) / 1000).toFixed(2)} s  (${x.times.map((t) => (t / 1000).toFixed(2)).join(', ')})`,
  );
for (const x of models) await x.m.model.release();
