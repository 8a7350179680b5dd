// The section "beside the peer" (bench/full2bPeerSection.mjs) summarized: medians per system and
// workload, the peer (the faster official dtype, per workload), speedups, each format's fidelity
// against the official fp32, the JSON keys of issue I, and the markdown table.
import { median, round } from './numbers.mjs';

export const WORKLOADS = ['text10', 'img4', 'imgq_text10'];
const SPEEDUP_NAMES = { text10: 'text', img4: 'image', imgq_text10: 'image_query' };
const ok = (rounds) => rounds.filter((r) => r && !r.error);

/** A system's medians and per-round numbers (every measurement keeps its load average). */
function systemRecord(sys, rounds) {
  const good = ok(rounds);
  const workloads = Object.fromEntries(
    WORKLOADS.map((w) => {
      const runs = good.map((r) => r.workloads?.[w]).filter(Boolean);
      const ms = runs.map((x) => x.ms);
      return [
        w,
        {
          ms_median: ms.length ? round(median(ms), 0) : null,
          ms,
          loadavg: runs.map((x) => x.loadavg),
          errors: runs.flatMap((x) => x.errors ?? []),
        },
      ];
    }),
  );
  const { kind, format, ep, backend, dtype } = sys;
  return {
    kind,
    ...(format ? { format } : {}),
    ...(ep ? { ep } : {}),
    ...(backend ? { backend } : {}),
    ...(dtype ? { dtype } : {}),
    runtime: good[0]?.runtime ?? null,
    // Sift: its model's load; official: official.py's whole run (Python start, load, every workload).
    ...(kind === 'official' ? { wall_ms: good.map((r) => r.wall_ms) } : { load_ms: good.map((r) => r.load_ms) }),
    ...(good[0]?.native_int8_saturates ? { native_int8_saturates: true } : {}),
    workloads,
    errors: rounds.filter((r) => r?.error).map((r) => r.error),
  };
}

/** max |Δscore| of a system's first good round against the reference's, per workload and over all three. */
function fidelityOf(rounds, refRounds) {
  const [a, ref] = [ok(rounds)[0], ok(refRounds ?? [])[0]];
  if (!a || !ref) return null;
  const by = {};
  for (const w of WORKLOADS) {
    const x = a.workloads?.[w]?.scores;
    const y = ref.workloads?.[w]?.scores;
    if (!x || !y || x.length !== y.length) return null;
    by[w] = +Math.max(...x.map((s, i) => (s === null ? Infinity : Math.abs(s - y[i])))).toPrecision(3);
  }
  return { max_abs: Math.max(...Object.values(by)), by_workload: by };
}

/** Per workload, the faster official dtype. */
function peerOf(systems) {
  const official = Object.entries(systems).filter(([, s]) => s.kind === 'official');
  return Object.fromEntries(
    WORKLOADS.map((w) => {
      const best = official
        .filter(([, s]) => s.workloads[w].ms_median)
        .sort((a, b) => a[1].workloads[w].ms_median - b[1].workloads[w].ms_median)[0];
      return [w, best ? { system: best[0], ms: best[1].workloads[w].ms_median } : null];
    }),
  );
}

/** { <prefix>_text, _image, _image_query }: peer ms ÷ the system's ms (> 1: Sift is faster). */
function speedups(prefix, peer, sys) {
  return Object.fromEntries(
    WORKLOADS.map((w) => {
      const mine = sys?.workloads[w].ms_median;
      return [`${prefix}_${SPEEDUP_NAMES[w]}`, peer[w] && mine ? round(peer[w].ms / mine, 2) : null];
    }),
  );
}

/** The section's record and the top-level keys of latest.json. */
export function summarizePeer({ model, label, reps, systems, rounds, defaults, python, notes = [] }) {
  const recs = Object.fromEntries(Object.entries(systems).map(([k, s]) => [k, systemRecord(s, rounds[k])]));
  const fidelity = {};
  for (const k of Object.keys(recs)) {
    if (k === 'official_fp32') continue;
    const f = fidelityOf(rounds[k], rounds.official_fp32);
    recs[k].fidelity = f;
    fidelity[k] = f ? f.max_abs : null;
  }
  const peer = peerOf(recs);
  const wasmDefault = `browser_wasm_${defaults.wasm}`;
  // WebGPU's default format on a real adapter when this run had one, else the same graphs on the CPU
  // (onnxruntime-node: MatMulNBits dequantizes to fp32 on either EP, so the format's error is the same).
  const webgpuDefault = [`browser_webgpu_${defaults.webgpu}`, `browser_wasm_${defaults.webgpu}`, `node_native_${defaults.webgpu}`].find(
    (k) => recs[k],
  );
  const nodeDefault = `node_native_${defaults.node_native}`;
  const keys = {
    ...Object.fromEntries(
      WORKLOADS.map((w) => [`full2b_ms_${w}`, Object.fromEntries(Object.entries(recs).map(([k, s]) => [k, s.workloads[w].ms_median]))]),
    ),
    ...speedups('peer_speedup', peer, recs[wasmDefault]),
    ...speedups('node_peer_speedup', peer, recs[nodeDefault]),
    fidelity_max_abs: fidelity,
    fidelity_max_abs_wasm_default: fidelity[wasmDefault] ?? null,
    fidelity_max_abs_webgpu_default: webgpuDefault ? (fidelity[webgpuDefault] ?? null) : null,
  };
  const record = {
    model,
    label,
    reps,
    defaults: { ...defaults, wasm_system: wasmDefault, webgpu_system: webgpuDefault, node_native_system: nodeDefault },
    python: python.python ? { python: python.python, torch: python.torch, transformers: python.transformers } : { skipped: python.note },
    peer,
    notes,
    systems: recs,
  };
  return { record, keys };
}

