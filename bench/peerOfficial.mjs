// The official implementation's run for the section "beside the peer": bench/fidelity/official.py (the
// transformers Qwen3-VL model class, scored as Qwen3VLReranker.compute_scores does: one forward per
// (query, document) pair) on the prepared inputs (bench/peerInputs.ts), as it is — it times each
// workload itself, after loading, and prints a line per workload on stderr, when this records the
// load average. The inputs' `warmup` workload runs first, so torch's first-call costs stay out of text10.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { root } from './prepare.mjs';
import { round } from './numbers.mjs';

export const OFFICIAL_DTYPES = { fp32: 'float32', bf16: 'bfloat16' };

/**
 * Runs official.py once in `dtype` ('fp32' | 'bf16') with `threads` torch threads. Resolves with
 * { wall_ms, workloads: { name: { ms, scores, loadavg } } }; rejects when Python fails.
 */
export function runOfficial({ python, checkpoint, inputsDir, workDir, dtype, threads, log }) {
  const out = join(workDir, `official-${dtype}.json`);
  rmSync(out, { force: true });
  const args = [
    join(root, 'bench/fidelity/official.py'),
    checkpoint,
    inputsDir,
    out,
    '--dtype',
    OFFICIAL_DTYPES[dtype],
    '--threads',
    String(threads),
  ];
  const loads = {};
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    let pending = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      tail = (tail + chunk).slice(-3000);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop();
      for (const line of lines) {
        // "official torch.float32 text10: 1234 ms"
        const m = /^official \S+ (\w+): (\d+) ms/.exec(line);
        if (!m) continue;
        loads[m[1]] = os.loadavg().map((x) => round(x, 2));
        log(`  official ${dtype} ${m[1]}: ${m[2]} ms`);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`official.py (${dtype}) failed (exit ${code}): ${tail.slice(-1500)}`));
      const result = JSON.parse(readFileSync(out, 'utf8'));
      const workloads = Object.fromEntries(Object.entries(result).map(([k, v]) => [k, { ...v, loadavg: loads[k] ?? null }]));
      resolve({ wall_ms: Date.now() - t0, workloads });
    });
  });
}
