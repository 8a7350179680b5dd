// A rerank run: sending the query and candidates to the worker, filling the result rows as scores
// arrive, ending the run (done, cancelled, failed), the elapsed-time ticker, and exporting results.
// The run keeps plain copies of what was asked, so editing the candidates meanwhile changes nothing.
import type { RerankRequest, RerankSide, ScoreEvent } from '../lib/types.ts';
import { buildExport, type ExportedResults } from './exportResults.ts';
import { errorMessage, formatScore, isAbortError, plural } from './format.ts';
import { releaseUrl, retainUrl } from './objectUrls.ts';
import { DEFAULT_INSTRUCTION } from './settings.ts';
import type { SiftUi } from './state.svelte.ts';
import type { MediaRef, Run } from './stateTypes.ts';

/** One side of the request (query or document) as the worker takes it: a File or URL, never a proxy. */
function buildSide(text: string, media: MediaRef | null): RerankSide {
  const side: RerankSide = {};
  if (text.trim()) side.text = text;
  if (media) {
    const value = media.source === 'file' ? media.file! : media.url;
    if (media.kind === 'image') side.image = value;
    else side.video = value;
  }
  return side;
}

/** Drops the run's holds on the object URLs of its thumbnails. */
function releaseRun(run: Run | null): void {
  if (!run) return;
  for (const r of run.rows) if (r.media?.source === 'file') releaseUrl(r.media.url);
  if (run.request.query.media?.source === 'file') releaseUrl(run.request.query.media.url);
}

export function clearResults(ui: SiftUi): void {
  if (ui.running) return;
  releaseRun(ui.run);
  ui.run = null;
}

export async function rerank(ui: SiftUi): Promise<void> {
  const c = ui.client;
  if (!c || ui.rerankBlockers.length || ui.running) return;
  const s = ui.settingsCheck;
  const id = ++ui.runCounter;
  // Plain copies: the worker gets structured clones, and the run keeps what was asked even if the
  // candidates change meanwhile.
  const cands = ui.candidates.map((x) => ({ id: x.id, text: x.text, media: x.media ? { ...x.media } : null }));
  const queryMedia = ui.queryMedia ? { ...ui.queryMedia } : null;
  for (const x of cands) if (x.media?.source === 'file') retainUrl(x.media.url);
  if (queryMedia?.source === 'file') retainUrl(queryMedia.url);
  releaseRun(ui.run);
  const instruction = ui.instruction.trim() ? ui.instruction : DEFAULT_INSTRUCTION;
  ui.run = {
    id,
    status: 'running',
    error: null,
    startedAt: performance.now(),
    finishedAt: null,
    rows: cands.map((x, index) => ({
      index,
      id: x.id,
      text: x.text,
      media: x.media,
      state: 'pending',
      score: null,
      error: null,
      warnings: [],
      ms: null,
    })),
    model: ui.activeModel ? { ...ui.activeModel } : null,
    backend: ui.status?.backend ?? null,
    backendReason: ui.status?.backendReason ?? '',
    request: {
      instruction,
      query: { text: ui.queryText, media: queryMedia },
      fps: s.fps!,
      maxFrames: s.maxFrames!,
      maxVideoSeconds: s.maxVideoSeconds!,
    },
    candidatesVersion: ui.candidatesVersion,
  };
  const request: RerankRequest = {
    instruction,
    query: buildSide(ui.queryText, queryMedia),
    documents: cands.map((x) => buildSide(x.text, x.media)),
    fps: s.fps!,
    max_frames: s.maxFrames!,
  };
  ui.announce(`Reranking ${plural(cands.length, 'candidate')}…`);
  startTicker(ui);
  const apply = (e: ScoreEvent) => {
    const run = ui.run;
    if (!run || run.id !== id) return;
    const row = run.rows[e.index];
    if (!row) return;
    row.score = e.score;
    row.state = e.score === null ? 'failed' : 'scored';
    row.error = e.score === null ? e.error || 'This candidate failed (no reason was given).' : null;
    row.warnings = e.warnings ?? [];
    row.ms = e.ms;
  };
  try {
    const result = await c.rerank(request, apply, { maxVideoSeconds: s.maxVideoSeconds! });
    const run = ui.run as Run | null;
    if (!run || run.id !== id) return;
    // Score events travel on their own channel and may land after the result: fill any gaps from it.
    result.scores.forEach((score, index) => {
      const row = run.rows[index];
      if (!row || row.state !== 'pending') return;
      const err = result.errors.find((x) => x.index === index);
      row.score = score;
      row.state = score === null ? 'failed' : 'scored';
      row.error = score === null ? err?.message || 'This candidate failed (no reason was given).' : null;
      row.warnings = result.warnings.filter((w) => w.index === index).map((w) => w.message);
    });
    // The worker may have changed backend during the run (a lost GPU device falls back to WASM).
    await ui.refreshModelInfo();
    run.backend = ui.status?.backend ?? run.backend;
    run.backendReason = ui.status?.backendReason ?? run.backendReason;
    run.status = 'done';
    run.finishedAt = performance.now();
    ui.announce(rankedSummary(ui));
  } catch (err) {
    const run = ui.run as Run | null;
    if (!run || run.id !== id || run.status !== 'running') return; // e.g. already failed by a worker restart
    run.finishedAt = performance.now();
    for (const r of run.rows) if (r.state === 'pending') r.state = 'cancelled';
    if (isAbortError(err)) {
      run.status = 'cancelled';
      ui.announce(`Cancelled: ${plural(ui.runCounts.scored, 'candidate')} had been scored.`);
    } else {
      run.status = 'failed';
      run.error = `Reranking failed: ${errorMessage(err)}`;
    }
  } finally {
    stopTicker(ui);
  }
}

/** Ends a running run as failed with `error` (the worker stopped under it); no-op when none runs. */
export function failRunningRun(ui: SiftUi, error: string): void {
  const run = ui.run;
  if (run?.status !== 'running') return;
  run.status = 'failed';
  run.finishedAt = performance.now();
  run.error = error;
  for (const r of run.rows) if (r.state === 'pending') r.state = 'cancelled';
  stopTicker(ui);
}

/** What a finished run announces: "Ranked 3 candidates, best 87.3: "A dog…". 1 failed." */
function rankedSummary(ui: SiftUi): string {
  const n = ui.runCounts;
  const failed = n.failed ? ` ${n.failed} failed.` : '';
  const best = ui.sortedRows[0];
  if (!best || best.state !== 'scored') return `Ranked no candidates: ${n.failed ? `all ${n.failed} failed` : 'none was scored'}.`;
  const label = best.text
    ? `"${best.text.length > 40 ? `${best.text.slice(0, 39)}…` : best.text}"`
    : (best.media?.name ?? `candidate ${best.index + 1}`);
  return `Ranked ${plural(n.scored, 'candidate')}, best ${formatScore(best.score ?? 0)}: ${label}.${failed}`;
}

export async function cancelRerank(ui: SiftUi): Promise<void> {
  await ui.client?.cancel().catch(() => {});
}

// ui.now drives the elapsed time shown while a run is going.
function startTicker(ui: SiftUi): void {
  stopTicker(ui);
  ui.ticker = setInterval(() => (ui.now = performance.now()), 250);
}

function stopTicker(ui: SiftUi): void {
  if (ui.ticker) clearInterval(ui.ticker);
  ui.ticker = null;
  ui.now = performance.now();
}

export function exportResults(ui: SiftUi): ExportedResults | null {
  if (!ui.run) return null;
  return buildExport(
    $state.snapshot(ui.run) as Run,
    ui.sortedRows.map((r) => r.index),
    ui.status,
  );
}
