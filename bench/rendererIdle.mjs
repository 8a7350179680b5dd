// Waits until the Chromium under test stops computing in the background, seen from outside the page:
// after a load V8 keeps tiering onnxruntime's wasm up (TurboFan, on the renderer's thread pool) and
// caches the result; a measurement started before that ends would share the 2 cores with it.
import { rendererCpuMs } from './cpuTime.mjs';

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
