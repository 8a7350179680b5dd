// What the section "beside the peer" (bench/peerSection.mjs) runs on: the converted models (the bench's
// own, bench/prepare.mjs, so the caches are shared), the checkpoint they were converted from (kept for
// the official implementation: prepareModel deletes its copy), and a Python with torch and transformers.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { cacheDir, prepareModel, root } from './prepare.mjs';

/**
 * The models a peer run can use, by name. The specs are bench/runner.mjs's own (same objects, same key
 * order: prepareModel stamps a hash of them), so the section reuses the models the bench builds anyway.
 * The checkpoint is generated as prepareModel generates it (same generator, same seed: the same weights).
 */
export const PEER_MODELS = {
  full2b: {
    label: 'full-size 2B (28 layers, 24 vision blocks; random weights)',
    nbits: ['full2b', { realSize: true }],
    int8: ['full2b-int8', { realSize: true, linear: 'int8' }],
    q44: ['full2b-q44', { realSize: true, bits: '4+4' }],
    generate: (dir) => ['bin/sift.mjs', 'tiny', dir, '--real-size', '--seed', '3'],
  },
  l4v6: {
    label: 'bench model (real 2B widths, 4 layers, 6 vision blocks; random weights)',
    nbits: ['l4v6', { realSize: true, layers: 4, visionDepth: 6 }],
    int8: ['l4v6-int8', { realSize: true, layers: 4, visionDepth: 6, linear: 'int8' }],
    q44: ['l4v6-q44', { realSize: true, layers: 4, visionDepth: 6, bits: '4+4' }],
    generate: (dir) => ['--import', 'tsx', 'bench/gen-checkpoint.ts', dir, '4', '6', 'reranker'],
  },
};

// What the checkpoint's bytes depend on (the generator and what it imports).
const GENERATOR_SOURCES = ['src/cli/tiny.ts', 'src/model/tiny.ts', 'src/model/checkpoint', 'bench/gen-checkpoint.ts'];

function sourcesHash(extra) {
  const h = createHash('sha256').update(JSON.stringify(extra));
  const files = (p) => {
    const abs = join(root, p);
    if (!existsSync(abs)) return [];
    if (statSync(abs).isFile()) return [abs];
    return readdirSync(abs, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name));
  };
  for (const f of GENERATOR_SOURCES.flatMap(files).sort()) h.update(relative(root, f)).update('\0').update(readFileSync(f));
  return h.digest('hex').slice(0, 16);
}

/** The checkpoint of model `name` in .cache/bench/<name>-checkpoint (4.3 GB for the 2B), generated when missing or stale. */
export function prepareCheckpoint(name, log) {
  const m = PEER_MODELS[name];
  const dir = join(cacheDir, `${name}-checkpoint`);
  const ckpt = join(dir, 'checkpoint');
  const stamp = sourcesHash(m.nbits[1]);
  const stampFile = join(dir, 'stamp');
  if (existsSync(join(ckpt, 'config.json')) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return ckpt;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`peer: generating the ${name} checkpoint for the official implementation…`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, m.generate(ckpt), { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`checkpoint generation failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  writeFileSync(stampFile, stamp);
  log(`  checkpoint in ${((Date.now() - t0) / 1000).toFixed(0)} s: ${ckpt}`);
  return ckpt;
}

/** The converted models (4-bit, 4+4-bit and int8) and the checkpoint of `name`, built or found in .cache/bench. */
export function peerModels(name, log) {
  const m = PEER_MODELS[name];
  if (!m) throw new Error(`--peer-model must be one of ${Object.keys(PEER_MODELS).join(', ')}, got ${name}`);
  const dirs = {};
  for (const format of ['nbits', 'q44', 'int8']) {
    const [id, spec] = m[format];
    dirs[format] = { dir: prepareModel(id, spec, log).dir, url: `/bench-models/${id}/model/` };
  }
  return { name, label: m.label, formats: dirs, checkpoint: prepareCheckpoint(name, log) };
}

const PY_CHECK = 'import torch, transformers; print(torch.__version__, transformers.__version__)';
const PIP_PACKAGES = ['torch==2.13.0', 'transformers==5.17.0', 'safetensors', 'tokenizers', 'pillow', 'av'];
export const DEFAULT_VENV = join(cacheDir, 'venv');

function probe(python) {
  const r = spawnSync(python, ['-c', PY_CHECK], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/**
 * A Python with torch and transformers: --python, else $SIFT_BENCH_PYTHON, else .cache/bench/venv
 * (created here with pip when missing). Returns { python, versions } or { python: null, note }.
 */
export function findPython(given, log) {
  const explicit = given ?? process.env.SIFT_BENCH_PYTHON;
  const python = explicit ?? join(DEFAULT_VENV, 'bin/python');
  let versions = existsSync(python) || explicit ? probe(python) : null;
  if (!versions && !explicit) {
    log(`peer: creating ${DEFAULT_VENV} (pip install ${PIP_PACKAGES.join(' ')}; minutes the first time)…`);
    const venv = spawnSync('python3', ['-m', 'venv', DEFAULT_VENV], { encoding: 'utf8' });
    const pip =
      venv.status === 0
        ? spawnSync(join(DEFAULT_VENV, 'bin/pip'), ['install', '-q', ...PIP_PACKAGES], { encoding: 'utf8', maxBuffer: 1 << 26 })
        : venv;
    if (pip.status !== 0)
      return { python: null, note: `no Python with torch: creating ${DEFAULT_VENV} failed: ${(pip.stderr ?? '').slice(-300)}` };
    versions = probe(python);
  }
  if (!versions) return { python: null, note: `${python} cannot import torch and transformers: the official implementation was not run` };
  const [torch, transformers] = versions.split(' ');
  return { python, torch, transformers };
}
