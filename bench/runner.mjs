// `npm run bench [-- --quick] [-- --no-full2b] [-- --webgpu] [-- --port N] [-- --browser PATH]`
// Drives bench/pages/bench.html in real Chromium (WASM EP, 2 threads) and writes
// bench/results/latest.{json,md,svg}. See bench/README.md for what is measured and how.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import { chromium } from 'playwright-core';
import { startBenchServer } from './server.mjs';
import { prepareModel, root } from './prepare.mjs';
import { heapSampler, rendererPeakMB } from './memory.mjs';
import { describeFirstTouch, measureFirstTouch } from './firstTouch.mjs';
import { markdownReport, svgChart } from './report.mjs';
import { cachedStartSection } from './cachedStartSection.mjs';
import { librarySection, prepareLibraryModels } from './librarySection.mjs';
import { momentsSection } from './momentsSection.mjs';
import { peerFields } from './full2bPeerSection.mjs';
import { peerLines } from './peerSummary.mjs';
import { BENCH_INT8_URL, BENCH_URL, benchModelSections, call, rooflineResults, summary, TEXT_QUERY } from './scoringSections.mjs';
import { round } from './numbers.mjs';
import { parseArgs } from './args.mjs';
import { textDocuments } from './textDocuments.mjs';
import { CHROMIUM_ARGS as TEST_CHROMIUM_ARGS } from '../scripts/chromiumArgs.mjs';

// The tests' flags, plus performance.memory with real numbers (the JS heap samples).
const CHROMIUM_ARGS = [...TEST_CHROMIUM_ARGS, '--enable-precise-memory-info'];

const load = () => os.loadavg().map((x) => round(x, 2));

const FULL_URL = '/bench-models/full2b/model/';
const FULL_INT8_URL = '/bench-models/full2b-int8/model/';

/** What each section runs, smaller with --quick. */
function benchSettings(quick) {
  return {
    rooflineFormats: quick ? ['fp32-matmul', 'q4-matmulnbits', 'int8-dynamicquantizematmul', 'int8-pertoken-mmitf'] : undefined, // all
    rooflineMs: quick ? [64, 1024] : [16, 64, 256, 1024],
    rooflineReps: quick ? 2 : 5,
    docs: 20,
    queryImage: quick ? 'bench:224x224:1' : 'bench:448x448:1',
    imageDocs: quick ? 2 : 8,
    imageDocSize: '448x448',
    profileS: quick ? [] : [64, 256, 512],
  };
}

/** The bench models built (or found cached) in .cache/bench; returns the full 2B's, or null without --full2b. */
function preparedModels(opts, log) {
  const bench = prepareModel('l4v6', { realSize: true, layers: 4, visionDepth: 6 }, log);
  // The WASM EP's format (int8 linear layers, stored so at conversion): what Sift loads on WASM.
  const benchInt8 = prepareModel('l4v6-int8', { realSize: true, layers: 4, visionDepth: 6, linear: 'int8' }, log);
  log(`bench model, int8 linear layers: ${benchInt8.dir}${benchInt8.built ? ' (built now)' : ' (cached)'}`);
  // The same as ONNX graphs + weight shards, as loads were before the in-place ORT format (the before/after of section 4).
  if (!opts.quick) prepareModel('l4v6-int8-onnx', { realSize: true, layers: 4, visionDepth: 6, linear: 'int8', graphFormat: 'onnx' }, log);
  log(`bench model: ${bench.dir}${bench.built ? ' (built now)' : ' (cached)'}`);
  const full = opts.full2b ? prepareModel('full2b', { realSize: true }, log) : null;
  if (opts.full2b) prepareModel('full2b-int8', { realSize: true, linear: 'int8' }, log);
  if (opts.full2b) prepareModel('full2b-int8-onnx', { realSize: true, linear: 'int8', graphFormat: 'onnx' }, log);
  if (full) log(`full 2B model: ${full.dir}${full.built ? ' (built now)' : ' (cached)'}`);
  return full;
}

/**
 * Cached-start variants of a model: the WASM format (stored int8, ORT-format graphs used in place),
 * the same as ONNX graphs (before), and the 4-bit one as stored (WebGPU's).
 */
const startVariants = (int8Url, nbitsUrl, all) => [
  { key: 'int8', label: 'int8 linear layers (WASM format: ORT-format graphs, in place)', url: int8Url },
  ...(all
    ? [{ key: 'int8_onnx', label: 'int8 linear layers, ONNX graphs + shards (before)', url: int8Url.replace('-int8/', '-int8-onnx/') }]
    : []),
  ...(all ? [{ key: 'nbits', label: '4-bit MatMulNBits (WebGPU format)', url: nbitsUrl }] : []),
];

