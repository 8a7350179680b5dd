// The bench's markdown table and SVG chart, made from the results object (bench/runner.mjs).
import { describeFirstTouch } from './firstTouch.mjs';
import { peerLines } from './peerSummary.mjs';

const fmt = (v, d = 2) => {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'boolean') return String(v);
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return 'n/a';
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(1);
  return String(Math.round(v * 10 ** d) / 10 ** d);
};
const verdict = (met) => (met === null || met === undefined ? 'skipped' : met ? '**met**' : '**missed**');

// The cached-start variants (bench/cachedStartSection.mjs), in the order shown.
const VARIANTS = ['int8', 'int8_onnx', 'nbits'];

/** The title, the machine and the headline metrics against their targets. */
function summaryLines(r) {
  const lines = [];
  const m = r.machine;
  const t = Object.fromEntries(r.targets.map((x) => [x.name, x]));
  lines.push(`# Sift benchmark — ${r.date.slice(0, 16).replace('T', ' ')} UTC${r.quick ? ' (--quick)' : ''}`);
  lines.push('');
  lines.push(
    `${m.cpus} cores (${m.cpu_model}), ${m.memory_gb} GB; ${m.browser ? `Chromium ${m.browser}` : 'Chromium'}, onnxruntime-web ${m.ort_version}, ` +
      `WASM EP with ${m.wasm_threads} threads (crossOriginIsolated ${m.crossOriginIsolated}). Load average at start ${m.loadavg_start.join(' / ')}, at end ${m.loadavg_end.join(' / ')}` +
      (m.shared ? ' — **the machine was shared during the run: expect ±20-30 % or more.**' : '.'),
  );
  lines.push('');
  lines.push('| metric | value | target | |');
  lines.push('|---|---|---|---|');
  const b = r.roofline?.best;
  const row = (name, value, target = '', verdictText = '') => lines.push(`| ${name} | ${value} | ${target} | ${verdictText} |`);
  row(`roofline_gflops (best lone matmul: ${b?.format}, N = ${b?.N}, M = ${b?.M})`, fmt(r.roofline_gflops, 1));
  row(`prefill_gflops (20 text documents, linear layers as '${r.bench_model?.linear ?? r.bench_model?.matmul}')`, fmt(r.prefill_gflops, 1));
  row('roofline_fraction', fmt(r.roofline_fraction, 3), '≥ 0.5', verdict(t.roofline_fraction?.met));
  row('docs_per_s_text', fmt(r.docs_per_s_text, 2));
  row(`docs_per_s_image (${r.settings.imageDocSize} images)`, fmt(r.docs_per_s_image, 3));
  row('prefix_speedup_text', fmt(r.prefix_speedup_text, 2));
  row(
    `prefix_speedup_image (query ${r.settings.queryImage.replace('bench:', '').replace(/:.*/, '')})`,
    fmt(r.prefix_speedup_image, 2),
    '≥ 3',
    verdict(t.prefix_speedup_image?.met),
  );
  row('prefix_max_abs_diff (reuse vs full prompts)', Number.isFinite(r.prefix_max_abs_diff) ? r.prefix_max_abs_diff.toExponential(2) : '—');
  if (r.before_after)
    row(
      '… the same with the stored 4-bit weights (fp32 activations)',
      Number(r.before_after.stored_prefix_max_abs_diff_text).toExponential(2),
    );
  row(
    `cached_start_ratio (${r.cached_start_subject ?? 'bench model'}, WASM format: int8 linear layers)`,
    fmt(r.cached_start_ratio, 2),
    '≤ 1.5',
    verdict(t.cached_start_ratio?.met),
  );
  row(
    "cached_start_cpu_floor (the same load's CPU time ÷ (cores × raw read): no scheduling gets under it)",
    fmt(r.cached_start_cpu_floor, 2),
  );
  for (const [label, c] of [
    ['bench model', r.cached_start],
    ['full 2B', r.cached_start_full2b],
  ]) {
    if (!c) continue;
    for (const key of VARIANTS)
      if (c[key]) row(`… cached start, ${label}, ${c[key].label} (CPU floor ${fmt(c[key].ratio_cpu_floor, 2)})`, fmt(c[key].ratio, 2));
  }
  row('peak_wasm_mb (bench model, load + scoring)', fmt(r.peak_wasm_mb, 0));
  row('peak JS heap MB (CDP samples)', fmt(r.memory?.peak_js_heap_mb, 0));
  row('renderer peak RSS MB (VmHWM)', fmt(r.memory?.peak_renderer_rss_mb, 0));
  row('full2b_fits (inside wasm32 4 GB)', fmt(r.full2b_fits), 'true', verdict(t.full2b_fits?.met));
  row('full2b_peak_mb (wasm heap)', fmt(r.full2b_peak_mb, 0));
  lines.push('');
  return lines;
}

