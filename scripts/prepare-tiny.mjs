#!/usr/bin/env node
// Builds the app's built-in tiny models (random weights, ~18 MB each) with the `sift` CLI in the two
// formats the app stores, unless they are already there and were made from the current model code:
//   public/models/tiny/             the reranker, 4-bit MatMulNBits linear layers + a 4-bit residual pass (`--bits 4+4`, what WebGPU runs)
//   public/models/tiny-int8/        the same checkpoint with int8 linear layers (what the WASM EP runs fastest)
//   public/models/tiny-embed/       the embedding model (`sift tiny --kind embedding`), 4+4-bit
//   public/models/tiny-embed-int8/  the same with int8 linear layers
// The stamp is a hash of the files the models are generated from (not git state), kept in .cache.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ensureNpmPackages } from './setup.mjs';

const root = new URL('..', import.meta.url).pathname;
const cache = join(root, '.cache');
/** The generated checkpoints: the reranker's (also served to e2e/convert.spec.ts) and the embedder's. */
const checkpoints = [
  { dir: join(cache, 'tiny-ckpt'), args: [] },
  { dir: join(cache, 'tiny-embed-ckpt'), args: ['--kind', 'embedding'] },
];
const [rerankerCkpt, embedderCkpt] = checkpoints.map((c) => c.dir);
const variants = [
  { dir: join(root, 'public/models/tiny'), ckpt: rerankerCkpt, args: ['--bits', '4+4', '--id', 'sift-tiny'] },
  { dir: join(root, 'public/models/tiny-int8'), ckpt: rerankerCkpt, args: ['--linear', 'int8', '--id', 'sift-tiny-int8'] },
  { dir: join(root, 'public/models/tiny-embed'), ckpt: embedderCkpt, args: ['--bits', '4+4', '--id', 'sift-tiny-embed'] },
  { dir: join(root, 'public/models/tiny-embed-int8'), ckpt: embedderCkpt, args: ['--linear', 'int8', '--id', 'sift-tiny-embed-int8'] },
];
const staging = join(cache, 'tiny-model.tmp');
const stampFile = join(cache, 'tiny-model.stamp');

/** Everything the generated model depends on: the model code, the two CLI commands and this script. */
const SOURCES = ['src/model', 'src/cli/tiny.ts', 'src/cli/convert.ts', 'scripts/prepare-tiny.mjs'];

/** Source files under a path (a file or a directory), absolute. */
function sourceFiles(path) {
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function sourceHash() {
  const hash = createHash('sha256');
  const files = SOURCES.flatMap((s) => sourceFiles(join(root, s))).sort();
  for (const f of files) hash.update(relative(root, f)).update('\0').update(readFileSync(f)).update('\0');
  return hash.digest('hex');
}

function sift(args) {
  const r = spawnSync(process.execPath, [join(root, 'bin/sift.mjs'), ...args], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`sift ${args[0]} failed (exit ${r.status})`);
  }
}

const started = Date.now();
try {
  ensureNpmPackages(); // `npm run dev` is one of the README's two commands on a fresh machine
} catch (err) {
  console.error(`prepare-tiny: ${err.message}`);
  process.exit(1);
}
const hash = sourceHash();
const stamp = existsSync(stampFile) ? readFileSync(stampFile, 'utf8').trim() : '';
if (variants.every((v) => existsSync(join(v.dir, 'manifest.json'))) && stamp === hash) {
  console.log('prepare-tiny: public/models/tiny, tiny-int8, tiny-embed and tiny-embed-int8 are up to date');
  process.exit(0);
}

try {
  mkdirSync(cache, { recursive: true });
  rmSync(staging, { recursive: true, force: true });
  for (const c of checkpoints) {
    rmSync(c.dir, { recursive: true, force: true });
    sift(['tiny', relative(root, c.dir), '--seed', '1', ...c.args]);
  }
  mkdirSync(join(root, 'public/models'), { recursive: true });
  for (const v of variants) {
    rmSync(staging, { recursive: true, force: true });
    sift(['convert', relative(root, v.ckpt), relative(root, staging), ...v.args]);
    // Swap the finished directory in, so a failed run never leaves a half-written model being served.
    rmSync(v.dir, { recursive: true, force: true });
    renameSync(staging, v.dir);
  }
  writeFileSync(stampFile, `${hash}\n`);
} catch (err) {
  console.error(`prepare-tiny: ${err.message}`);
  process.exit(1);
}
const secs = ((Date.now() - started) / 1000).toFixed(1);
for (const v of variants) {
  const manifest = JSON.parse(readFileSync(join(v.dir, 'manifest.json'), 'utf8'));
  console.log(
    `prepare-tiny: built ${manifest.id} ${manifest.version} (${(manifest.totalBytes / 1e6).toFixed(1)} MB, ${manifest.shards.length} files)`,
  );
}
console.log(`prepare-tiny: done in ${secs} s`);
