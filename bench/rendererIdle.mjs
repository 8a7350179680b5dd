// Waits until the Chromium under test stops computing in the background, seen from outside the page:
// after a load V8 keeps tiering onnxruntime's wasm up (TurboFan, on the renderer's thread pool) and
// caches the result; a measurement started before that ends would share the 2 cores with it.
import { readFileSync } from 'node:fs';
import { rendererPids } from './memory.mjs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** CPU time (ms, user + system, all threads) of the renderers of browsers this process started. */
function rendererCpuMs() {
  let ticks = 0;
  for (const pid of rendererPids()) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15 of /proc/pid/stat)
    } catch {
      /* the process ended */
    }
  }
  return ticks * TICK_MS;
}

/**
 * Resolves once the renderers used under 5 % of a core over `quietMs`, or after `maxMs`. Returns
 * how long it waited and whether it saw them quiet (false: timed out, or not Linux).
 */
export async function waitForRendererIdle({ quietMs = 1500, maxMs = 30_000, stepMs = 250 } = {}) {
  const start = Date.now();
  const samples = [{ t: start, cpu: rendererCpuMs() }];
  while (Date.now() - start < maxMs) {
    await new Promise((r) => setTimeout(r, stepMs));
    const now = { t: Date.now(), cpu: rendererCpuMs() };
    samples.push(now);
    const from = samples.find((s) => now.t - s.t <= quietMs + stepMs / 2 && now.t - s.t >= quietMs - stepMs / 2);
    if (from && now.cpu - from.cpu <= 0.05 * (now.t - from.t)) return { waited_ms: now.t - start, quiet: true };
  }
  return { waited_ms: Date.now() - start, quiet: false };
}
