#!/usr/bin/env node
// Sift's embeddings against the official embedder's in fp32, on the same prepared inputs
// (embedInputs.ts): the cosine per input kind, for each converted model given.
//   node bench/fidelity/embedRun.mjs --checkpoint <dir> --work <dir> --python <python with torch + transformers> \
//     (--official <qwen3_vl_embedding.py> | --official-repo <QwenLM/Qwen3-VL-Embedding git dir>) \
//     --model name=<converted dir> … [--set tiny|real] [--threads N]
// The official file is read at run time (from a bare git dir: `git show HEAD:src/models/qwen3_vl_embedding.py`
// into <work>), never copied into Sift. Media (tiny.png, mid.jpg, big.png, v.mp4) are made with ffmpeg
// in <work>/media. Writes <work>/embed-parity.json and prints a table; the official run is cached.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const many = (name) => process.argv.flatMap((a, i) => (process.argv[i - 1] === `--${name}` ? [a] : []));

function run(cmd, args, stdout = 'inherit') {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', stdout, 'inherit'], maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status})`);
  return r.stdout;
}

const tsx = (script, args) => run(process.execPath, ['--import', 'tsx', join(root, script), ...args]);

export function cosine(a, b) {
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    ab += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return ab / Math.sqrt(aa * bb);
}

/** Test images of several sizes (smaller than the minimum, ordinary, past the 1800-token budget) and a 4 s video. */
function makeMedia(dir) {
  mkdirSync(dir, { recursive: true });
  const ffmpeg = (out, ...args) => {
    if (!existsSync(join(dir, out))) run('ffmpeg', ['-loglevel', 'error', '-y', ...args, join(dir, out)]);
  };
  ffmpeg('tiny.png', '-f', 'lavfi', '-i', 'testsrc2=size=40x30', '-frames:v', '1');
  ffmpeg('mid.jpg', '-f', 'lavfi', '-i', 'testsrc2=size=640x480', '-frames:v', '1');
  ffmpeg('big.png', '-f', 'lavfi', '-i', 'mandelbrot=size=2400x1600', '-frames:v', '1');
  ffmpeg('v.mp4', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=10', '-t', '4', '-pix_fmt', 'yuv420p');
}

function officialFile(work) {
  const file = option('official');
  if (file) return file;
  const repo = option('official-repo');
  if (!repo) throw new Error('give --official <qwen3_vl_embedding.py> or --official-repo <git dir>');
  const out = join(work, 'qwen3_vl_embedding.py');
  writeFileSync(out, run('git', ['-C', repo, 'show', 'HEAD:src/models/qwen3_vl_embedding.py'], 'pipe'));
  return out;
}

function main() {
  const checkpoint = option('checkpoint');
  const work = option('work');
  const python = option('python', 'python3');
  const set = option('set', 'tiny');
  if (!checkpoint || !work)
    throw new Error(
      'usage: node bench/fidelity/embedRun.mjs --checkpoint <dir> --work <dir> --python <python> (--official <file> | --official-repo <git dir>) --model name=dir … [--set tiny|real]',
    );
  mkdirSync(work, { recursive: true });
  const media = join(work, 'media');
  makeMedia(media);
  const inputs = join(work, 'inputs');
  if (!existsSync(join(inputs, 'inputs.json'))) tsx('bench/fidelity/embedInputs.ts', [checkpoint, media, inputs, '--set', set]);
  const officialOut = join(work, 'official-float32.json');
  if (!existsSync(officialOut)) {
    const threads = option('threads');
    run(python, [
      join(root, 'bench/fidelity/embedOfficial.py'),
      officialFile(work),
      checkpoint,
      inputs,
      officialOut,
      ...(threads ? ['--threads', threads] : []),
    ]);
  }
  const official = JSON.parse(readFileSync(officialOut, 'utf8'));
  const names = Object.keys(official.embeddings);
  const rows = {};
  for (const spec of many('model')) {
    const [name, dir] = spec.split('=');
    const file = join(work, `sift-${name}.json`);
    tsx('bench/fidelity/embedSift.ts', [dir, media, inputs, file]);
    const sift = JSON.parse(readFileSync(file, 'utf8'));
    const cos = Object.fromEntries(
      names.map((n) => [n, sift.embeddings[n] ? cosine(sift.embeddings[n], official.embeddings[n]) : Number.NaN]),
    );
    rows[name] = { cosine: cos, min: Math.min(...Object.values(cos)), ms: sift.ms, errors: sift.errors };
  }
  const idsChecked = Object.entries(official.ids);
  const result = { checkpoint, set, ids: official.ids, official_ms: official.ms, formats: rows };
  writeFileSync(join(work, 'embed-parity.json'), JSON.stringify(result, null, 1));
  console.log(
    `\nprompt ids, official format_model_input + chat template + tokenizer vs Sift: ${idsChecked.filter(([, v]) => v.same).length}/${idsChecked.length} identical` +
      idsChecked
        .filter(([, v]) => !v.same)
        .map(([k, v]) => `\n  ${k}: official ${v.official} vs sift ${v.sift} tokens, first difference at ${v.first_diff}`)
        .join(''),
  );
  const formats = Object.keys(rows);
  const cell = (c) => `${c.toFixed(7)} (1−cos ${(1 - c).toExponential(1)})`.padStart(28);
  console.log(`\ncosine to the official fp32 embedding:\n  ${'input'.padEnd(24)}${formats.map((f) => f.padStart(28)).join('')}`);
  for (const n of names) console.log(`  ${n.padEnd(24)}${formats.map((f) => cell(rows[f].cosine[n])).join('')}`);
  console.log(`  ${'min'.padEnd(24)}${formats.map((f) => cell(rows[f].min)).join('')}`);
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) main();