/** The browser under test and fresh bench pages in it (page errors collected); `relaunch` starts a new browser. */
async function benchBrowser(opts, server) {
  const launch = () =>
    chromium.launch({ executablePath: opts.browser, args: [...CHROMIUM_ARGS, ...opts.chromiumArgs], headless: !opts.headed });
  const session = { browser: await launch(), pageErrors: [] };
  session.relaunch = async () => {
    await session.browser.close();
    session.browser = await launch();
  };
  session.newPage = async (context) => {
    const ctx = context ?? (await session.browser.newContext());
    const page = await ctx.newPage();
    page.on('pageerror', (e) => session.pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) session.pageErrors.push(m.text());
    });
    await page.goto(`${server.url}/bench/pages/bench.html${opts.threads ? `?threads=${opts.threads}` : ''}`);
    await page.waitForFunction(() => 'siftBench' in window, null, { timeout: 180_000 });
    return page;
  };
  return session;
}

/** The page's onnxruntime, threads and WebGPU adapter, as fields of `machine`. */
async function environmentFields(b, browserVersion) {
  const page = await b.newPage();
  const env = await call(page, 'env');
  b.log(
    `crossOriginIsolated = ${env.crossOriginIsolated}, ort.env.wasm.numThreads = ${env.numThreads}, onnxruntime-web ${env.ortVersion}, ${browserVersion}`,
  );
  const a = env.adapter;
  b.log(
    a
      ? `WebGPU adapter: ${a.vendor} ${a.architecture} ${a.description}${a.fallback ? ' (software fallback: SwiftShader, not a GPU)' : ' (a real GPU)'}`
      : 'WebGPU: no adapter',
  );
  if (!env.crossOriginIsolated || env.numThreads !== 2)
    b.log('WARNING: not cross-origin isolated with 2 threads; numbers are not comparable');
  await page.context().close();
  return {
    crossOriginIsolated: env.crossOriginIsolated,
    wasm_threads: env.numThreads,
    ort_version: env.ortVersion,
    hardwareConcurrency: env.hardwareConcurrency,
    webgpu_adapter: env.adapter,
  };
}

/** Section 4 (and 4b with the full 2B): cached start, with the machine's fresh-memory rate before each. */
async function cachedStartFields(b, full) {
  const cachedStart = (variants, n) =>
    cachedStartSection({
      variants,
      n,
      browserPath: b.opts.browser,
      chromiumArgs: [...CHROMIUM_ARGS, ...b.opts.chromiumArgs],
      newPage: b.newPage,
      call,
      log: b.log,
    });
  b.section('4. cached start: load from IndexedDB vs a raw read of the same bytes');
  // The machine's fresh-memory rate, measured next to each cached-start section (bench/firstTouch.mjs).
  const out = { memory_first_touch: { before_bench_model: measureFirstTouch() } };
  b.log(describeFirstTouch(out.memory_first_touch.before_bench_model));
  out.cached_start = await cachedStart(startVariants(BENCH_INT8_URL, BENCH_URL, !b.quick), b.reps);
  out.cached_start_ratio = out.cached_start.int8.ratio;
  out.cached_start_subject = 'bench model';
  out.cached_start_cpu_floor = out.cached_start.int8.ratio_cpu_floor;
  if (out.cached_start.nbits) out.cached_start_ratio_nbits = out.cached_start.nbits.ratio;
  if (full) {
    b.section('4b. cached start of the full-size 2B');
    out.memory_first_touch.before_full2b = measureFirstTouch();
    b.log(describeFirstTouch(out.memory_first_touch.before_full2b));
    // Three reps: with two, the median is the mean, and one load caught by the VM's slow fresh-memory
    // regime (bench/firstTouch.mjs) decided it.
    out.cached_start_full2b = await cachedStart(startVariants(FULL_INT8_URL, FULL_URL, true).slice(0, 3), 3);
    // The headline is the model users load (the 2B), when this run has it; the bench model (4 of
    // 28 layers) keeps the fixed costs (runtime, tokenizer) but reads 3× fewer bytes.
    out.cached_start_ratio = out.cached_start_full2b.int8.ratio;
    out.cached_start_subject = 'full-size 2B';
    out.cached_start_cpu_floor = out.cached_start_full2b.int8.ratio_cpu_floor;
  }
  return out;
}

