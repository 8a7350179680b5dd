// Sections 1-3 of the bench (bench/runner.mjs; bench/README.md says what is measured): the roofline,
// then in one page with the bench model loaded once scoring throughput, prefix reuse, the decoder
// profile, the roofline re-check, the 4-bit before/after and the page's peak memory. `b` is the run's
// context from runner.mjs: opts, cfg, quick, reps, docs, log, section, newPage.
import { heapSampler, rendererPeakMB } from './memory.mjs';
import { round } from './numbers.mjs';

export const BENCH_URL = '/bench-models/l4v6/model/';
export const BENCH_INT8_URL = '/bench-models/l4v6-int8/model/';
export const TEXT_QUERY = { text: 'A woman playing with her dog on a beach at sunset.' };

export const call = (page, fn, ...args) => page.evaluate(([f, a]) => window.siftBench[f](...a), [fn, args]);

/** One rerank run's numbers as the results record them. */
export const summary = (r) => ({
  ms: round(r.ms, 0),
  decoder_calls: r.work.decoderCalls,
  decoder_tokens: r.work.decoderTokens,
  vision_patches: r.work.visionPatches,
  decoder_ms: round(r.work.decoderMs, 0),
  vision_ms: round(r.work.visionMs, 0),
  gflop: round(r.work.flops / 1e9, 1),
  gflops: round(r.work.flops / r.ms / 1e6, 1),
  errors: r.errors,
});

const maxDiff = (a, b) => Math.max(...a.scores.map((s, i) => Math.abs(s - b.scores[i])));

/** Section 1: the best lone matmul (`best`, the roofline) and every format's best, error and cells. */
export async function rooflineResults(b) {
  const { cfg } = b;
  const page = await b.newPage();
  const roof = await call(page, 'roofline', {
    K: 2048,
    Ns: [2048, 6144],
    Ms: cfg.rooflineMs,
    formats: cfg.rooflineFormats,
    reps: cfg.rooflineReps,
  });
  await page.context().close();
  const cells = roof.cells.filter((c) => Number.isFinite(c.gflops));
  const best = cells.reduce((a, c) => (c.gflops > a.gflops ? c : a), cells[0]);
  const byFormat = {};
  for (const c of roof.cells) {
    const f = (byFormat[c.format] ??= {
      format: c.format,
      note: roof.notes[c.format],
      best_gflops: 0,
      at: null,
      rel_err: null,
      rel_err_outlier: null,
      error: null,
    });
    if (Number.isFinite(c.gflops) && c.gflops > f.best_gflops)
      Object.assign(f, { best_gflops: round(c.gflops, 1), at: { N: c.N, M: c.M } });
    if (c.relErr !== undefined && c.relErr !== null) f.rel_err = Math.max(f.rel_err ?? 0, c.relErr);
    if (c.relErrOutlier !== undefined && c.relErrOutlier !== null) f.rel_err_outlier = Math.max(f.rel_err_outlier ?? 0, c.relErrOutlier);
    if (c.error) f.error = c.error;
  }
  const roofline = {
    best: { format: best.format, N: best.N, M: best.M, ms: round(best.ms, 2) },
    by_format: Object.values(byFormat).sort((a, b) => b.best_gflops - a.best_gflops),
    cells: roof.cells.map((c) => ({ ...c, ms: round(c.ms, 2), gflops: round(c.gflops, 1) })),
  };
  b.log(`roofline ${round(best.gflops, 1)} GFLOP/s (${best.format}, N = ${best.N}, M = ${best.M})`);
  for (const f of roofline.by_format) b.log(`  ${f.format.padEnd(30)} ${String(f.best_gflops).padStart(6)} GFLOP/s  ${f.error ?? ''}`);
  return { best, roofline_gflops: round(best.gflops, 1), roofline };
}

/** The FLOP formulas and the bench model's shape, from its load. */
function benchModelFields(loadInfo) {
  return {
    flops: {
      ...loadInfo.flopFormulas,
      note: "multiply-add = 2 FLOPs; matrix products only (norms, activations, softmax not counted); attention counted over each token's visible keys",
    },
    bench_model: {
      url: BENCH_INT8_URL,
      bytes: loadInfo.totalBytes,
      linear: loadInfo.linear,
      text_layers: loadInfo.config.text.numLayers,
      vision_depth: loadInfo.config.vision.depth,
      hidden: loadInfo.config.text.hiddenSize,
      ffn: loadInfo.config.text.intermediateSize,
      heads: `${loadInfo.config.text.numHeads}/${loadInfo.config.text.numKvHeads}`,
      vision_width: loadInfo.config.vision.hiddenSize,
    },
  };
}

/** The median of n runs of one request. */
async function medianRun(page, request, mode, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await call(page, 'rerank', 'bench', request, mode));
  out.sort((a, b) => a.ms - b.ms);
  return out[(out.length - 1) >> 1];
}

