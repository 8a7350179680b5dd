// The whole UI's state, with Svelte 5 runes: `ui` is the one object the panels read and call. The
// fields and derived values live here (runes in a class need a .svelte.ts file); each action is a
// one-line door into the module of its concept, which alone talks to the worker client or storage:
//   savedState.ts             restoring at start-up, the snapshot that is saved
//   mediaInputs.ts            the query's image/video, video probes, releasing object URLs
//   candidateList.ts          adding, editing, moving and removing candidates
//   modelWorker.svelte.ts     the worker's lifecycle, loading and deleting models
//   rerankRun.svelte.ts       a rerank run, its results and their export
// The types and pure helpers are in stateTypes.ts.
import { SvelteMap } from 'svelte/reactivity';
import type { Backend, LoadProgress, ModelInfo, ModelSource, WorkerStatus } from '../lib/types.ts';
import type { SiftClient } from '../lib/workerClient.ts';
import * as candidateList from './candidateList.ts';
import type { ExportedResults } from './exportResults.ts';
import * as mediaInputs from './mediaInputs.ts';
import * as modelWorker from './modelWorker.svelte.ts';
import { save, type BackendPreference, type ModelChoice, type SavedState } from './persist.ts';
import * as rerankRun from './rerankRun.svelte.ts';
import { restoreSavedState, savedSnapshot } from './savedState.ts';
import {
  checkSettings,
  DEFAULT_INSTRUCTION,
  DEFAULT_MAX_FRAMES,
  DEFAULT_FPS,
  DEFAULT_MAX_VIDEO_SECONDS,
  type SettingsInput,
} from './settings.ts';
import { sortRows, type Candidate, type MediaRef, type Run, type VideoInfo } from './stateTypes.ts';

export class SiftUi {
  // ── worker ──────────────────────────────────────────────────────────────────────────────────
  client = $state.raw<SiftClient | null>(null);
  fatal = $state<string | null>(null);

  // ── query ───────────────────────────────────────────────────────────────────────────────────
  queryText = $state('');
  queryMedia = $state<MediaRef | null>(null);
  queryMediaError = $state<string | null>(null);
  instruction = $state(DEFAULT_INSTRUCTION);
  settings = $state<SettingsInput>({
    fps: String(DEFAULT_FPS),
    maxFrames: String(DEFAULT_MAX_FRAMES),
    maxVideoSeconds: String(DEFAULT_MAX_VIDEO_SECONDS),
  });
  settingsCheck = $derived(checkSettings(this.settings));

  // ── candidates ──────────────────────────────────────────────────────────────────────────────
  candidates = $state<Candidate[]>([]);
  candidatesVersion = $state(0);
  videoInfo = new SvelteMap<string, VideoInfo>();
  restoredNotice = $state<string | null>(null);
  /** How many files the restore could not bring back; the notice goes once that many are added again. */
  restoredLostFiles = 0;
  persistError = $state<string | null>(null);
  /** The page-wide polite announcement (additions, removals, moves). */
  announcement = $state('');

  // ── model ───────────────────────────────────────────────────────────────────────────────────
  modelChoice = $state<ModelChoice>('tiny');
  manifestUrl = $state('');
  bits = $state<4 | 8 | 32>(4);
  backendPref = $state<BackendPreference>('auto');
  loading = $state(false);
  loadStartedAt = $state(0);
  progress = $state<LoadProgress | null>(null);
  loadError = $state<string | null>(null);
  loadedNote = $state<string | null>(null);
  activeModel = $state<ModelInfo | null>(null);
  status = $state<WorkerStatus | null>(null);
  cached = $state<ModelInfo[]>([]);
  storage = $state<{ usage: number; quota: number; persisted: boolean } | null>(null);
  modelActionError = $state<string | null>(null);

  // ── results ─────────────────────────────────────────────────────────────────────────────────
  run = $state<Run | null>(null);
  now = $state(performance.now());

  // ── bookkeeping of the action modules (not reactive; not for the panels) ────────────────────
  /** When the worker was restarted lately (modelWorker.svelte.ts gives up after 3 in a minute). */
  restarts: number[] = [];
  /** The source of the model loaded last, to reload it (from IndexedDB) after a worker restart. */
  lastSource: ModelSource | null = null;
  lastBackend: Backend | undefined;
  /** Numbers runs, so late answers to an older run are ignored. */
  runCounter = 0;
  /** Updates `now` while a run is going. */
  ticker: ReturnType<typeof setInterval> | null = null;

  // ── derived ─────────────────────────────────────────────────────────────────────────────────
  sortedRows = $derived(this.run ? sortRows(this.run.rows) : []);
  runCounts = $derived.by(() => {
    const c = { scored: 0, failed: 0, pending: 0, cancelled: 0, total: 0 };
    for (const r of this.run?.rows ?? []) {
      c[r.state]++;
      c.total++;
    }
    return c;
  });

