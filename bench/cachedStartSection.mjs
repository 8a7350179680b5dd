// Section 4 of the bench, cached start: each model stored once in an on-disk Chromium profile, then,
// in fresh pages, raw reads of its chunks and loads as the worker does them (bench/README.md, item 4).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root } from './prepare.mjs';
import { median, round } from './numbers.mjs';
import { waitForRendererIdle } from './rendererIdle.mjs';
import { cores, threadPoolMs, withBrowserCpu } from './cpuTime.mjs';
import { browserLog } from './browserLog.mjs';

/**
 * `inPage(what, fn)`: fn in a fresh page of ctx, closed after. A renderer that crashes ("Target
 * crashed": seen twice in many runs here, cause not found) loses that step, not the run: it is logged
 * with the browser's last words in `crashes` and done again in a new page.
 */
function crashTolerantPages(ctx, newPage, browserOutput, log) {
  const crashes = [];
  const inPage = async (what, fn) => {
    for (let attempt = 0; ; attempt++) {
      const p = await newPage(ctx);
      try {
        return await fn(p);
      } catch (err) {
        if (attempt > 0 || !/crash/i.test(String(err?.message))) throw err;
        crashes.push({ step: what, error: String(err.message).split('\n')[0], browser_said: browserOutput.recent() });
        log(`${what}: the page crashed (${crashes.at(-1).error}); browser log in ${browserOutput.file}; once more in a new page`);
      } finally {
        await p.close().catch(() => undefined);
      }
    }
  };
  return { inPage, crashes };
}

/** A load in page p as the worker does it, after starting the runtime (timed apart), with the browser's CPU time. */
async function timedLoad(call, p, v) {
  const runtimeMs = (await call(p, 'warmRuntime')).ms;
  const load = await withBrowserCpu(() => call(p, 'cachedStart', 'cached', `${v.url}manifest.json`));
  return { runtimeMs, load };
}

/** Each model stored once (raw reads are of that model's own chunks), by URL, with room for its reads. */
async function storedModels(variants, inPage, call) {
  const models = {};
  for (const v of variants) {
    if (models[v.url]) continue;
    const stored = await inPage(`storing ${v.url}`, (p) => call(p, 'storeDownload', `${v.url}manifest.json`));
    models[v.url] = { stored, raws: [], readers: [] };
  }
  return models;
}

/**
 * The warm-up loads. A returning user's browser has onnxruntime's wasm compiled in its code cache. V8
 * tiers hot functions up (TurboFan, seconds of CPU on the renderer's thread pool) while a page runs
 * and caches the result; a page closed before that ends leaves a cache that has every later page
 * compile again (bench/README.md, "V8's code cache"). So every variant is loaded twice first (each
 * code path a variant takes gets compiled), and every page — warm-up or measured — stays open until
 * the renderers' CPU time stops growing, as a user's page stays open after loading.
 */
async function warmUpLoads(variants, inPage, call) {
  const warmups = [];
  for (let pass = 0; pass < 2; pass++) {
    for (const v of variants) {
      await inPage(`warm-up load of ${v.key}`, async (p) => {
        const { runtimeMs, load } = await timedLoad(call, p, v);
        const idle = await waitForRendererIdle({ maxMs: 60_000 });
        warmups.push({
          variant: v.key,
          runtime_ms: round(runtimeMs, 0),
          load_ms: round(load.result.ms, 0),
          compile_ms: threadPoolMs(load.cpu),
          compile_wait_ms: idle.waited_ms,
          quiet: idle.quiet,
        });
      });
    }
  }
  return warmups;
}

/**
 * n reps of every raw read (into `models`) and every load, alternating the order rep by rep; returns
 * the loads by variant and the first runtime start.
 */
async function measuredReps(variants, models, n, inPage, call) {
  const loads = Object.fromEntries(variants.map((v) => [v.key, []]));
  let runtime = null;
  for (let i = 0; i < n; i++) {
    const steps = [...Object.keys(models).map((url) => ({ raw: url })), ...variants];
    for (const step of i % 2 ? steps.reverse() : steps) {
      await inPage(step.raw ? `raw read of ${step.raw}` : `load of ${step.key}`, async (p) => {
        if (step.raw) {
          const m = models[step.raw];
          const raw = await withBrowserCpu(() => call(p, 'rawRead', m.stored.id, m.stored.version));
          const reader = await call(p, 'readerRead', m.stored.id, m.stored.version);
          m.raws.push({ ...raw.result, cpu: raw.cpu });
          m.readers.push(reader);
        } else {
          const { runtimeMs, load } = await timedLoad(call, p, step);
          runtime ??= runtimeMs;
          loads[step.key].push({ ...load.result, cpu: load.cpu });
        }
        await waitForRendererIdle({ maxMs: 60_000 });
      });
    }
  }
  return { loads, runtime };
}