/** ## 1: the roofline by weight format. */
function rooflineLines(r) {
  const lines = [];
  lines.push('## 1. Roofline: lone matmul, K = 2048, N = 2048 / 6144, by weight format');
  lines.push('');
  lines.push(
    `FLOPs = 2·M·N·K; median of ${r.settings.rooflineReps} runs after a warm-up; M ∈ {${r.settings.rooflineMs.join(', ')}}. Error columns: max |Y − Y_exact| / max |Y_exact| over rows of Y = A·Wᵀ with W's rows scaled 1…8× (per-column scales matter), and the same for ordinary rows when one row carries an activation of 300.`,
  );
  lines.push('');
  lines.push('| format | what it is | best GFLOP/s | at N, M | rel. error | rel. error beside an outlier token |');
  lines.push('|---|---|---|---|---|---|');
  for (const f of r.roofline?.by_format ?? []) {
    lines.push(
      `| ${f.format} | ${f.note ?? ''} | ${f.error && !f.best_gflops ? `failed: ${f.error.slice(0, 60)}` : fmt(f.best_gflops, 1)} | ${f.at ? `${f.at.N}, ${f.at.M}` : ''} | ${fmt(f.rel_err)} | ${fmt(f.rel_err_outlier)} |`,
    );
  }
  lines.push('');
  return lines;
}

/** ## 2: scoring throughput, the decoder profile and the before/after of the int8 format. */
function scoringLines(r) {
  const lines = [];
  lines.push('## 2. Scoring throughput (bench model)');
  lines.push('');
  const bm = r.bench_model ?? {};
  lines.push(
    `Bench model: random weights, hidden ${bm.hidden}, ${bm.heads} heads, FFN ${bm.ffn}, vision width ${bm.vision_width}, ${bm.text_layers} text layers, ${bm.vision_depth} vision blocks, converted with int8 linear layers, Sift's WASM format (${fmt((bm.bytes ?? 0) / 1e6, 0)} MB); linear layers as **${bm.linear ?? bm.matmul}**.`,
  );
  lines.push(`FLOPs: decoder per token ${r.flops?.decoder_per_token}; vision per patch ${r.flops?.vision_per_patch} (${r.flops?.note}).`);
  lines.push('');
  lines.push('| run | ms | decoder tokens | vision patches | GFLOP | GFLOP/s | prefill tokens/s | docs/s |');
  lines.push('|---|---|---|---|---|---|---|---|');
  const s = r.scoring ?? {};
  if (s.text)
    lines.push(
      `| ${s.text.documents} text documents | ${s.text.ms} | ${s.text.decoder_tokens} | 0 | ${s.text.gflop} | ${s.text.gflops} | ${s.text.prefill_tokens_per_s} | ${fmt(r.docs_per_s_text)} |`,
    );
  if (s.image)
    lines.push(
      `| ${s.image.documents} image documents (${s.image.image}) | ${s.image.ms} | ${s.image.decoder_tokens} | ${s.image.vision_patches} | ${s.image.gflop} | ${s.image.gflops} | ${s.image.prefill_tokens_per_s} | ${fmt(r.docs_per_s_image, 3)} |`,
    );
  lines.push('');
  if (r.profile?.length) {
    lines.push(
      'Where one decoder call (S new tokens, empty cache) spends its time — the linear layers and the attention core timed alone at the same shapes, interleaved with the call:',
    );
    lines.push('');
    lines.push('| S | decoder call ms | linear layers ms | attention core ms | rest ms | decoder GFLOP/s | linear alone GFLOP/s |');
    lines.push('|---|---|---|---|---|---|---|');
    for (const p of r.profile)
      lines.push(`| ${p.S} | ${p.decoderMs} | ${p.linearMs} | ${p.attentionMs} | ${p.otherMs} | ${p.decoderGflops} | ${p.linearGflops} |`);
    lines.push('');
  }
  if (r.before_after) {
    const ba = r.before_after;
    lines.push(
      'Before/after the WASM int8 format (same page, same documents; before = the 4-bit MatMulNBits model as stored, what WebGPU runs):',
    );
    lines.push('');
    lines.push('| weights run as | text GFLOP/s | text docs/s | image GFLOP/s | image docs/s |');
    lines.push('|---|---|---|---|---|');
    lines.push(
      `| stored 4-bit MatMulNBits (before) | ${ba.stored_q4.text.gflops} | ${ba.stored_q4.docs_per_s_text} | ${ba.stored_q4.image.gflops} | ${ba.stored_q4.docs_per_s_image} |`,
    );
    lines.push(
      `| int8 per-token (after, WASM default) | ${ba.int8.text.gflops} | ${ba.int8.docs_per_s_text} | ${ba.int8.image.gflops} | ${ba.int8.docs_per_s_image} |`,
    );
    lines.push('');
    lines.push(
      `Scores, int8 vs stored 4-bit: max |Δ| ${fmt(ba.score_max_abs_diff_text)} (text), ${fmt(ba.score_max_abs_diff_image)} (image).`,
    );
    lines.push('');
  }
  return lines;
}