  queryVideo = $derived(this.queryMedia?.kind === 'video' ? (this.videoInfo.get(this.queryMedia.url) ?? null) : null);
  queryVideoProblem = $derived.by(() => {
    const v = this.queryVideo;
    const max = this.settingsCheck.maxVideoSeconds;
    if (!v) return null;
    if (v.state === 'error') return v.error;
    if (v.duration !== null && max !== null && v.duration > max) {
      return `This video is ${v.duration.toFixed(1)} s long; the longest accepted is ${max} s. Trim it, or raise "Longest video" below.`;
    }
    return null;
  });

  candidateCounts = $derived.by(() => {
    const c = { total: 0, text: 0, image: 0, video: 0, mixed: 0 };
    for (const x of this.candidates) {
      c.total++;
      if (!x.media) c.text++;
      else if (x.text) c.mixed++;
      else c[x.media.kind]++;
    }
    return c;
  });

  modelReady = $derived(!!this.activeModel && this.activeModel.state === 'ready');
  running = $derived(this.run?.status === 'running');

  /** Why Rerank cannot run right now (empty when it can). */
  rerankBlockers = $derived.by(() => {
    const why: string[] = [];
    if (this.fatal) why.push('The model worker is not running (see the error above).');
    else if (this.loading) why.push('Wait for the model to finish loading.');
    else if (!this.modelReady) why.push('Load a model first, in the Model panel.');
    if (!this.queryText.trim() && !this.queryMedia) why.push('Enter a query: text, an image or a video.');
    if (this.queryVideoProblem) why.push('The query video cannot be used (see the message in the Query panel).');
    if (this.candidates.length === 0) why.push('Add at least one candidate.');
    if (!this.settingsCheck.ok) why.push('Fix the query settings (fps, max frames or longest video).');
    return why;
  });

  constructor() {
    restoreSavedState(this);
  }

  announce(message: string): void {
    // Re-announce identical messages too: screen readers ignore an unchanged live region.
    this.announcement = this.announcement === message ? `${message}\u00a0` : message;
  }

  // ── persistence (savedState.ts) ─────────────────────────────────────────────────────────────
  persistSnapshot(): SavedState {
    return savedSnapshot(this);
  }
  persistNow(snapshot: SavedState = this.persistSnapshot()): void {
    this.persistError = save(snapshot);
  }

  // ── query ───────────────────────────────────────────────────────────────────────────────────
  setQueryFile(file: File): void {
    mediaInputs.setQueryFile(this, file);
  }
  clearQueryMedia(): void {
    mediaInputs.clearQueryMedia(this);
  }
  resetInstruction(): void {
    this.instruction = DEFAULT_INSTRUCTION;
  }

  // ── candidates (candidateList.ts) ───────────────────────────────────────────────────────────
  /** Adds one candidate per non-empty line; returns how many were added. */
  addLines(text: string): number {
    return candidateList.addLines(this, text);
  }
  /** Adds one candidate per image/video file; returns the names of files that were skipped. */
  addFiles(files: Iterable<File>): string[] {
    return candidateList.addFiles(this, files);
  }
  indexOf(id: string): number {
    return candidateList.indexOf(this, id);
  }
  remove(id: string): void {
    candidateList.remove(this, id);
  }
  /** Returns the candidate's new position. */
  move(id: string, delta: number): number {
    return candidateList.move(this, id, delta);
  }
  clearCandidates(): void {
    candidateList.clearCandidates(this);
  }
  setText(id: string, text: string): void {
    candidateList.setText(this, id, text);
  }
  /** Returns an error message, or null. */
  attachFile(id: string, file: File): string | null {
    return candidateList.attachFile(this, id, file);
  }
  detachMedia(id: string): void {
    candidateList.detachMedia(this, id);
  }

  // ── worker and model (modelWorker.svelte.ts) ────────────────────────────────────────────────
  attach(client: SiftClient): Promise<void> {
    return modelWorker.attach(this, client);
  }
  failToStart(err: unknown): void {
    modelWorker.failToStart(this, err);
  }
  refreshModelInfo(): Promise<void> {
    return modelWorker.refreshModelInfo(this);
  }
  selectedSource(): { source: ModelSource } | { error: string } {
    return modelWorker.selectedSource(this);
  }
  load(source?: ModelSource, backend?: Backend): Promise<void> {
    return modelWorker.load(this, source, backend);
  }
  cancelLoad(): Promise<void> {
    return modelWorker.cancelLoad(this);
  }
  sourceForCached(id: string): ModelSource | null {
    return modelWorker.sourceForCached(id);
  }
  deleteModel(id: string): Promise<void> {
    return modelWorker.deleteModel(this, id);
  }

  // ── rerank (rerankRun.svelte.ts) ────────────────────────────────────────────────────────────
  rerank(): Promise<void> {
    return rerankRun.rerank(this);
  }
  cancelRerank(): Promise<void> {
    return rerankRun.cancelRerank(this);
  }
  clearResults(): void {
    rerankRun.clearResults(this);
  }
  exportResults(): ExportedResults | null {
    return rerankRun.exportResults(this);
  }
}

export const ui = new SiftUi();