/** One variant's results: its reads and loads (m, its loads), their ratios, CPU time and the load's breakdown. */
function variantResult(v, m, loads, runtime) {
  const rawMs = median(m.raws.map((r) => r.ms));
  const ms = median(loads.map((x) => x.ms));
  const loadCpu = median(loads.map((x) => x.cpu.ms));
  return {
    label: v.label,
    url: v.url,
    bytes: m.stored.bytes,
    raw_read_ms: m.raws.map((r) => round(r.ms, 0)),
    store_reader_ms: m.readers.map((r) => round(r.ms, 0)),
    linear: loads[0]?.linear,
    load_ms: loads.map((x) => round(x.ms, 0)),
    ratio: round(ms / rawMs, 2),
    ratio_with_runtime_start: round((ms + runtime) / rawMs, 2),
    // CPU time of all the browser's processes during each step. A load cannot end before its CPU
    // work, spread over every core, is done: load CPU / (cores × raw read time) is the lowest
    // ratio any scheduling of that same work could reach on this machine.
    raw_read_cpu_ms: m.raws.map((r) => r.cpu.ms),
    load_cpu_ms: loads.map((x) => x.cpu.ms),
    raw_read_sys_ms: m.raws.map((r) => r.cpu.sysMs),
    load_sys_ms: loads.map((x) => x.cpu.sysMs),
    cpu_by_process: { raw_read: m.raws.map((r) => r.cpu.byType), load: loads.map((x) => x.cpu.byType) },
    // The renderer's thread pool during each step: V8 compiling wasm (near 0 with a warm code cache).
    raw_read_thread_pool_ms: m.raws.map((r) => threadPoolMs(r.cpu)),
    load_thread_pool_ms: loads.map((x) => threadPoolMs(x.cpu)),
    busiest_threads: { raw_read: m.raws.map((r) => r.cpu.busiest), load: loads.map((x) => x.cpu.busiest) },
    cores,
    ratio_cpu_floor: round(loadCpu / cores / rawMs, 2),
    breakdown: loads.map((x) => ({
      total: round(x.ms, 0),
      tokenizer: round(x.tokenizerMs, 0),
      wasm_heap_mb: round(x.wasmHeapMB, 0),
      graphs: x.graphs,
      timeline: x.timeline,
    })),
  };
}

/** The log line of one variant's result `o` (m: its model's reads, loads: its loads). */
function describeVariant(v, m, loads, o) {
  return `${v.label}: ${(m.stored.bytes / 1e6).toFixed(0)} MB, raw read ${o.raw_read_ms.join(', ')} ms (through the store's reader ${o.store_reader_ms.join(', ')}), load ${o.load_ms.join(', ')} ms → ratio ${o.ratio}; CPU time (all browser processes) raw read ${o.raw_read_cpu_ms.join(', ')} ms (kernel ${o.raw_read_sys_ms.join(', ')}), load ${o.load_cpu_ms.join(', ')} ms (kernel ${o.load_sys_ms.join(', ')}; thread pool, i.e. wasm compilation: raw ${o.raw_read_thread_pool_ms.join(', ')}, load ${o.load_thread_pool_ms.join(', ')}) (by process: raw ${JSON.stringify(m.raws[0]?.cpu.byType)}, load ${JSON.stringify(loads[0]?.cpu.byType)}; the load's busiest renderer threads ${loads[0]?.cpu.busiest.map((t) => `${t.thread} ${t.ms}`).join(', ')}) → no scheduling of this work on ${cores} cores gets under ratio ${o.ratio_cpu_floor}; timeline ${JSON.stringify(loads[0]?.timeline)}`;
}

/**
 * Cached start in an on-disk profile (an incognito context keeps IndexedDB in memory): the model is
 * stored once; then, each in a fresh page, a raw read of its chunks and loads as the worker does
 * them (runtime started first and timed apart), alternating the order rep by rep.
 */
export async function cachedStartSection({ variants, n, browserPath, chromiumArgs, newPage, call, log }) {
  const profile = join(root, '.cache/bench/profile');
  rmSync(profile, { recursive: true, force: true });
  const browserOutput = browserLog(join(root, `.cache/bench/cached-start-browser-${variants[0].url.split('/').at(-3)}.log`));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
    args: [...chromiumArgs, ...browserOutput.args],
  });
  const { inPage, crashes } = crashTolerantPages(ctx, newPage, browserOutput, log);
  try {
    const models = await storedModels(variants, inPage, call);
    const warmups = await warmUpLoads(variants, inPage, call);
    const { loads, runtime } = await measuredReps(variants, models, n, inPage, call);
    const out = { runtime_start_ms: round(runtime, 0), code_cache_warmup: warmups, page_crashes: crashes };
    log(
      `warm-up loads in a new profile (code cache cold, then warming): ${warmups.map((c) => `${c.variant}: runtime ${c.runtime_ms} ms + load ${c.load_ms} ms (thread pool ${c.compile_ms} ms), then ${c.quiet ? 'quiet' : 'still busy'} after ${c.compile_wait_ms} ms`).join('; ')}`,
    );
    // Diagnostics: the same steps one after another in a fresh page (nothing overlapped).
    for (const v of variants) {
      const parts = await inPage(`step-by-step load of ${v.key}`, async (p) => {
        await call(p, 'warmRuntime');
        return call(p, 'loadParts', `${v.url}manifest.json`);
      });
      out[`${v.key}_steps`] = Object.fromEntries(Object.entries(parts).map(([k, x]) => [k, round(x, 0)]));
      log(`${v.label}, step by step: ${JSON.stringify(out[`${v.key}_steps`])}`);
    }
    for (const v of variants) {
      out[v.key] = variantResult(v, models[v.url], loads[v.key], runtime);
      log(describeVariant(v, models[v.url], loads[v.key], out[v.key]));
    }
    return out;
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
