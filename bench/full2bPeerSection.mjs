// Section 8: the full-size 2B beside the peer (issue I, points 0, 2 and 3). Issue I's three workloads
// (text10: 10 short texts vs a text query; img4: 4 images 448×448; imgq_text10: a 448×448 image query vs
// the 10 texts), prepared once (bench/peerInputs.ts) and run, round after round, by every system:
// Sift in Chromium (WASM EP; WebGPU too where a real adapter exists), Sift in Node (onnxruntime-node's
// CPU EP, onnxruntime-web's WASM build) and the official implementation in Python (fp32 and bf16,
// bench/peerOfficial.mjs). Each system loads, scores a warm-up document, then the three workloads; the
// next system runs after it has released its memory (the 2B in fp32 is 8.6 GB). Medians of `reps`
// rounds; the load average is kept with every measurement. Scores give each format's fidelity (max
// |Δscore| vs the official fp32). bench/peerSummary.mjs turns this into the JSON keys and the table.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { call } from './scoringSections.mjs';
import { cacheDir, prepareModel, root } from './prepare.mjs';
import { round } from './numbers.mjs';
import { findPython, PEER_MODELS, peerModels } from './peerModels.mjs';
import { runOfficial } from './peerOfficial.mjs';
import { summarizePeer } from './peerSummary.mjs';

const loadNow = () => os.loadavg().map((x) => round(x, 2));
// A system's format → the converted model it runs (bench/peerModels.mjs).
const MODEL_OF = { int8: 'int8', '4bit': 'nbits', '4p4': 'q44' };

/** The formats each backend runs by default (workers/backend.ts; the app's WebGPU models are 4+4). */
async function appDefaults() {
  const { residualFor, storedLinearFor } = await tsImport('../workers/backend.ts', import.meta.url);
  const formatOn = (backend) => {
    const linear = storedLinearFor(backend);
    return linear === 'int8' ? 'int8' : residualFor(linear) ? '4p4' : '4bit';
  };
  return {
    wasm: formatOn('wasm'),
    webgpu: formatOn('webgpu'),
    // Node's CPU format: the same int8 graphs the browser runs, on onnxruntime-node's CPU EP.
    node_native: 'int8',
  };
}

/**
 * The systems of this run, in the order each round runs them. `rounds: 1` marks the ones that are
 * there for their format's fidelity or as a comparison (not a default, not the peer): they run in
 * the first round only, which keeps a full run within a session.
 */
function systemsOf(models, { webgpu, python, dtypes }) {
  const browser = (format, ep, rounds) => ({ kind: 'browser', format, ep, url: models.formats[MODEL_OF[format]].url, rounds });
  const node = (format, backend, rounds) => ({ kind: 'node', format, backend, dir: models.formats[MODEL_OF[format]].dir, rounds });
  const s = {
    browser_wasm_int8: browser('int8', 'wasm'),
    browser_wasm_4bit: browser('4bit', 'wasm', 1),
    ...(webgpu ? { browser_webgpu_4p4: browser('4p4', 'webgpu') } : {}),
    node_native_int8: node('int8', 'native'),
    node_native_4bit: node('4bit', 'native', 1),
    // WebGPU's format on the CPU: its fidelity where no real adapter runs it.
    node_native_4p4: node('4p4', 'native', 1),
    node_wasm_int8: node('int8', 'wasm', 1),
  };
  if (python) for (const d of dtypes) s[`official_${d}`] = { kind: 'official', dtype: d };
  return s;
}

/**
 * The official dtypes to run: `--peer-dtypes`, else fp32, plus bf16 where the CPU has bf16 arithmetic
 * (AVX512-BF16 or AMX; not Linux: assumed). Without it torch converts every bf16 operand: on this
 * project's AVX2 VM the official bf16 was 1.8–4.3× slower than fp32 on the bench model (`npm run bench
 * -- --peer-only --peer-model l4v6`), and at full size a bf16 round would take about an hour.
 */
