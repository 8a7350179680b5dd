// The whole UI's state and actions, with Svelte 5 runes. Panels read and call this; only this module
// talks to the worker client. Everything sent to the worker is rebuilt as plain objects (a $state
// proxy cannot be structured-cloned into a worker).
import { SvelteMap } from 'svelte/reactivity';
import type { Backend, LoadProgress, ModelInfo, ModelSource, RerankRequest, RerankSide, ScoreEvent, WorkerStatus } from '../lib/types.ts';
import { createClient, type SiftClient } from '../lib/workerClient.ts';
import { errorMessage, formatBytes, formatSeconds, isAbortError, plural } from './format.ts';
import { mediaKindOfFile, parseCandidateLines, probeVideo, type MediaKind } from './media.ts';
import { attachExtra, createObjectUrl, releaseUrl, retainUrl } from './objectUrls.ts';
import {
  forgetModelSource,
  loadModelSources,
  loadSaved,
  rememberModelSource,
  save,
  type BackendPreference,
  type ModelChoice,
  type SavedCandidate,
  type SavedState,
} from './persist.ts';
import { checkSettings, DEFAULT_INSTRUCTION, DEFAULT_MAX_FRAMES, DEFAULT_FPS, DEFAULT_MAX_VIDEO_SECONDS, type SettingsInput } from './settings.ts';
import { buildExport, type ExportedResults } from './exportResults.ts';

export const OFFICIAL_2B = {
  id: 'Qwen3-VL-Reranker-2B',
  url: 'https://huggingface.co/Qwen/Qwen3-VL-Reranker-2B/resolve/main/',
  /** The bf16 safetensors the worker streams (about 2.1 B parameters × 2 bytes). */
  downloadBytes: 4.3e9,
};

/** Rough stored size of the converted 2B model per weight format (for the storage check only). */
export function estimatedStoredBytes(bits: 4 | 8 | 32): number {
  return OFFICIAL_2B.downloadBytes * (bits === 4 ? 0.32 : bits === 8 ? 0.56 : 2);
}

export interface MediaRef {
  kind: MediaKind;
  source: 'file' | 'url';
  /** An object URL (files; reference-counted in objectUrls.ts) or the http(s) URL. */
  url: string;
  name: string;
  type: string;
  bytes: number | null;
  file: File | null;
}

export interface VideoInfo {
  state: 'probing' | 'ready' | 'error';
  duration: number | null;
  width: number;
  height: number;
  frames: string[];
  error: string | null;
}

export interface Candidate {
  id: string;
  text: string;
  media: MediaRef | null;
}

export type RowState = 'pending' | 'scored' | 'failed' | 'cancelled';

export interface ResultRow {
  index: number;
  id: string;
  text: string;
  media: MediaRef | null;
  state: RowState;
  score: number | null;
  error: string | null;
  warnings: string[];
  ms: number | null;
}

export interface Run {
  id: number;
  status: 'running' | 'done' | 'cancelled' | 'failed';
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
  rows: ResultRow[];
  model: ModelInfo | null;
  backend: Backend | null;
  backendReason: string;
  request: {
    instruction: string;
    query: { text: string; media: MediaRef | null };
    fps: number;
    maxFrames: number;
    maxVideoSeconds: number;
  };
  candidatesVersion: number;
}