const fmt = (v, d = 0) => (v === null || v === undefined || Number.isNaN(v) ? '—' : Number(v).toFixed(d));
const fmtExp = (v) => (v === null || v === undefined ? '—' : v === 0 ? '0' : Number(v).toExponential(1));

/** Markdown: rows = systems, columns = the three workloads (ms, and the peer's time ÷ it), fidelity. */
export function peerLines(r) {
  const p = r.full2b_peer;
  if (!p) return [];
  const lines = [`## 8. Beside the peer: ${p.label ?? p.model}`, ''];
  if (p.skipped) return [...lines, `Skipped: ${p.skipped}.`, ...visionReuseLines(r)];
  return [...lines, ...peerTable(p), ...visionReuseLines(r)];
}

/** Vision reuse (bench/visionReuse.ts): the second query over the same images, with vs without kept vision outputs. */
function visionReuseLines(r) {
  const v = r.vision_reuse;
  if (!v) return [];
  if (v.error) return ['', `Vision reuse (${v.model}): failed: ${v.error.slice(0, 300)}`, ''];
  return [
    '',
    `Vision reuse (${v.model}, ${v.runtime}): the second query over the same ${v.documents} images ${v.image}: ` +
      `**${v.vision_reuse_speedup}×** (${v.second_query_ms.uncached} → ${v.second_query_ms.cached} ms; ${v.reps} rep${v.reps === 1 ? '' : 's'}).`,
    '',
  ];
}

function peerTable(p) {
  const lines = [];
  if (p.model !== 'full2b')
    lines.push(`**Not the full-size 2B** (\`--peer-model ${p.model}\`): a plumbing check, not the issue's numbers.`, '');
  const peerMs = (w) => p.peer[w]?.ms;
  lines.push('| system | text10 ms | × | img4 ms | × | imgq_text10 ms | × | max \\|Δscore\\| vs official fp32 | load avg (1 min) |');
  lines.push('|---|---|---|---|---|---|---|---|---|');
  for (const [name, s] of Object.entries(p.systems)) {
    const tags = [
      name === p.defaults.wasm_system && 'WASM default',
      name === p.defaults.webgpu_system && 'WebGPU default format',
      name === p.defaults.node_native_system && 'Node',
    ].filter(Boolean);
    const cells = WORKLOADS.flatMap((w) => {
      const ms = s.workloads[w].ms_median;
      const isPeer = p.peer[w]?.system === name;
      return [`${fmt(ms)}${isPeer ? ' (peer)' : ''}`, ms && peerMs(w) ? `${fmt(peerMs(w) / ms, 2)}` : '—'];
    });
    const loads = WORKLOADS.flatMap((w) => s.workloads[w].loadavg.map((l) => l?.[0])).filter((x) => x !== undefined && x !== null);
    const load = loads.length ? `${Math.min(...loads)}–${Math.max(...loads)}` : '—';
    const fid = name === 'official_fp32' ? 'reference' : fmtExp(s.fidelity?.max_abs);
    lines.push(
      `| ${name}${tags.length ? ` (${tags.join(', ')})` : ''}${s.errors.length ? ' ⚠' : ''} | ${cells.join(' | ')} | ${fid} | ${load} |`,
    );
  }
  lines.push(
    '',
    `Medians of ${p.reps} rounds (systems run in turn: load, a warm-up document, the three workloads); the non-default formats and node_wasm_int8 run in the first round only. ` +
      "× = the peer's time ÷ this system's (> 1: faster than the peer); the peer is the faster official dtype per workload " +
      "(transformers' Qwen3-VL class, one forward per (query, document) pair, as Qwen3VLReranker does). Sift scores as the app does " +
      '(the query prefix and its image run once, documents packed). Same prepared inputs everywhere (bench/peerInputs.ts); random weights: speed and agreement mean something, the scores do not.',
    '',
    "**These are CPU numbers** (2 threads of this machine: WASM in Chromium and Node, onnxruntime-node's CPU EP, PyTorch on the CPU). " +
      'They are not GPU speed: on a machine with a GPU, run the bench there (bench/README.md, --gpu) and read its WebGPU row; the official model on that GPU is not measured here (official.py runs on the CPU).',
  );
  if (p.python.skipped) lines.push('', `Official implementation not run: ${p.python.skipped}.`);
  const sat = Object.entries(p.systems)
    .filter(([, s]) => s.native_int8_saturates)
    .map(([k]) => k);
  if (sat.length)
    lines.push(
      '',
      `${sat.join(', ')}: this CPU has no VNNI, onnxruntime-node's int8 kernels saturate on ORT-format int8 graphs (src/cli/backend.ts) — its fidelity shows it; the CLI itself runs such models on WASM.`,
    );
  if (!p.defaults.webgpu_system?.startsWith('browser_webgpu'))
    lines.push(
      '',
      `No real WebGPU adapter: \`fidelity_max_abs_webgpu_default\` is the WebGPU default format (${p.defaults.webgpu}) run as ${p.defaults.webgpu_system ?? '—'}.`,
    );
  for (const n of p.notes ?? []) lines.push('', n);
  for (const [name, s] of Object.entries(p.systems)) for (const e of s.errors) lines.push('', `⚠ ${name}: ${e.slice(0, 300)}`);
  return lines;
}
