// Probe (not part of `npm run bench`): how V8's code cache for onnxruntime's wasm behaves across fresh pages
// of one on-disk profile, seen as the renderer thread pool's CPU time (V8 compiling wasm up to TurboFan).
//   node bench/probes/codeCache.mjs [model] [plan]      (after `npm run bench` made the models)
// model: a bench model folder (default full2b-int8). plan: comma-separated steps, each in a new page:
//   W  load, then wait until the renderers are quiet (V8 finished compiling) before closing the page
//   L  load, then close the page at once
//   V  load (measured like L), then wait as W does
//   R  start the runtime, raw read of the model's chunks, close at once (IDLE_R=1: wait as W does)
// A step may name another stored model: `L:full2b-int8-onnx`. bench/README.md ("V8's code cache") has runs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startBenchServer } from '../server.mjs';
import { CHROMIUM_ARGS } from '../../scripts/chromiumArgs.mjs';
import { threadPoolMs as threadPool, withBrowserCpu } from '../cpuTime.mjs';
import { waitForRendererIdle } from '../rendererIdle.mjs';

const model = process.argv[2] ?? 'full2b-int8';
const plan = (process.argv[3] ?? 'W,L,L,R,L,L').split(',');
const server = await startBenchServer({ port: 4361 });
const profile = mkdtempSync(join(tmpdir(), 'sift-code-cache-'));
const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
const newPage = async () => {
  const p = await ctx.newPage();
  await p.goto(`${server.url}/bench/pages/bench.html`);
  await p.waitForFunction(() => 'siftBench' in window, null, { timeout: 180_000 });
  return p;
};
const call = (p, f, ...a) => p.evaluate(([f, a]) => window.siftBench[f](...a), [f, a]);
const url = (m) => `/bench-models/${m}/model/manifest.json`;
try {
  let p = await newPage();
  const stored = await call(p, 'storeDownload', url(model));
  for (const other of new Set(plan.map((s) => s.split(':')[1]).filter((m) => m && m !== model))) await call(p, 'storeDownload', url(other));
  await p.close();
  for (const spec of plan) {
    const [step, m = model] = spec.split(':');
    p = await newPage();
    const w = await withBrowserCpu(() => call(p, 'warmRuntime'));
    if (step === 'R') {
      const r = await withBrowserCpu(() => call(p, 'rawRead', stored.id, stored.version));
      if (process.env.IDLE_R) await waitForRendererIdle({ maxMs: 60_000 });
      console.log(`R raw read ${Math.round(r.result.ms)} ms, CPU ${r.cpu.ms} ms, thread pool ${threadPool(r.cpu)} ms`);
    } else {
      const r = await withBrowserCpu(() => call(p, 'cachedStart', 'c', url(m), {}));
      let after = '';
      if (step === 'W' || step === 'V') after = `, then quiet after ${(await waitForRendererIdle({ maxMs: 60_000 })).waited_ms} ms`;
      console.log(
        `${step} ${m}: runtime ${Math.round(w.result.ms)} ms (thread pool ${threadPool(w.cpu)}), load ${Math.round(r.result.ms)} ms, CPU ${r.cpu.ms} ms, thread pool ${threadPool(r.cpu)} ms${after}`,
      );
    }
    await p.close();
  }
} finally {
  await ctx.close();
  await server.close?.();
  rmSync(profile, { recursive: true, force: true });
}
process.exit(0);