let idCounter = 0;
const newId = () => `c${(++idCounter).toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;

function fileMedia(file: File, kind: MediaKind): MediaRef {
  return { kind, source: 'file', url: createObjectUrl(file), name: file.name || `${kind}`, type: file.type, bytes: file.size, file };
}

function urlMedia(url: string): MediaRef {
  const name = decodeURIComponent(new URL(url).pathname.split('/').pop() || url);
  return { kind: 'image', source: 'url', url, name, type: '', bytes: null, file: null };
}

function sortRows(rows: ResultRow[]): ResultRow[] {
  const rank = (r: ResultRow) => (r.state === 'scored' ? 0 : r.state === 'failed' ? 1 : 2);
  return [...rows].sort((a, b) => rank(a) - rank(b) || (a.state === 'scored' ? (b.score ?? 0) - (a.score ?? 0) : 0) || a.index - b.index);
}

export class SiftUi {
  // ── worker ──────────────────────────────────────────────────────────────────────────────────
  client = $state.raw<SiftClient | null>(null);
  fatal = $state<string | null>(null);

  // ── query ───────────────────────────────────────────────────────────────────────────────────
  queryText = $state('');
  queryMedia = $state<MediaRef | null>(null);
  queryMediaError = $state<string | null>(null);
  instruction = $state(DEFAULT_INSTRUCTION);
  settings = $state<SettingsInput>({ fps: String(DEFAULT_FPS), maxFrames: String(DEFAULT_MAX_FRAMES), maxVideoSeconds: String(DEFAULT_MAX_VIDEO_SECONDS) });
  settingsCheck = $derived(checkSettings(this.settings));

  // ── candidates ──────────────────────────────────────────────────────────────────────────────
  candidates = $state<Candidate[]>([]);
  candidatesVersion = $state(0);
  videoInfo = new SvelteMap<string, VideoInfo>();
  restoredNotice = $state<string | null>(null);
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
  private runCounter = 0;
  private ticker: ReturnType<typeof setInterval> | null = null;

  sortedRows = $derived(this.run ? sortRows(this.run.rows) : []);
  runCounts = $derived.by(() => {
    const c = { scored: 0, failed: 0, pending: 0, cancelled: 0, total: 0 };
    for (const r of this.run?.rows ?? []) {
      c[r.state]++;
      c.total++;
    }
    return c;
  });

  queryVideo = $derived(this.queryMedia?.kind === 'video' ? this.videoInfo.get(this.queryMedia.url) ?? null : null);
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
    this.restore();
  }

  // ── start-up ────────────────────────────────────────────────────────────────────────────────

  async attach(client: SiftClient): Promise<void> {
    this.client = client;
    let started = false;
    client.onFatal((m) => {
      if (this.client !== client) return;
      if (started) void this.restartWorker(m);
      else {
        this.fatal = m;
        this.loading = false;
      }
    });
    await this.refreshModelInfo();
    started = !this.fatal;
  }

  private restarts: number[] = [];
  /** The source of the model loaded last, to reload it (from IndexedDB) after a worker restart. */
  private lastSource: ModelSource | null = null;
  private lastBackend: Backend | undefined;

  /**
   * The worker stopped after it had started (killed, crashed): fail what was running with the reason,
   * start a new worker and reload the model from this browser's storage. Gives up after 3 restarts in
   * a minute, so a worker that dies at once does not loop.
   */
  private async restartWorker(reason: string): Promise<void> {
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < 60_000);
    const run = this.run;
    if (run?.status === 'running') {
      run.status = 'failed';
      run.finishedAt = performance.now();
      run.error = `The model worker stopped while scoring (${reason}). It has been restarted: press Rerank to try again.`;
      for (const r of run.rows) if (r.state === 'pending') r.state = 'cancelled';
      this.stopTicker();
    }
    this.loading = false;
    this.activeModel = null;
    if (this.restarts.length >= 3) {
      this.fatal = `The model worker keeps stopping (${reason}). Reload the page.`;
      return;
    }
    this.restarts.push(now);
    this.announce('The model worker stopped and is being restarted.');
    try {
      await this.attach(await createClient());
      if (this.lastSource) await this.load(this.lastSource, this.lastBackend);
    } catch (err) {
      this.fatal = `The model worker stopped (${reason}) and could not be restarted: ${errorMessage(err)}. Reload the page.`;
    }
  }

  failToStart(err: unknown): void {
    this.fatal = `The model worker could not be created: ${errorMessage(err)}`;
  }

  /** status(), listModels() and storageEstimate(): none of them downloads or compiles anything. */
  async refreshModelInfo(): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      const [status, models, storage] = await Promise.all([c.status(), c.listModels(), c.storageEstimate().catch(() => null)]);
      this.status = status;
      this.activeModel = status.model;
      this.cached = models;
      this.storage = storage;
    } catch (err) {
      if (!this.fatal) this.modelActionError = `Could not ask the worker for its state: ${errorMessage(err)}`;
    }
  }

  announce(message: string): void {
    // Re-announce identical messages too: screen readers ignore an unchanged live region.
    this.announcement = this.announcement === message ? `${message}\u00a0` : message;
  }

  // ── persistence ─────────────────────────────────────────────────────────────────────────────

  private restore(): void {
    const s = loadSaved();
    if (!s) return;
    if (typeof s.queryText === 'string') this.queryText = s.queryText;
    if (typeof s.instruction === 'string') this.instruction = s.instruction;
    if (typeof s.fps === 'string') this.settings.fps = s.fps;
    if (typeof s.maxFrames === 'string') this.settings.maxFrames = s.maxFrames;
    if (typeof s.maxVideoSeconds === 'string') this.settings.maxVideoSeconds = s.maxVideoSeconds;
    if (s.model) {
      if (['tiny', 'official', 'manifest'].includes(s.model.choice)) this.modelChoice = s.model.choice;
      if (typeof s.model.manifestUrl === 'string') this.manifestUrl = s.model.manifestUrl;
      if ([4, 8, 32].includes(s.model.bits)) this.bits = s.model.bits;
      if (['auto', 'webgpu', 'wasm'].includes(s.model.backend)) this.backendPref = s.model.backend;
    }
    let dropped = 0;
    let stripped = 0;
    const restored: Candidate[] = [];
    for (const c of Array.isArray(s.candidates) ? s.candidates : []) {
      if (!c || typeof c.text !== 'string') continue;
      let media: MediaRef | null = null;
      if (typeof c.imageUrl === 'string') {
        try {
          media = urlMedia(c.imageUrl);
        } catch {
          media = null;
        }
      }
      if (c.lostFile && !c.text) {
        dropped++;
        continue;
      }
      if (c.lostFile) stripped++;
      if (!c.text && !media) continue;
      restored.push({ id: newId(), text: c.text, media });
    }
    this.candidates = restored;
    const parts: string[] = [];
    if (dropped) parts.push(`${plural(dropped, 'image/video candidate')} ${dropped === 1 ? 'was' : 'were'} removed`);
    if (stripped) parts.push(`${plural(stripped, 'candidate')} kept ${stripped === 1 ? 'its' : 'their'} text but lost ${stripped === 1 ? 'its' : 'their'} file`);
    if (s.queryLostFile) parts.push(`the query's ${s.queryLostFile} was removed`);
    if (parts.length) {
      this.restoredNotice =
        `Restored from your last visit, except files: ${parts.join('; ')}. Browsers do not let a page reopen your files ` +
        'after a reload, so add those images and videos again. Text candidates and image URLs were kept.';
    }
  }

  persistSnapshot(): SavedState {
    return {
      v: 1,
      queryText: this.queryText,
      queryLostFile: this.queryMedia?.source === 'file' ? this.queryMedia.kind : undefined,
      instruction: this.instruction,
      fps: this.settings.fps,
      maxFrames: this.settings.maxFrames,
      maxVideoSeconds: this.settings.maxVideoSeconds,
      candidates: this.candidates.map((c): SavedCandidate => {
        const out: SavedCandidate = { text: c.text };
        if (c.media?.source === 'url') out.imageUrl = c.media.url;
        if (c.media?.source === 'file') out.lostFile = c.media.kind;
        return out;
      }),
      model: { choice: this.modelChoice, manifestUrl: this.manifestUrl, bits: this.bits, backend: this.backendPref },
    };
  }

  persistNow(snapshot: SavedState = this.persistSnapshot()): void {
    this.persistError = save(snapshot);
  }

  // ── query ───────────────────────────────────────────────────────────────────────────────────

  setQueryFile(file: File): void {
    const kind = mediaKindOfFile(file);
    if (!kind) {
      this.queryMediaError = `"${file.name}" is not an image or a video. Pick a PNG, JPEG, WebP, GIF, AVIF or BMP image, or an MP4/WebM video.`;
      return;
    }
    this.clearQueryMedia();
    this.queryMediaError = null;
    const media = fileMedia(file, kind);
    this.queryMedia = media;
    if (kind === 'video') this.probe(media.url);
    this.announce(`Query ${kind} set: ${media.name}.`);
  }

  clearQueryMedia(): void {
    if (this.queryMedia?.source === 'file') {
      this.videoInfo.delete(this.queryMedia.url);
      releaseUrl(this.queryMedia.url);
    }
    this.queryMedia = null;
    this.queryMediaError = null;
  }

  resetInstruction(): void {
    this.instruction = DEFAULT_INSTRUCTION;
  }

  private probe(url: string): void {
    this.videoInfo.set(url, { state: 'probing', duration: null, width: 0, height: 0, frames: [], error: null });
    void probeVideo(url).then((p) => {
      const frames: string[] = [];
      for (const blob of p.frames) {
        const f = URL.createObjectURL(blob);
        if (!attachExtra(url, f)) return; // removed meanwhile: frames already revoked
        frames.push(f);
      }
      if (!this.videoInfo.has(url)) return;
      this.videoInfo.set(url, {
        state: p.error ? 'error' : 'ready',
        duration: p.duration,
        width: p.width,
        height: p.height,
        frames,
        error: p.error ?? null,
      });
    });
  }

  // ── candidates ──────────────────────────────────────────────────────────────────────────────

  private touchCandidates(): void {
    this.candidatesVersion++;
  }

  /** Adds one candidate per non-empty line; returns how many were added. */
  addLines(text: string): number {
    const parsed = parseCandidateLines(text);
    if (!parsed.length) {
      this.announce('Nothing to add: the box is empty.');
      return 0;
    }
    const added: Candidate[] = parsed.map((p) =>
      p.kind === 'text' ? { id: newId(), text: p.text, media: null } : { id: newId(), text: '', media: urlMedia(p.url) },
    );
    this.candidates.push(...added);
    this.touchCandidates();
    const images = parsed.filter((p) => p.kind === 'image-url').length;
    this.announce(`Added ${plural(added.length, 'candidate')}${images ? ` (${plural(images, 'image URL')})` : ''}. ${plural(this.candidates.length, 'candidate')} in all.`);
    return added.length;
  }

  /** Adds one candidate per image/video file; returns the names of files that were skipped. */
  addFiles(files: Iterable<File>): string[] {
    const skipped: string[] = [];
    const added: Candidate[] = [];
    for (const file of files) {
      const kind = mediaKindOfFile(file);
      if (!kind) {
        skipped.push(file.name || 'unnamed file');
        continue;
      }
      const media = fileMedia(file, kind);
      if (kind === 'video') this.probe(media.url);
      added.push({ id: newId(), text: '', media });
    }
    if (added.length) {
      this.candidates.push(...added);
      this.touchCandidates();
    }
    const msg = [
      added.length ? `Added ${plural(added.length, 'file')}. ${plural(this.candidates.length, 'candidate')} in all.` : '',
      skipped.length ? `Skipped ${plural(skipped.length, 'file')} that ${skipped.length === 1 ? 'is' : 'are'} not an image or a video: ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''}.` : '',
    ]
      .filter(Boolean)
      .join(' ');
    if (msg) this.announce(msg);
    return skipped;
  }

  indexOf(id: string): number {
    return this.candidates.findIndex((c) => c.id === id);
  }

  remove(id: string): void {
    const i = this.indexOf(id);
    if (i < 0) return;
    const [c] = this.candidates.splice(i, 1);
    this.releaseMedia(c.media);
    this.touchCandidates();
    this.announce(`Removed candidate ${i + 1}. ${plural(this.candidates.length, 'candidate')} left.`);
  }

  move(id: string, delta: number): number {
    const i = this.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= this.candidates.length) return i;
    const [c] = this.candidates.splice(i, 1);
    this.candidates.splice(j, 0, c);
    this.touchCandidates();
    this.announce(`Moved to position ${j + 1} of ${this.candidates.length}.`);
    return j;
  }

  clearCandidates(): void {
    const n = this.candidates.length;
    for (const c of this.candidates) this.releaseMedia(c.media);
    this.candidates = [];
    this.touchCandidates();
    this.announce(`Cleared ${plural(n, 'candidate')}.`);
  }

  setText(id: string, text: string): void {
    const c = this.candidates[this.indexOf(id)];
    if (!c) return;
    c.text = text;
    this.touchCandidates();
  }

  /** Attaches (or replaces) the image/video of a candidate, making it a text + media candidate. */
  attachFile(id: string, file: File): string | null {
    const kind = mediaKindOfFile(file);
    if (!kind) return `"${file.name}" is not an image or a video.`;
    const c = this.candidates[this.indexOf(id)];
    if (!c) return null;
    this.releaseMedia(c.media);
    c.media = fileMedia(file, kind);
    if (kind === 'video') this.probe(c.media.url);
    this.touchCandidates();
    this.announce(`Attached ${kind} ${file.name}.`);
    return null;
  }

  detachMedia(id: string): void {
    const c = this.candidates[this.indexOf(id)];
    if (!c?.media) return;
    this.releaseMedia(c.media);
    c.media = null;
    this.touchCandidates();
    this.announce('Removed the image or video from the candidate.');
  }

  private releaseMedia(m: MediaRef | null): void {
    if (m?.source !== 'file') return;
    releaseUrl(m.url);
    // Keep the probe info while a results run still shows this video.
    if (!this.run?.rows.some((r) => r.media?.url === m.url)) this.videoInfo.delete(m.url);
  }

  // ── model ───────────────────────────────────────────────────────────────────────────────────

  /** The source the Model panel's current choice means, or an error message. */
  selectedSource(): { source: ModelSource } | { error: string } {
    if (this.modelChoice === 'tiny') return { source: { kind: 'builtin-tiny' } };
    if (this.modelChoice === 'official') return { source: { kind: 'checkpoint', url: OFFICIAL_2B.url, id: OFFICIAL_2B.id, bits: this.bits } };
    const raw = this.manifestUrl.trim();
    if (!raw) return { error: 'Enter the address of a converted model\'s manifest.json.' };
    let url: URL;
    try {
      url = new URL(raw, document.baseURI);
    } catch {
      return { error: `"${raw}" is not a valid address.` };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'The manifest address must start with http:// or https://.' };
    return { source: { kind: 'manifest', url: url.href } };
  }

  async load(source?: ModelSource, backend?: Backend): Promise<void> {
    const c = this.client;
    if (!c || this.loading) return;
    let src = source;
    if (!src) {
      const sel = this.selectedSource();
      if ('error' in sel) {
        this.loadError = sel.error;
        return;
      }
      src = sel.source;
    }
    this.loading = true;
    this.loadError = null;
    this.loadedNote = null;
    this.modelActionError = null;
    this.loadStartedAt = performance.now();
    this.progress = { phase: 'manifest', done: 0, total: 0 };
    this.announce('Loading the model…');
    const prefer = backend ?? (this.backendPref === 'auto' ? undefined : this.backendPref);
    try {
      const info = await c.load($state.snapshot(src) as ModelSource, (p) => (this.progress = p), prefer);
      rememberModelSource(info.id, $state.snapshot(src) as ModelSource);
      this.lastSource = $state.snapshot(src) as ModelSource;
      this.lastBackend = prefer;
      const secs = (performance.now() - this.loadStartedAt) / 1000;
      this.loadedNote = `${info.label} is ready (${formatBytes(info.bytes)}, loaded in ${formatSeconds(secs)}).`;
      this.announce(this.loadedNote);
    } catch (err) {
      if (isAbortError(err)) {
        this.announce('Loading cancelled.');
        this.loadedNote = 'Loading was cancelled. Pressing "Load model" again resumes where it stopped.';
      } else {
        this.loadError = `Could not load the model: ${errorMessage(err)}`;
      }
    } finally {
      this.loading = false;
      this.progress = null;
      await this.refreshModelInfo();
    }
  }

  async cancelLoad(): Promise<void> {
    await this.client?.cancel().catch(() => {});
  }

  sourceForCached(id: string): ModelSource | null {
    if (id === 'sift-tiny') return { kind: 'builtin-tiny' };
    return loadModelSources()[id] ?? null;
  }

  async deleteModel(id: string): Promise<void> {
    const c = this.client;
    if (!c) return;
    this.modelActionError = null;
    try {
      await c.deleteModel(id);
      forgetModelSource(id);
      this.announce(`Deleted the cached model ${id}.`);
    } catch (err) {
      this.modelActionError = `Could not delete ${id}: ${errorMessage(err)}`;
    }
    await this.refreshModelInfo();
  }

  // ── rerank ──────────────────────────────────────────────────────────────────────────────────

  private buildSide(text: string, media: MediaRef | null): RerankSide {
    const side: RerankSide = {};
    if (text.trim()) side.text = text;
    if (media) {
      const value = media.source === 'file' ? media.file! : media.url;
      if (media.kind === 'image') side.image = value;
      else side.video = value;
    }
    return side;
  }

  private releaseRun(run: Run | null): void {
    if (!run) return;
    for (const r of run.rows) if (r.media?.source === 'file') releaseUrl(r.media.url);
    if (run.request.query.media?.source === 'file') releaseUrl(run.request.query.media.url);
  }

  clearResults(): void {
    if (this.running) return;
    this.releaseRun(this.run);
    this.run = null;
  }

  async rerank(): Promise<void> {
    const c = this.client;
    if (!c || this.rerankBlockers.length || this.running) return;
    const s = this.settingsCheck;
    const id = ++this.runCounter;
    // Plain copies: the worker gets structured clones, and the run keeps what was asked even if the
    // candidates change meanwhile.
    const cands = this.candidates.map((x) => ({ id: x.id, text: x.text, media: x.media ? { ...x.media } : null }));
    const queryMedia = this.queryMedia ? { ...this.queryMedia } : null;
    for (const x of cands) if (x.media?.source === 'file') retainUrl(x.media.url);
    if (queryMedia?.source === 'file') retainUrl(queryMedia.url);
    this.releaseRun(this.run);
    const instruction = this.instruction.trim() ? this.instruction : DEFAULT_INSTRUCTION;
    this.run = {
      id,
      status: 'running',
      error: null,
      startedAt: performance.now(),
      finishedAt: null,
      rows: cands.map((x, index) => ({ index, id: x.id, text: x.text, media: x.media, state: 'pending', score: null, error: null, warnings: [], ms: null })),
      model: this.activeModel ? { ...this.activeModel } : null,
      backend: this.status?.backend ?? null,
      backendReason: this.status?.backendReason ?? '',
      request: { instruction, query: { text: this.queryText, media: queryMedia }, fps: s.fps!, maxFrames: s.maxFrames!, maxVideoSeconds: s.maxVideoSeconds! },
      candidatesVersion: this.candidatesVersion,
    };
    const request: RerankRequest = {
      instruction,
      query: this.buildSide(this.queryText, queryMedia),
      documents: cands.map((x) => this.buildSide(x.text, x.media)),
      fps: s.fps!,
      max_frames: s.maxFrames!,
    };
    this.announce(`Reranking ${plural(cands.length, 'candidate')}…`);
    this.startTicker();
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
      await this.refreshModelInfo();
      run.backend = this.status?.backend ?? run.backend;
      run.backendReason = this.status?.backendReason ?? run.backendReason;
      run.status = 'done';
      run.finishedAt = performance.now();
      const n = this.runCounts;
      this.announce(
        `Done: ${plural(n.scored, 'candidate')} scored${n.failed ? `, ${n.failed} failed` : ''}. Best: ${this.bestSummary()}.`,
      );
    } catch (err) {
      const run = this.run as Run | null;
      if (!run || run.id !== id || run.status !== 'running') return; // e.g. already failed by a worker restart
      run.finishedAt = performance.now();
      for (const r of run.rows) if (r.state === 'pending') r.state = 'cancelled';
      if (isAbortError(err)) {
        run.status = 'cancelled';
        this.announce(`Cancelled: ${plural(this.runCounts.scored, 'candidate')} had been scored.`);
      } else {
        run.status = 'failed';
        run.error = `Reranking failed: ${errorMessage(err)}`;
      }
    } finally {
      this.stopTicker();
    }
  }

  private bestSummary(): string {
    const best = this.sortedRows[0];
    if (!best || best.state !== 'scored') return 'none';
    const label = best.text ? `"${best.text.length > 40 ? `${best.text.slice(0, 39)}…` : best.text}"` : best.media?.name ?? `candidate ${best.index + 1}`;
    return `${label} with ${((best.score ?? 0) * 100).toFixed(1)}`;
  }

  async cancelRerank(): Promise<void> {
    await this.client?.cancel().catch(() => {});
  }

  private startTicker(): void {
    this.stopTicker();
    this.ticker = setInterval(() => (this.now = performance.now()), 250);
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
    this.now = performance.now();
  }

  exportResults(): ExportedResults | null {
    if (!this.run) return null;
    return buildExport($state.snapshot(this.run) as Run, this.sortedRows.map((r) => r.index), this.status);
  }
}

export const ui = new SiftUi();