/** Section 5: the full-size 2B loaded and scoring one text pair in a fresh browser; whether it fits. */
async function full2bResult(b) {
  b.section('5. full-size 2B checkpoint (random weights, 4-bit): load and score one text pair');
  await b.relaunch();
  const page = await b.newPage();
  const s2 = await heapSampler(page);
  const f = { fits: false, error: null };
  try {
    const l = await call(page, 'loadHttp', 'full', FULL_INT8_URL);
    f.load_ms = round(l.ms, 0);
    f.linear = l.linear;
    f.wasm_after_load_mb = round(l.wasmHeapMB, 0);
    const r = await call(page, 'rerank', 'full', { query: TEXT_QUERY, documents: [b.docs[0]] }, 'reuse');
    f.score = r.scores[0];
    f.score_ms = round(r.ms, 0);
    if (r.errors.length) throw new Error(r.errors.join('; '));
  } catch (e) {
    f.error = String(e.message ?? e).slice(0, 500);
  }
  f.peak_wasm_mb = round(await call(page, 'wasmHeapMB').catch(() => NaN), 0);
  const h2 = s2.peaks();
  await s2.stop();
  f.peak_js_heap_mb = round(h2.jsHeapMB, 0);
  f.peak_renderer_rss_mb = round(rendererPeakMB(), 0);
  f.fits = !f.error && Number.isFinite(f.score) && f.peak_wasm_mb < 4096;
  b.log(
    `full 2B: ${f.fits ? 'fits' : 'does NOT fit'}; wasm heap ${f.peak_wasm_mb} MB, renderer peak RSS ${f.peak_renderer_rss_mb} MB${f.error ? `; ${f.error}` : ''}`,
  );
  await page.context().close();
  return f;
}

/** WebGPU's roofline and text scoring, or why they were not measured. */
async function webgpuResult(b, adapter) {
  if (!adapter) return { status: 'no adapter', note: 'WebGPU unavailable in this browser: WASM only' };
  if (adapter.fallback && !b.opts.webgpu) {
    return {
      status: 'skipped',
      note: `software adapter (${adapter.vendor} ${adapter.architecture}): WebGPU numbers would be meaningless here, so none were taken (force with --webgpu)`,
    };
  }
  b.section(`WebGPU (${adapter.vendor} ${adapter.architecture}${adapter.fallback ? ', software fallback: meaningless numbers' : ''})`);
  const page = await b.newPage();
  const g = await call(page, 'roofline', {
    K: 2048,
    Ns: [2048, 6144],
    Ms: [64, 512],
    formats: ['fp32-matmul', 'q4-matmulnbits'],
    reps: 2,
    ep: 'webgpu',
  });
  const l = await call(page, 'loadHttp', 'gpu', BENCH_URL, { ep: 'webgpu' });
  const t = await call(page, 'rerank', 'gpu', { query: TEXT_QUERY, documents: b.docs }, 'reuse');
  await page.context().close();
  b.log(`WebGPU: text documents ${summary(t).gflops} GFLOP/s`);
  return {
    status: adapter.fallback ? 'software fallback (meaningless)' : 'measured',
    adapter,
    roofline: g.cells.map((c) => ({ ...c, gflops: round(c.gflops, 1) })),
    load_ms: round(l.ms, 0),
    text: summary(t),
  };
}

/** The headline numbers against their targets. */
function targetsOf(result) {
  return [
    { name: 'roofline_fraction', value: result.roofline_fraction, target: '≥ 0.5', met: result.roofline_fraction >= 0.5 },
    { name: 'prefix_speedup_image', value: result.prefix_speedup_image, target: '≥ 3', met: result.prefix_speedup_image >= 3 },
    { name: 'cached_start_ratio', value: result.cached_start_ratio, target: '≤ 1.5', met: result.cached_start_ratio <= 1.5 },
    {
      name: 'full2b_fits',
      value: result.full2b_fits,
      target: 'true',
      met: result.full2b_fits === null ? null : result.full2b_fits === true,
    },
  ];
}

/** Writes bench/results/latest.{json,md,svg} (each replaced whole) and prints the markdown. */
function writeResults(result, loads, log) {
  const dir = join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const md = markdownReport(result);
  const put = (name, text) => {
    writeFileSync(join(dir, `${name}.tmp`), text);
    renameSync(join(dir, `${name}.tmp`), join(dir, name));
  };
  put('latest.json', `${JSON.stringify(result, null, 1)}\n`);
  put('latest.md', md);
  put('latest.svg', svgChart(result));
  console.log(`\n${md}`);
  log(`wrote bench/results/latest.json, latest.md, latest.svg in ${result.duration_s} s`);
  if (result.machine.shared)
    log(
      `the machine was shared while this ran (load average up to ${Math.max(...loads.map((l) => l.loadavg[0]))} on ${result.machine.cpus} cores): numbers vary ±20-30 % or more`,
    );
}

