// A rerank run: why one cannot start yet, sending the query and candidates to the worker, filling the
// result rows as scores arrive, ending the run (done, cancelled, failed), the elapsed-time ticker, and
// exporting results. The run keeps plain copies of what was asked, so editing the candidates meanwhile
// changes nothing.
import type { RerankRequest, RerankSide, ScoreEvent } from '../lib/types.ts';
import type { Announcer } from './announcer.svelte.ts';
import type { CandidateList } from './candidates.svelte.ts';
import { buildExport, type ExportedResults } from './exportResults.ts';
import { errorMessage, formatScore, isAbortError, plural } from './format.ts';
import type { ModelState } from './model.svelte.ts';
import { releaseUrl, retainUrl } from './objectUrls.ts';
import type { QueryState } from './query.svelte.ts';
import { DEFAULT_INSTRUCTION } from './settings.ts';
import { sortRows, type MediaRef, type Run } from './stateTypes.ts';

export interface RerankRunDeps {
  announcer: Announcer;
  model: ModelState;
  query: QueryState;
  candidates: CandidateList;
}

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

export class RerankRun {
  readonly #deps: RerankRunDeps;

  /** The last run (running or finished), or null. */
  run = $state<Run | null>(null);
  /** Ticks while a run is going, for its elapsed time. */
  now = $state(performance.now());

  sortedRows = $derived(this.run ? sortRows(this.run.rows) : []);
  counts = $derived.by(() => {
    const c = { scored: 0, failed: 0, pending: 0, cancelled: 0, total: 0 };
    for (const r of this.run?.rows ?? []) {
      c[r.state]++;
      c.total++;
    }
    return c;
  });
  running = $derived(this.run?.status === 'running');

  /** Why Rerank cannot run right now (empty when it can). */
  blockers = $derived.by(() => {
    const { model, query, candidates } = this.#deps;
    const why: string[] = [];
    if (model.fatal) why.push('The model worker is not running (see the error above).');
    else if (model.loading) why.push('Wait for the model to finish loading.');
    else if (!model.ready) why.push('Load a model first, in the Model panel.');
    if (!query.text.trim() && !query.media) why.push('Enter a query: text, an image or a video.');
    if (query.videoProblem) why.push('The query video cannot be used (see the message in the Query panel).');
    if (candidates.items.length === 0) why.push('Add at least one candidate.');
    if (!query.settingsCheck.ok) why.push('Fix the query settings (fps, max frames or longest video).');
    return why;
  });

  /** Numbers runs, so late answers to an older run are ignored. */
  #counter = 0;
  #ticker: ReturnType<typeof setInterval> | null = null;

  constructor(deps: RerankRunDeps) {
    this.#deps = deps;
  }

  /** Whether the current run's rows show the medium at `url`. */
  showsMedia(url: string): boolean {
    return !!this.run?.rows.some((r) => r.media?.url === url);
  }

  clear(): void {
    if (this.running) return;
    releaseRun(this.run);
    this.run = null;
  }

  async start(): Promise<void> {
    const { announcer, model, query, candidates } = this.#deps;
    const c = model.client;
    if (!c || this.blockers.length || this.running) return;
    const s = query.settingsCheck;
    const id = ++this.#counter;
    // Plain copies: the worker gets structured clones, and the run keeps what was asked even if the
    // candidates change meanwhile.
    const cands = candidates.items.map((x) => ({ id: x.id, text: x.text, media: x.media ? { ...x.media } : null }));
    const queryMedia = query.media ? { ...query.media } : null;
    for (const x of cands) if (x.media?.source === 'file') retainUrl(x.media.url);
    if (queryMedia?.source === 'file') retainUrl(queryMedia.url);
    releaseRun(this.run);
    const instruction = query.instruction.trim() ? query.instruction : DEFAULT_INSTRUCTION;
    this.run = {
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
      model: model.active ? { ...model.active } : null,
      backend: model.status?.backend ?? null,
      backendReason: model.status?.backendReason ?? '',
      request: {
        instruction,
        query: { text: query.text, media: queryMedia },
        fps: s.fps!,
        maxFrames: s.maxFrames!,
        maxVideoSeconds: s.maxVideoSeconds!,
      },
      candidatesVersion: candidates.version,
    };
    const request: RerankRequest = {
      instruction,
      query: buildSide(query.text, queryMedia),
      documents: cands.map((x) => buildSide(x.text, x.media)),
      fps: s.fps!,
      max_frames: s.maxFrames!,
    };
    announcer.announce(`Reranking ${plural(cands.length, 'candidate')}…`);
    this.#startTicker();
    const apply = (e: ScoreEvent) => {
      const run = this.run;
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
      const run = this.run as Run | null;
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
      await model.refreshInfo();
      run.backend = model.status?.backend ?? run.backend;
      run.backendReason = model.status?.backendReason ?? run.backendReason;
      run.status = 'done';
      run.finishedAt = performance.now();
      announcer.announce(this.#rankedSummary());
    } catch (err) {
      const run = this.run as Run | null;
      if (!run || run.id !== id || run.status !== 'running') return; // e.g. already failed by a worker restart
      run.finishedAt = performance.now();
      for (const r of run.rows) if (r.state === 'pending') r.state = 'cancelled';
      if (isAbortError(err)) {
        run.status = 'cancelled';
        announcer.announce(`Cancelled: ${plural(this.counts.scored, 'candidate')} had been scored.`);
      } else {
        run.status = 'failed';
        run.error = `Reranking failed: ${errorMessage(err)}`;
      }
    } finally {
      this.#stopTicker();
    }
  }

  /** The worker stopped under a running run (it is being restarted): the run fails; no-op when none runs. */
  failForLostWorker(reason: string): void {
    const run = this.run;
    if (run?.status !== 'running') return;
    run.status = 'failed';
    run.finishedAt = performance.now();
    run.error = `The model worker stopped while scoring (${reason}). It has been restarted: press Rerank to try again.`;
    for (const r of run.rows) if (r.state === 'pending') r.state = 'cancelled';
    this.#stopTicker();
  }

  /** What a finished run announces: "Ranked 3 candidates, best 87.3: "A dog…". 1 failed." */
  #rankedSummary(): string {
    const n = this.counts;
    const failed = n.failed ? ` ${n.failed} failed.` : '';
    const best = this.sortedRows[0];
    if (!best || best.state !== 'scored') return `Ranked no candidates: ${n.failed ? `all ${n.failed} failed` : 'none was scored'}.`;
    const label = best.text
      ? `"${best.text.length > 40 ? `${best.text.slice(0, 39)}…` : best.text}"`
      : (best.media?.name ?? `candidate ${best.index + 1}`);
    return `Ranked ${plural(n.scored, 'candidate')}, best ${formatScore(best.score ?? 0)}: ${label}.${failed}`;
  }

  async cancel(): Promise<void> {
    await this.#deps.model.client?.cancel().catch(() => {});
  }

  #startTicker(): void {
    this.#stopTicker();
    this.#ticker = setInterval(() => (this.now = performance.now()), 250);
  }

  #stopTicker(): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#ticker = null;
    this.now = performance.now();
  }

  /** The run's results as the exported JSON, or null when there is no run. */
  exportResults(): ExportedResults | null {
    if (!this.run) return null;
    return buildExport(
      $state.snapshot(this.run) as Run,
      this.sortedRows.map((r) => r.index),
      this.#deps.model.status,
    );
  }
}
