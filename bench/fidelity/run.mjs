#!/usr/bin/env node
// Each stored format's score error against the official implementation in fp32, on the same prepared
// inputs (inputs.ts): max |Δscore| over the documents of each workload.
//   node bench/fidelity/run.mjs --checkpoint <dir> --work <dir> --python <python with torch> \
//     [--model name=<converted dir>[@native|@wasm] …] [--bf16] [--quick] [--reference <scores.json>]
// A model runs on the CLI's default backend for it unless @backend says which (wasm: the browser's
// engine). Writes <work>/fidelity.json and prints a table. Scores of the official run and of each model
// are cached in <work> (delete sift-<name>.json to score a model again). --reference compares with
// another run's scores (e.g. a Sift fp32 model's sift-<name>.json) instead of the official fp32 run.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const many = (name) => process.argv.flatMap((a, i) => (process.argv[i - 1] === `--${name}` ? [a] : []));

function run(cmd, args) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  return Date.now() - t0;
}

const tsx = (script, args) => run(process.execPath, ['--import', 'tsx', join(root, script), ...args]);

export function maxAbsDiff(a, b) {
  return Math.max(...a.map((x, i) => Math.abs(x - b[i])));
}

function main() {
  const checkpoint = option('checkpoint');
  const work = option('work');
  const python = option('python', 'python3');
  if (!checkpoint || !work)
    throw new Error(
      'usage: node bench/fidelity/run.mjs --checkpoint <dir> --work <dir> --python <python> [--model name=dir …] [--bf16] [--quick]',
    );
  const inputs = join(work, 'inputs');
  if (!existsSync(join(inputs, 'inputs.json')))
    tsx('bench/fidelity/inputs.ts', [checkpoint, inputs, ...(process.argv.includes('--quick') ? ['--quick'] : [])]);
  const official = {};
  const reference = option('reference');
  for (const dtype of [...(reference ? [] : ['float32']), ...(process.argv.includes('--bf16') ? ['bfloat16'] : [])]) {
    const file = join(work, `official-${dtype}.json`);
    if (!existsSync(file)) run(python, [join(root, 'bench/fidelity/official.py'), checkpoint, inputs, file, '--dtype', dtype]);
    official[dtype] = JSON.parse(readFileSync(file, 'utf8'));
  }
  const ref = reference ? JSON.parse(readFileSync(reference, 'utf8')) : official.float32;
  const rows = {};
  const add = (name, scores) => {
    rows[name] = Object.fromEntries(
      Object.keys(ref).map((w) => [w, { max_abs: maxAbsDiff(scores[w].scores, ref[w].scores), ms: scores[w].ms }]),
    );
    rows[name].max_abs = Math.max(...Object.keys(ref).map((w) => rows[name][w].max_abs));
  };
  if (official.bfloat16) add('official-bf16', official.bfloat16);
  for (const spec of many('model')) {
    const [name, target] = spec.split('=');
    const [dir, backend] = target.split('@');
    const file = join(work, `sift-${name}.json`);
    if (!existsSync(file)) tsx('bench/fidelity/siftScores.ts', [dir, inputs, file, ...(backend ? [backend] : [])]);
    add(name, JSON.parse(readFileSync(file, 'utf8')));
  }
  const result = {
    checkpoint,
    reference: reference ?? 'official fp32',
    reference_ms: Object.fromEntries(Object.entries(ref).map(([w, v]) => [w, v.ms])),
    formats: rows,
  };
  writeFileSync(join(work, 'fidelity.json'), JSON.stringify(result, null, 1));
  console.log(`\nmax |Δscore| vs ${result.reference} (${Object.keys(ref).join(', ')}):`);
  for (const [name, r] of Object.entries(rows))
    console.log(
      `  ${name.padEnd(16)} ${Object.keys(ref)
        .map((w) => `${w} ${r[w].max_abs.toExponential(2)} (${(r[w].ms / 1000).toFixed(0)} s)`)
        .join('  ')}  → max ${r.max_abs.toExponential(2)}`,
    );
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
