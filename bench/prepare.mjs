// Generated checkpoints and converted models for the bench, in .cache/bench (gitignored). Each is
// rebuilt only when the code that makes it changed (a hash of src/model, the two CLI commands and
// this file, as scripts/prepare-tiny.mjs does).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const cacheDir = join(root, '.cache/bench');
const SOURCES = ['src/model', 'src/cli/tiny.ts', 'src/cli/convert.ts', 'bench/gen-checkpoint.ts', 'bench/prepare.mjs'];

function files(path) {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function sourceHash(extra) {
  const h = createHash('sha256').update(JSON.stringify(extra));
  for (const f of SOURCES.flatMap((s) => files(join(root, s))).sort()) h.update(relative(root, f)).update('\0').update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

function run(args, what) {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return (Date.now() - t0) / 1000;
}

/**
 * The model `name` in .cache/bench/<name>/model (converted), generated if missing or stale.
 * spec: { realSize: true, layers?, visionDepth?, linear?, bits?, graphFormat?, kind? ('embedding': Qwen3-VL-Embedding) } — without layers/visionDepth: the
 * full 2B sizes; linear 'int8' converts with int8 linear layers (the WASM EP's format, graphs in ORT
 * format unless graphFormat 'onnx'), else MatMulNBits at `bits` ('4' unless given; '4+4': WebGPU's format).
 */
export function prepareModel(name, spec, log = console.log) {
  const dir = join(cacheDir, name);
  const ckpt = join(dir, 'checkpoint');
  const model = join(dir, 'model');
  const stampFile = join(dir, 'stamp');
  const stamp = sourceHash(spec);
  if (existsSync(join(model, 'manifest.json')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) {
    return { dir: model, built: false };
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`preparing ${name}: generating the checkpoint…`);
  const gen = spec.layers
    ? run(
        ['--import', 'tsx', 'bench/gen-checkpoint.ts', ckpt, String(spec.layers), String(spec.visionDepth), spec.kind ?? 'reranker'],
        'checkpoint generation',
      )
    : run(
        ['bin/sift.mjs', 'tiny', ckpt, '--real-size', '--seed', '3', ...(spec.kind ? ['--kind', spec.kind] : [])],
        'sift tiny --real-size',
      );
  log(`  checkpoint in ${gen.toFixed(0)} s; converting (${spec.linear ?? `${spec.bits ?? 4}-bit`})…`);
  const conv = run(
    [
      'bin/sift.mjs',
      'convert',
      ckpt,
      model,
      '--bits',
      spec.bits ?? '4',
      '--linear',
      spec.linear ?? 'nbits',
      ...(spec.graphFormat ? ['--graph-format', spec.graphFormat] : []),
      '--id',
      `bench-${name}`,
    ],
    'sift convert',
  );
  log(`  converted in ${conv.toFixed(0)} s`);
  // The checkpoint is only an intermediate (the 2B one is 4.3 GB).
  rmSync(ckpt, { recursive: true, force: true });
  writeFileSync(stampFile, stamp);
  return { dir: model, built: true, genSeconds: gen, convertSeconds: conv };
}