/** Section 2: 20 text documents and a few image documents against a text query, with prefix reuse. */
async function scoringRuns(b, page) {
  const { cfg, docs } = b;
  // A first small request warms the sessions up (the first run of a session allocates its buffers).
  await call(page, 'rerank', 'bench', { query: TEXT_QUERY, documents: docs.slice(0, 2) }, 'reuse');
  const textReuse = await medianRun(page, { query: TEXT_QUERY, documents: docs }, 'reuse', b.reps);
  b.log(`text documents, prefix reuse: ${summary(textReuse).ms} ms, ${summary(textReuse).gflops} GFLOP/s`);
  const imageDocs = Array.from({ length: cfg.imageDocs }, (_, i) => ({ image: `bench:${cfg.imageDocSize}:${100 + i}` }));
  const imageRun = await medianRun(page, { query: TEXT_QUERY, documents: imageDocs }, 'reuse', Math.min(b.reps, 2));
  b.log(`image documents: ${summary(imageRun).ms} ms, ${summary(imageRun).gflops} GFLOP/s`);
  return { textReuse, imageRun, imageDocs };
}

function scoringFields(cfg, textReuse, imageRun) {
  return {
    prefill_gflops: summary(textReuse).gflops,
    docs_per_s_text: round(cfg.docs / (textReuse.ms / 1000), 2),
    docs_per_s_image: round(cfg.imageDocs / (imageRun.ms / 1000), 3),
    scoring: {
      text: {
        ...summary(textReuse),
        documents: cfg.docs,
        prefill_tokens_per_s: round(textReuse.work.decoderTokens / (textReuse.ms / 1000), 1),
      },
      image: {
        ...summary(imageRun),
        documents: cfg.imageDocs,
        image: cfg.imageDocSize,
        prefill_tokens_per_s: round(imageRun.work.decoderTokens / (imageRun.ms / 1000), 1),
        vision_patches_per_s: round(imageRun.work.visionPatches / (imageRun.ms / 1000), 1),
      },
    },
  };
}

/** Section 3: one request with prefix reuse against one full prompt per document, text and image query. */
async function prefixFields(b, page, textReuse) {
  const { cfg, docs } = b;
  const imageQuery = { image: cfg.queryImage };
  const textFull = await call(page, 'rerank', 'bench', { query: TEXT_QUERY, documents: docs }, 'per-document');
  const imageReuse = await medianRun(page, { query: imageQuery, documents: docs }, 'reuse', b.reps);
  const imageFull = await call(page, 'rerank', 'bench', { query: imageQuery, documents: docs }, 'per-document');
  const fields = {
    prefix_speedup_text: round(textFull.ms / textReuse.ms, 2),
    prefix_speedup_image: round(imageFull.ms / imageReuse.ms, 2),
    prefix_max_abs_diff: Math.max(maxDiff(textReuse, textFull), maxDiff(imageReuse, imageFull)),
    prefix: {
      text: { reuse: summary(textReuse), per_document: summary(textFull), max_abs_diff: maxDiff(textReuse, textFull) },
      image: {
        query_image: cfg.queryImage,
        reuse: summary(imageReuse),
        per_document: summary(imageFull),
        max_abs_diff: maxDiff(imageReuse, imageFull),
      },
    },
  };
  b.log(
    `prefix reuse: text ×${fields.prefix_speedup_text}, image ×${fields.prefix_speedup_image}; max |Δscore| ${fields.prefix_max_abs_diff.toExponential(2)}`,
  );
  return fields;
}

/** One decoder call's time split, per S. */
async function decoderProfile(b, page) {
  const profile = [];
  for (const S of b.cfg.profileS) {
    const p = await call(page, 'profileDecoder', 'bench', S, b.quick ? 1 : 3);
    profile.push(Object.fromEntries(Object.entries(p).map(([k, v]) => [k, typeof v === 'number' ? round(v, 1) : v])));
    b.log(
      `S = ${S}: decoder ${p.decoderMs.toFixed(0)} ms = linear layers ${p.linearMs.toFixed(0)} (lone matmuls, same format) + attention core ${p.attentionMs.toFixed(0)} + rest ${p.otherMs.toFixed(0)}`,
    );
  }
  return profile;
}

/** The roofline again, now, in this page: load changes during a run, and the best is the limit. */
async function rooflineRecheck(b, page, best, result) {
  const again = await call(page, 'roofline', {
    K: 2048,
    Ns: [best.N],
    Ms: [best.M],
    formats: [...new Set([best.format, 'int8-pertoken-mmitf'])],
    reps: b.cfg.rooflineReps,
  });
  result.roofline.recheck = again.cells.map((c) => ({ format: c.format, N: c.N, M: c.M, gflops: round(c.gflops, 1) }));
  const recheckBest = Math.max(...again.cells.map((c) => c.gflops).filter(Number.isFinite));
  if (recheckBest > result.roofline_gflops) {
    result.roofline_gflops = round(recheckBest, 1);
    result.roofline.best.recheck = true;
  }
  b.log(
    `roofline re-check after scoring: ${result.roofline.recheck.map((c) => `${c.format} ${c.gflops}`).join(', ')} → roofline ${result.roofline_gflops}`,
  );
}