/** ## 3: prefix reuse against one full prompt per document. */
function prefixLines(r) {
  const lines = [];
  lines.push('## 3. Prefix reuse (20 documents)');
  lines.push('');
  lines.push('| query | reuse ms | one full prompt per document ms | speedup | max abs score diff |');
  lines.push('|---|---|---|---|---|');
  if (r.prefix) {
    lines.push(
      `| text | ${r.prefix.text.reuse.ms} | ${r.prefix.text.per_document.ms} | ${fmt(r.prefix_speedup_text)} | ${r.prefix.text.max_abs_diff.toExponential(2)} |`,
    );
    lines.push(
      `| image ${r.prefix.image.query_image.replace('bench:', '').replace(/:.*/, '')} | ${r.prefix.image.reuse.ms} | ${r.prefix.image.per_document.ms} | ${fmt(r.prefix_speedup_image)} | ${r.prefix.image.max_abs_diff.toExponential(2)} |`,
    );
    if (r.before_after)
      lines.push(
        `| text, stored 4-bit weights | — | — | ${fmt(r.before_after.stored_prefix_speedup_text)} | ${Number(r.before_after.stored_prefix_max_abs_diff_text).toExponential(2)} |`,
      );
  }
  lines.push('');
  return lines;
}

/** The cached-start table's rows for one model's variants. */
function cachedStartRows(label, c) {
  const lines = [];
  for (const key of VARIANTS) {
    const x = c[key];
    if (!x) continue;
    const tl = Object.entries(x.breakdown[0]?.timeline ?? {}).sort((a, b) => a[1] - b[1]);
    lines.push(
      `| ${label} | ${x.label} | ${fmt(x.bytes / 1e6, 0)} | ${x.raw_read_ms.join(', ')} | ${x.raw_read_cpu_ms?.join(', ') ?? '—'}${x.raw_read_sys_ms ? ` (kernel ${x.raw_read_sys_ms.join(', ')})` : ''} | ${x.store_reader_ms.join(', ')} | ${x.load_ms.join(', ')} | ${x.load_cpu_ms?.join(', ') ?? '—'}${x.load_sys_ms ? ` (kernel ${x.load_sys_ms.join(', ')})` : ''} | ${x.load_thread_pool_ms?.join(', ') ?? '—'} | **${fmt(x.ratio)}** | ${fmt(x.ratio_cpu_floor)} (${x.cores ?? '?'} cores) | ${fmt(x.ratio_with_runtime_start)} (runtime ${c.runtime_start_ms} ms) | ${tl.map(([k, v]) => `${k} ${v}`).join(', ')} |`,
    );
  }
  return lines;
}