export function officialDtypes(given) {
  if (given) return { dtypes: given, note: null };
  const both = { dtypes: ['fp32', 'bf16'], note: null };
  let flags;
  try {
    flags = os.platform() === 'linux' ? (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '') : null;
  } catch {
    flags = null;
  }
  if (flags === null || /\b(avx512_bf16|amx_bf16)\b/.test(flags)) return both;
  return {
    dtypes: ['fp32'],
    note: 'official bf16 not run: this CPU has no AVX512-BF16/AMX (torch would emulate it; 1.8–4.3× slower than fp32 on the bench model here); give --peer-dtypes fp32,bf16 to run it',
  };
}

/** One browser round of a system: a fresh page (a fresh wasm heap), the model loaded over HTTP, each workload. */
async function browserRound(b, sys, inputsUrl) {
  const page = await b.newPage();
  try {
    const l = await call(page, 'loadHttp', 'peer', sys.url, { ep: sys.ep });
    const workloads = {};
    for (const w of await call(page, 'peerWorkloads', inputsUrl)) {
      const r = await call(page, 'peerScore', 'peer', inputsUrl, w);
      workloads[w] = { ms: Math.round(r.ms), scores: r.scores, errors: r.errors, loadavg: loadNow() };
      b.log(`  ${sys.name} ${w}: ${Math.round(r.ms)} ms`);
    }
    return { load_ms: Math.round(l.ms), linear: l.linear, runtime: `Chromium, onnxruntime-web ${sys.ep}`, workloads };
  } finally {
    await page.context().close();
  }
}

/** One Node round of a system: bench/peerSift.ts in a child process. */
function nodeRound(b, sys, inputsDir) {
  const args = ['--import', 'tsx', join(root, 'bench/peerSift.ts'), sys.dir, inputsDir, '--backend', sys.backend];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c) => {
      err = (err + c).slice(-3000);
      for (const line of c.split('\n')) if (/: \d+ ms/.test(line)) b.log(`  ${sys.name} ${line.split(' ').slice(-3).join(' ')}`);
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop()))
        : reject(new Error(`peerSift.ts failed (exit ${code}): ${err.slice(-1500)}`)),
    );
  });
}

/** One round of one system; an error is recorded, not thrown (the other systems still run). */
async function runRound(b, ctx, sys) {
  const t0 = Date.now();
  try {
    if (sys.kind === 'browser') return await browserRound(b, sys, ctx.inputsUrl);
    if (sys.kind === 'node') return await nodeRound(b, sys, ctx.inputsDir);
    const threads = os.availableParallelism();
    const r = await runOfficial({
      ...ctx.python,
      checkpoint: ctx.models.checkpoint,
      inputsDir: ctx.inputsDir,
      workDir: ctx.workDir,
      dtype: sys.dtype,
      threads,
      log: b.log,
    });
    return { ...r, runtime: `transformers ${ctx.python.transformers}, torch ${ctx.python.torch} (${threads} threads)` };
  } catch (e) {
    b.log(`  ${sys.name}: FAILED after ${((Date.now() - t0) / 1000).toFixed(0)} s: ${String(e.message ?? e).slice(0, 300)}`);
    // A page that ran out of memory can take the browser with it: the next system gets a fresh one.
    if (sys.kind === 'browser') await b.relaunch().catch(() => {});
    return { error: String(e.message ?? e).slice(0, 1000) };
  }
}