/** The sections in order, in one browser; returns the results record before its totals. */
async function runSections(b, result) {
  // ── Environment ────────────────────────────────────────────────────────────────────────
  b.section('environment');
  Object.assign(result.machine, await environmentFields(b, result.machine.browser));
  if (b.opts.peerOnly) return Object.assign(result, await peerFields(b, result));
  if (!b.opts.cachedOnly) {
    // ── 1. Roofline ────────────────────────────────────────────────────────────────────────
    b.section('1. roofline: lone matmul, K = 2048 (down: K = 6144), every weight format');
    const { best, roofline_gflops, roofline } = await rooflineResults(b);
    Object.assign(result, { roofline_gflops, roofline });
    // ── 2 & 3. Scoring throughput and prefix reuse ────────────────────────────────────────
    await benchModelSections(b, best, result);
  }
  // ── 4. Cached start ────────────────────────────────────────────────────────────────────
  Object.assign(result, await cachedStartFields(b, b.full));
  if (b.opts.cachedOnly) return;
  // ── 5. Full-size 2B ─────────────────────────────────────────────────────────────────────
  if (b.full) {
    const f = await full2bResult(b);
    Object.assign(result, { full2b_fits: f.fits, full2b_peak_mb: f.peak_wasm_mb, full2b: f });
  } else {
    Object.assign(result, { full2b_fits: null, full2b_peak_mb: null, full2b: { skipped: b.quick ? '--quick' : '--no-full2b' } });
  }
  // ── 6. Library ─────────────────────────────────────────────────────────────────────────
  b.section('6. library: indexing and search (Node, WASM EP)');
  const embedder = prepareLibraryModels(b.log).dir;
  const reranker = prepareModel('l4v6-int8', { realSize: true, layers: 4, visionDepth: 6, linear: 'int8' }, b.log).dir;
  result.library = librarySection({ embedderDir: embedder, rerankerDir: reranker, quick: b.quick, log: b.log });
  // ── 7. Moments and covers ──────────────────────────────────────────────────────────────
  b.section('7. moments and covers (Node, WASM EP)');
  result.moments = momentsSection({ rerankerDir: reranker, quick: b.quick, log: b.log });
  // ── 8. Beside the peer (the full 2B, Node, the official implementation) and vision reuse ──
  Object.assign(result, await peerFields(b, result));
  // ── WebGPU ─────────────────────────────────────────────────────────────────────────────
  result.webgpu = await webgpuResult(b, result.machine.webgpu_adapter);
}

export async function main(argv) {
  const opts = parseArgs(argv);
  const started = Date.now();
  const log = (...a) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)}s]`, ...a);
  const quick = opts.quick;
  const cfg = benchSettings(quick);
  const result = {
    version: 1,
    date: new Date().toISOString(),
    quick,
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? '',
      memory_gb: round(os.totalmem() / 2 ** 30, 1),
      loadavg_start: load(),
    },
    settings: cfg,
  };
  const loads = [];
  const section = (name) => {
    const l = load();
    loads.push({ section: name, loadavg: l });
    log(`── ${name} (load average ${l.join(', ')})`);
  };

  section('models');
  // --peer-only prepares its own models (bench/peerModels.mjs).
  const full = opts.peerOnly ? null : preparedModels(opts, log);
  const server = await startBenchServer({ port: opts.port });
  const session = await benchBrowser(opts, server);
  result.machine.browser = session.browser.version();
  const b = {
    opts,
    cfg,
    quick,
    reps: opts.reps || (quick ? 1 : 3),
    full,
    log,
    section,
    newPage: session.newPage,
    relaunch: session.relaunch,
    docs: textDocuments(cfg.docs),
  };
  try {
    await runSections(b, result);
  } finally {
    await session.browser.close().catch(() => {});
    await server.close();
  }

  result.machine.loadavg_end = load();
  result.machine.loadavg_by_section = loads;
  // The bench itself keeps both cores busy (load ≈ 2): more than cores + 0.5 means others were running too.
  const busy = result.machine.cpus + 0.5;
  result.machine.shared = loads.some((l) => l.loadavg[0] > busy) || result.machine.loadavg_end[0] > busy;
  result.page_errors = session.pageErrors.slice(0, 20);
  result.targets = targetsOf(result);
  result.duration_s = round((Date.now() - started) / 1000, 0);

  if (opts.peerOnly) {
    // Section 8 alone: printed and kept in .cache/bench/peer-only-<model>.json, latest.* untouched.
    const file = join(root, `.cache/bench/peer-only-${opts.peerModel ?? 'full2b'}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 1)}\n`);
    console.log(`\n${peerLines(result).join('\n')}\n`);
    log(`wrote ${file} in ${result.duration_s} s (bench/results untouched)`);
    return 0;
  }
  if (opts.cachedOnly) {
    // Development runs of section 4 alone: printed, latest.* untouched.
    const { cached_start, cached_start_full2b, memory_first_touch, machine, page_errors } = result;
    console.log(JSON.stringify({ cached_start, cached_start_full2b, memory_first_touch, machine, page_errors }, null, 1));
    return 0;
  }
  writeResults(result, loads, log);
  return 0;
}