/** The same runs with the stored 4-bit MatMulNBits model (Sift before the int8 change) next to the int8 ones. */
async function beforeAfterResult(b, page, { loadInfo, textReuse, imageRun, imageDocs }, result) {
  const { cfg, docs } = b;
  const stored = await call(page, 'loadHttp', 'stored', BENCH_URL);
  const sText = await call(page, 'rerank', 'stored', { query: TEXT_QUERY, documents: docs }, 'reuse');
  const sImage = await call(page, 'rerank', 'stored', { query: TEXT_QUERY, documents: imageDocs }, 'reuse');
  const sProfile = await call(page, 'profileDecoder', 'stored', 256, 1);
  // Prefix reuse with the stored weights (fp32 activations): reuse is exact up to float rounding.
  const sFull = await call(page, 'rerank', 'stored', { query: TEXT_QUERY, documents: docs }, 'per-document');
  await call(page, 'release', 'stored');
  const beforeAfter = {
    stored_q4: {
      load_ms: round(stored.ms, 0),
      text: summary(sText),
      image: summary(sImage),
      docs_per_s_text: round(cfg.docs / (sText.ms / 1000), 2),
      docs_per_s_image: round(cfg.imageDocs / (sImage.ms / 1000), 3),
      profile_S256: sProfile,
    },
    int8: {
      load_ms: round(loadInfo.ms, 0),
      text: summary(textReuse),
      image: summary(imageRun),
      docs_per_s_text: result.docs_per_s_text,
      docs_per_s_image: result.docs_per_s_image,
    },
    score_max_abs_diff_text: maxDiff(sText, textReuse),
    score_max_abs_diff_image: maxDiff(sImage, imageRun),
    stored_prefix_speedup_text: round(sFull.ms / sText.ms, 2),
    stored_prefix_max_abs_diff_text: maxDiff(sText, sFull),
  };
  b.log(
    `stored 4-bit: text ${summary(sText).gflops} GFLOP/s, image ${summary(sImage).gflops} GFLOP/s; int8: ${result.prefill_gflops}, ${summary(imageRun).gflops}`,
  );
  return beforeAfter;
}

/** Peak memory of the bench model's page over its load and every scoring run. */
async function memoryFields(page, sampler, wasmScoring) {
  const heap = sampler.peaks();
  await sampler.stop();
  const peakWasm = round(Math.max(wasmScoring, await call(page, 'wasmHeapMB')), 0);
  const memory = {
    peak_wasm_mb: peakWasm,
    peak_js_heap_mb: round(heap.jsHeapMB, 0),
    peak_array_buffers_mb: round(heap.arrayBuffersMB, 0),
    peak_renderer_rss_mb: round(rendererPeakMB(), 0),
    note: 'bench model: load over HTTP + every scoring run above, one page',
  };
  return { peak_wasm_mb: peakWasm, memory, peak_js_heap_mb: memory.peak_js_heap_mb };
}

/** Sections 2 and 3, the decoder profile, the roofline re-check, before/after and memory: one page, the bench model loaded once. */
export async function benchModelSections(b, best, result) {
  b.section('2/3. scoring and prefix reuse on the bench model (real 2B widths, 4 text layers, 6 vision blocks, 4-bit)');
  const page = await b.newPage();
  const sampler = await heapSampler(page);
  const loadInfo = await call(page, 'loadHttp', 'bench', BENCH_INT8_URL);
  b.log(
    `loaded in ${(loadInfo.ms / 1000).toFixed(1)} s; linear layers stored as '${loadInfo.linear}' (wasm heap ${loadInfo.wasmHeapMB.toFixed(0)} MB)`,
  );
  Object.assign(result, benchModelFields(loadInfo));
  const { textReuse, imageRun, imageDocs } = await scoringRuns(b, page);
  Object.assign(result, scoringFields(b.cfg, textReuse, imageRun));

  b.section('3. prefix reuse vs one full prompt per document');
  Object.assign(result, await prefixFields(b, page, textReuse));

  b.section('profile: where a decoder call spends its time');
  result.profile = await decoderProfile(b, page);
  const wasmScoring = await call(page, 'wasmHeapMB');
  await call(page, 'release', 'bench');
  if (result.profile.length === 0) delete result.profile;

  await rooflineRecheck(b, page, best, result);
  result.roofline_fraction = round(result.prefill_gflops / result.roofline_gflops, 3);
  b.log(`prefill ${result.prefill_gflops} GFLOP/s / roofline ${result.roofline_gflops} = ${result.roofline_fraction}`);
  if (!b.quick) {
    b.section('before/after: the same runs with the stored 4-bit MatMulNBits (Sift before the int8 change)');
    result.before_after = await beforeAfterResult(b, page, { loadInfo, textReuse, imageRun, imageDocs }, result);
  }
  Object.assign(result, await memoryFields(page, sampler, wasmScoring));
  await page.context().close();
}