/** The prepared inputs in .cache/bench/peer-<model>/inputs (served at /bench-models/peer-<model>/inputs/). */
function prepareInputs(models) {
  const workDir = join(cacheDir, `peer-${models.name}`);
  const inputsDir = join(workDir, 'inputs');
  rmSync(inputsDir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench/peerInputs.ts'), models.checkpoint, inputsDir], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`bench/peerInputs.ts failed: ${r.stderr.slice(-1500)}`);
  return { workDir, inputsDir, inputsUrl: `/bench-models/peer-${models.name}/inputs/`, described: r.stdout.trim() };
}

/**
 * Runs the section. opts: { model: 'full2b' | 'l4v6', reps, python (path or undefined), dtypes
 * (['fp32', 'bf16']), webgpu (a real adapter, or forced) }. Returns the record for latest.json.
 */
export async function full2bPeerSection(b, opts) {
  const models = peerModels(opts.model, b.log);
  const python = findPython(opts.python, b.log);
  if (!python.python) b.log(`peer: ${python.note}`);
  const ctx = { models, python, ...prepareInputs(models) };
  b.log(`peer inputs (${ctx.inputsDir}):\n${ctx.described}`);
  const official = officialDtypes(opts.dtypes);
  if (official.note) b.log(`peer: ${official.note}`);
  const systems = systemsOf(models, { webgpu: opts.webgpu, python: python.python, dtypes: official.dtypes });
  const rounds = Object.fromEntries(Object.keys(systems).map((k) => [k, []]));
  for (let r = 0; r < opts.reps; r++) {
    for (const [name, sys] of Object.entries(systems)) {
      if (sys.rounds !== undefined && r >= sys.rounds) continue;
      b.log(`peer round ${r + 1}/${opts.reps}: ${name} (load average ${loadNow().join(', ')})`);
      rounds[name].push(await runRound(b, ctx, { ...sys, name }));
    }
  }
  return summarizePeer({
    model: models.name,
    label: models.label,
    reps: opts.reps,
    systems,
    rounds,
    defaults: await appDefaults(),
    python,
    notes: official.note ? [official.note] : [],
  });
}

/**
 * Vision reuse (bench/visionReuse.ts in a Node child, the CLI's default runtime for that model): the second
 * query over the same 8 image documents with vs without the kept vision outputs.
 */
export function visionReuseSection({ modelDir, reps, log }) {
  const work = join(cacheDir, 'vision-reuse-work');
  const args = ['--import', 'tsx', join(root, 'bench/visionReuse.ts'), modelDir, work, `--reps=${reps}`];
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`bench/visionReuse.ts failed (exit ${r.status}): ${r.stderr.slice(-2000)}`);
  const v = JSON.parse(r.stdout.trim().split('\n').pop());
  log(
    `vision reuse: ${v.vision_reuse_speedup}× (second query ${v.second_query_ms.uncached} → ${v.second_query_ms.cached} ms, ${v.documents} images ${v.image}, ${v.runtime})`,
  );
  return { ...v, model_dir: modelDir, loadavg: loadNow() };
}

/**
 * Section 8 for the runner: the peer section (full runs on the full 2B; `--peer-model` names another
 * prepared model, also with --quick; `--no-peer` skips it) and vision reuse (the 2B in full runs, the
 * bench model otherwise). Returns the fields of latest.json.
 */
export async function peerFields(b, result) {
  const o = b.opts;
  const model = o.peerModel ?? 'full2b';
  const run = !o.noPeer && (o.peerOnly || o.peerModel !== undefined || b.full !== null);
  const out = {};
  if (run) {
    b.section(`8. beside the peer: ${model}, ${o.peerReps} rounds (systems in turn)`);
    const adapter = result.machine.webgpu_adapter;
    const webgpu = Boolean(adapter) && (!adapter.fallback || o.webgpu);
    const { record, keys } = await full2bPeerSection(b, { model, reps: o.peerReps, python: o.python, dtypes: o.peerDtypes, webgpu });
    Object.assign(out, keys, { full2b_peer_model: model, full2b_peer: record });
  } else {
    out.full2b_peer = {
      skipped: o.noPeer ? '--no-peer' : b.quick ? '--quick (give --peer-model l4v6 to run it on the bench model)' : '--no-full2b',
    };
  }
  const reuseModel = run ? model : b.full !== null ? 'full2b' : 'l4v6';
  const [id, spec] = PEER_MODELS[reuseModel].int8;
  b.section(`8b. vision reuse: second query over the same 8 images (${reuseModel}, int8)`);
  const reps = reuseModel === 'full2b' || b.quick ? 1 : 3;
  try {
    out.vision_reuse = { model: reuseModel, ...visionReuseSection({ modelDir: prepareModel(id, spec, b.log).dir, reps, log: b.log }) };
    out.vision_reuse_speedup = out.vision_reuse.vision_reuse_speedup;
  } catch (e) {
    b.log(`vision reuse FAILED: ${String(e.message ?? e).slice(0, 500)}`);
    out.vision_reuse = { model: reuseModel, error: String(e.message ?? e).slice(0, 1000) };
    out.vision_reuse_speedup = null;
  }
  return out;
}