/** What else a cached-start section recorded for one model: warm-up loads, crashed pages, step-by-step times. */
function cachedStartNotes(label, c) {
  const lines = [];
  const warm = c.code_cache_warmup;
  if (Array.isArray(warm) && warm[0]?.variant)
    lines.push(
      `\nWarm-up loads (${label}; the first is a first visit: code cache cold): ${warm.map((w) => `${w.variant} ${w.load_ms} ms (thread pool ${w.compile_ms} ms)`).join(', ')}.`,
    );
  for (const c2 of c.page_crashes ?? [])
    lines.push(
      `\n**A page crashed** (${label}, ${c2.step}: ${c2.error}); the step was done again in a new page. The browser's last words: ${c2.browser_said.join(' / ') || '(none)'}.`,
    );
  for (const key of VARIANTS) {
    const steps = c[`${key}_steps`];
    if (steps)
      lines.push(
        `\nStep by step (${label}, ${c[key].label}; nothing overlapped, fresh page): ${Object.entries(steps)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ')}.`,
      );
  }
  return lines;
}

/** ## 4: the cached-start table, its notes and the machine's fresh-memory rate. */
function cachedStartLines(r) {
  const lines = [];
  lines.push('## 4. Cached start');
  lines.push('');
  lines.push(
    "Every shard already in IndexedDB (an on-disk profile). Raw read: one transaction, a cursor over the model's chunks, each Blob chunk's bytes read out (also shown: every file through the store's read-ahead Worker, nothing else running). Load: what the worker does on \"Load model\" — downloadModel (a manifest check), then startModel: the store's reader Worker reads the files in order while the tokenizer and then each session are built — in a fresh page after onnxruntime's runtime was started (timed apart: it is the same for any model), after two loads of every variant that let V8 compile and cache onnxruntime's wasm (a returning user's browser has it cached); every page, warm-up or measured, stays open until V8's background compilation ended, as a user's page does (one closed midway leaves a cache that makes later pages compile again). Timeline marks are ms after startModel began (`read:` = a file finished reading in the reader Worker).",
  );
  lines.push('');
  lines.push(
    "CPU columns: user + system time of all the browser's processes during each raw read and load (/proc; `bench/cpuTime.mjs`), and of it the time in the kernel (on this VM mostly handing out fresh memory pages). A load cannot end before its CPU work, spread over every core, is done, so *CPU floor* = load CPU / (cores × raw read time) is the lowest ratio any scheduling of the same work could reach here; a floor above 1.5 means the target needs less work, not more overlap.",
  );
  lines.push('');
  lines.push(
    '| model | format | MB | raw read ms | its CPU ms | through the reader ms | load ms | its CPU ms | thread pool ms (wasm compiling) | ratio | CPU floor | with runtime start | timeline of the first load |',
  );
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const [label, c] of [
    ['bench', r.cached_start],
    ['full 2B', r.cached_start_full2b],
  ]) {
    if (!c) continue;
    lines.push(...cachedStartRows(label, c), ...cachedStartNotes(label, c));
  }
  const touch = r.memory_first_touch;
  if (touch) {
    const rows = [
      ['before the bench model', touch.before_bench_model],
      ['before the full 2B', touch.before_full2b],
    ].filter(([, m]) => m);
    lines.push(
      `\nThis machine's fresh memory (a process touching 256 MB blocks while holding them, bench/firstTouch.mjs): ${rows.map(([when, m]) => `${when}: ${describeFirstTouch(m)}`).join('; ')}. A load needs about twice a model's bytes fresh (its files, then onnxruntime's copy of the weights), a raw read once.`,
    );
  }
  lines.push('');
  return lines;
}

