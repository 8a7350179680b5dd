// How fast this machine hands out memory that was not in use: a child process allocates 256 MB blocks
// and writes one byte per 4 KB page of each, holding them all, until it holds `limitMb` or has seen
// three slow blocks in a row. On the 2-core VM Sift is developed on, the first ≈2–3 GB (system-wide,
// varying over time) come at ≈1.4 GB/s and everything beyond at ≈60–70 MB/s — the host backs only that
// much fresh guest memory quickly. A cached start needs about twice a model's bytes fresh (the files,
// then onnxruntime's copy of the weights), a raw read once, so this is printed next to the ratio.
import { spawnSync } from 'node:child_process';

/** A block is slow below the first block's rate divided by this (the child stops after three). */
const SLOW_FACTOR = 4;

const CHILD = `
const block = 256 << 20, limit = Number(process.argv[1]), held = [];
let slow = 0, first = 0;
while (held.length * 256 < limit && slow < 3) {
  const b = Buffer.allocUnsafeSlow(block);
  const t = process.hrtime.bigint();
  for (let i = 0; i < block; i += 4096) b[i] = 1;
  const rate = 256 / (Number(process.hrtime.bigint() - t) / 1e9);
  held.push(b);
  first ||= rate;
  slow = rate < first / ${SLOW_FACTOR} ? slow + 1 : 0;
  console.log(JSON.stringify({ held_mb: held.length * 256, mb_per_s: Math.round(rate) }));
}`;

/** Blocks measured, the memory that came fast before the first slow block, and the slow rate. */
export function measureFirstTouch(limitMb = 4096) {
  const r = spawnSync(process.execPath, ['-e', CHILD, String(limitMb)], { encoding: 'utf8', timeout: 120_000 });
  const blocks = (r.stdout ?? '')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  if (!blocks.length) return { error: r.error?.message ?? r.stderr?.slice(0, 200) ?? 'no output' };
  const fast = blocks[0].mb_per_s;
  const firstSlow = blocks.findIndex((b) => b.mb_per_s < fast / SLOW_FACTOR);
  const slowRates = blocks
    .slice(firstSlow < 0 ? blocks.length : firstSlow)
    .map((b) => b.mb_per_s)
    .sort((a, b) => a - b);
  return {
    blocks,
    fast_mb_per_s: fast,
    // Held before the first slow block: fresh memory this machine gave quickly at that moment.
    fast_budget_mb: firstSlow < 0 ? null : firstSlow * 256,
    slow_mb_per_s: slowRates.length ? slowRates[Math.floor(slowRates.length / 2)] : null,
  };
}

export function describeFirstTouch(m) {
  if (m.error) return `first-touch probe failed: ${m.error}`;
  if (m.fast_budget_mb === null) return `fresh memory ≈${m.fast_mb_per_s} MB/s for all ${m.blocks.at(-1).held_mb} MB tried`;
  return `fresh memory ≈${m.fast_mb_per_s} MB/s for the first ${(m.fast_budget_mb / 1024).toFixed(2)} GB, then ≈${m.slow_mb_per_s} MB/s`;
}