/** ## 5: peak memory of the bench model and the full-size 2B. */
function memoryLines(r) {
  const lines = [];
  lines.push('## 5. Memory');
  lines.push('');
  if (r.memory)
    lines.push(
      `Bench model (load + all scoring): wasm heap ${r.memory.peak_wasm_mb} MB, JS heap ${r.memory.peak_js_heap_mb} MB, ArrayBuffer backing stores ${r.memory.peak_array_buffers_mb} MB, renderer peak RSS ${r.memory.peak_renderer_rss_mb} MB.`,
    );
  const f = r.full2b;
  if (f?.skipped) lines.push(`Full-size 2B: skipped (${f.skipped}).`);
  else if (f)
    lines.push(
      `Full-size 2B (28 layers, 24 vision blocks, random weights, 4-bit, linear layers as ${f.linear ?? f.matmul ?? '?'}): ${f.fits ? 'loads and scores one text pair' : '**does not fit**'}; load ${f.load_ms} ms, score ${f.score_ms} ms; wasm heap ${f.peak_wasm_mb} MB (after load ${f.wasm_after_load_mb} MB), JS heap ${f.peak_js_heap_mb} MB, renderer peak RSS ${f.peak_renderer_rss_mb} MB${f.error ? `; error: ${f.error}` : ''}.`,
    );
  lines.push('');
  return lines;
}

/** Section 6: the library (indexing, search latency by index size, memory with both models). */
function libraryLines(r) {
  const l = r.library;
  if (!l) return [];
  const lines = ['## 6. Library: indexing and search (Node, onnxruntime-web WASM EP — CPU, not GPU)', ''];
  lines.push(
    `Indexing: ${l.index_images.items} images at 448×448 in ${l.index_images.seconds} s (**${l.index_images.items_per_s} items/s**); ` +
      `a ${l.index_video.video_seconds} s video (${l.index_video.segments} segments of 10 s, stride 5 s) in ${l.index_video.seconds} s (**${l.index_video.video_minutes_per_minute} video-minutes per minute**).`,
  );
  lines.push('');
  lines.push(
    '| stored vectors | embed query (ms) | exact top-K, LanceDB f16 (ms) | exact top-K, in-memory int8 (ms) | rerank K (ms) | total (ms) |',
  );
  lines.push('|---:|---:|---:|---:|---:|---:|');
  for (const x of l.search)
    lines.push(
      `| ${x.stored.toLocaleString('en-US')} | ${x.embed_query_ms} | ${x.topk_lance_f16_ms} | ${x.topk_memory_i8_ms} | ${x.rerank_k_ms} (K = ${x.k}) | ${x.total_ms} |`,
    );
  lines.push('');
  lines.push(
    `Memory (Node process RSS): ${l.memory_mb.before} MB before, ${l.memory_mb.embedder_loaded} MB with the embedder, **${l.memory_mb.both_loaded} MB with both models**, ${l.memory_mb.peak_after_search} MB after the searches.`,
  );
  lines.push('');
  return lines;
}

/** Section 7: moments (video seconds per second, where the time goes) and covers (frames per second). */
function momentsLines(r) {
  const x = r.moments;
  if (!x) return [];
  const m = x.moments;
  const s = m.split_s;
  return [
    '## 7. Moments and covers (Node, onnxruntime-web WASM EP — CPU, not GPU)',
    '',
    `Moments of a ${m.video_seconds} s ${m.source} video (${m.windows} windows of ${m.window_s} s, stride ${m.stride_s} s, ${m.fps} fps): ` +
      `${m.wall_s} s, **${m.video_s_per_s} video-seconds per second**; first window after ${m.first_window_ms} ms. ` +
      `Time: decoding + preprocessing ${s.decoding} s, vision graph ${s.vision} s, decoder graph ${s.decoder} s, other ${s.other} s ` +
      `(${m.decode_passes} decode passes, ${m.frames_decoded} frames decoded, ${m.frames_reused} reused).`,
    '',
    `Covers: ${x.covers.frames} frames (1 fps) in ${x.covers.wall_s} s, **${x.covers.frames_per_s} frames per second** ` +
      `(decoding ${x.covers.split_s.decoding} s, vision ${x.covers.split_s.vision} s, decoder ${x.covers.split_s.decoder} s).`,
    '',
  ];
}

/** The WebGPU note and the run's duration. */
function webgpuLines(r) {
  const lines = [];
  lines.push('## WebGPU');
  lines.push('');
  lines.push(r.webgpu?.note ?? r.webgpu?.status ?? '—');
  lines.push('');
  lines.push(`Run took ${r.duration_s} s.`);
  lines.push('');
  return lines;
}

export function markdownReport(r) {
  return [
    ...summaryLines(r),
    ...rooflineLines(r),
    ...scoringLines(r),
    ...prefixLines(r),
    ...cachedStartLines(r),
    ...memoryLines(r),
    ...libraryLines(r),
    ...momentsLines(r),
    ...peerLines(r),
    ...webgpuLines(r),
  ].join('\n');
}

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** Bars: best GFLOP/s of each weight format (lone matmul) and Sift's achieved prefill rates. */
export function svgChart(r) {
  const bars = (r.roofline?.by_format ?? [])
    .filter((f) => f.best_gflops > 0)
    .map((f) => ({ label: f.format, value: f.best_gflops, kind: f.format === 'int8-pertoken-mmitf' ? 'sift' : 'fmt' }));
  if (r.scoring?.text) bars.push({ label: 'Sift scoring: text documents', value: r.scoring.text.gflops, kind: 'achieved' });
  if (r.scoring?.image) bars.push({ label: 'Sift scoring: image documents', value: r.scoring.image.gflops, kind: 'achieved' });
  if (r.before_after) bars.push({ label: 'before: text, stored 4-bit', value: r.before_after.stored_q4.text.gflops, kind: 'before' });
  const W = 760;
  const left = 250;
  const rowH = 24;
  const top = 54;
  const H = top + bars.length * rowH + 40;
  const max = Math.max(1, ...bars.map((b) => b.value), r.roofline_gflops ?? 0) * 1.1;
  const x = (v) => left + ((W - left - 60) * v) / max;
  const color = { fmt: '#9aa5b8', sift: '#2454c5', achieved: '#1d9a6c', before: '#c77d2a' };
  const out = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="system-ui, sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(
    `<text x="12" y="20" font-size="14" font-weight="600">GFLOP/s on this machine (WASM EP, 2 threads)${r.quick ? ' — quick run' : ''}</text>`,
  );
  out.push(
    `<text x="12" y="38" fill="#555">grey: lone matmul per weight format (best M); blue: Sift's WASM format; green: Sift scoring, achieved; orange: before</text>`,
  );
  if (r.roofline_gflops) {
    const rx = x(r.roofline_gflops);
    const hx = x(r.roofline_gflops / 2);
    out.push(`<line x1="${rx}" y1="${top - 6}" x2="${rx}" y2="${H - 30}" stroke="#c33" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${rx + 3}" y="${H - 18}" fill="#c33">roofline ${r.roofline_gflops}</text>`);
    out.push(`<line x1="${hx}" y1="${top - 6}" x2="${hx}" y2="${H - 30}" stroke="#c33" stroke-opacity="0.4" stroke-dasharray="2 4"/>`);
    out.push(`<text x="${hx + 3}" y="${H - 6}" fill="#c33" fill-opacity="0.7">target 0.5 × roofline</text>`);
  }
  bars.forEach((b, i) => {
    const y = top + i * rowH;
    out.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end">${esc(b.label)}</text>`);
    out.push(`<rect x="${left}" y="${y + 3}" width="${Math.max(1, x(b.value) - left)}" height="${rowH - 8}" fill="${color[b.kind]}"/>`);
    out.push(`<text x="${x(b.value) + 4}" y="${y + 15}">${b.value}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
