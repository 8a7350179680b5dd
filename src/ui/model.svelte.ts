// The model worker and the model in it: attaching a worker client, restarting a worker that stopped,
// asking it for its state, and loading, cancelling and deleting models, with the Model panel's choice.
// What goes to the worker is a $state.snapshot: a $state proxy cannot be structured-cloned into a worker.
import type { Backend, LoadProgress, ModelInfo, ModelSource, WorkerStatus } from '../lib/types.ts';
import { createClient, type SiftClient } from '../lib/workerClient.ts';
import type { Announcer } from './announcer.svelte.ts';
import { errorMessage, formatBytes, formatSeconds, isAbortError } from './format.ts';
import { isBuiltinTiny, modelNameWithDetail } from './modelNames.ts';
import { forgetModelSource, loadModelSources, rememberModelSource, type BackendPreference, type ModelChoice } from './persist.ts';
import { OFFICIAL_2B } from './stateTypes.ts';

export interface ModelDeps {
  announcer: Announcer;
  /** The worker stopped after it had started (it is being restarted): what it was doing has failed. */
  onWorkerLost: (reason: string) => void;
}

export class ModelState {
  readonly #deps: ModelDeps;

  client = $state.raw<SiftClient | null>(null);
  /** Why the worker cannot run at all (the page must be reloaded), or null. */
  fatal = $state<string | null>(null);

  // The Model panel's choice.
  choice = $state<ModelChoice>('tiny');
  manifestUrl = $state('');
  bits = $state<4 | 8 | 32>(4);
  backendPref = $state<BackendPreference>('auto');

  loading = $state(false);
  progress = $state<LoadProgress | null>(null);
  loadError = $state<string | null>(null);
  loadedNote = $state<string | null>(null);
  /** Why the last delete or state query failed, or null. */
  actionError = $state<string | null>(null);

  // What the worker says.
  active = $state<ModelInfo | null>(null);
  status = $state<WorkerStatus | null>(null);
  cached = $state<ModelInfo[]>([]);
  storage = $state<{ usage: number; quota: number; persisted: boolean } | null>(null);

  /** Whether a model is loaded and can score. */
  ready = $derived(!!this.active && this.active.state === 'ready');

  /** When the worker was restarted lately (it gives up after 3 in a minute). */
  #restarts: number[] = [];
  /** The source of the model loaded last, to reload it (from IndexedDB) after a worker restart. */
  #lastSource: ModelSource | null = null;
  #lastBackend: Backend | undefined;

  constructor(deps: ModelDeps) {
    this.#deps = deps;
  }

  async attach(client: SiftClient): Promise<void> {
    this.client = client;
    let started = false;
    client.onFatal((m) => {
      if (this.client !== client) return;
      if (started) void this.#restartWorker(m);
      else {
        this.fatal = m;
        this.loading = false;
      }
    });
    await this.refreshInfo();
    started = !this.fatal;
  }

  /**
   * The worker stopped after it had started (killed, crashed): fail what was running with the reason,
   * start a new worker and reload the model from this browser's storage. Gives up after 3 restarts in
   * a minute, so a worker that dies at once does not loop.
   */
  async #restartWorker(reason: string): Promise<void> {
    const now = Date.now();
    this.#restarts = this.#restarts.filter((t) => now - t < 60_000);
    this.#deps.onWorkerLost(reason);
    this.loading = false;
    this.active = null;
    if (this.#restarts.length >= 3) {
      this.fatal = `The model worker keeps stopping (${reason}). Reload the page.`;
      return;
    }
    this.#restarts.push(now);
    this.#deps.announcer.announce('The model worker stopped and is being restarted.');
    try {
      await this.attach(await createClient());
      if (this.#lastSource) await this.load(this.#lastSource, this.#lastBackend);
    } catch (err) {
      this.fatal = `The model worker stopped (${reason}) and could not be restarted: ${errorMessage(err)}. Reload the page.`;
    }
  }

  failToStart(err: unknown): void {
    this.fatal = `The model worker could not be created: ${errorMessage(err)}`;
  }

  /** status(), listModels() and storageEstimate(): none of them downloads or compiles anything. */
  async refreshInfo(): Promise<void> {
    const c = this.client;
    if (!c) return;
    try {
      const [status, models, storage] = await Promise.all([c.status(), c.listModels(), c.storageEstimate().catch(() => null)]);
      this.status = status;
      this.active = status.model;
      this.cached = models;
      this.storage = storage;
    } catch (err) {
      if (!this.fatal) this.actionError = `Could not ask the worker for its state: ${errorMessage(err)}`;
    }
  }

  /** The source the Model panel's current choice means, or an error message. */
  selectedSource(): { source: ModelSource } | { error: string } {
    if (this.choice === 'tiny') return { source: { kind: 'builtin-tiny' } };
    if (this.choice === 'official') return { source: { kind: 'checkpoint', url: OFFICIAL_2B.url, id: OFFICIAL_2B.id, bits: this.bits } };
    const raw = this.manifestUrl.trim();
    if (!raw) return { error: "Enter the address of a converted model's manifest.json." };
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local value, never state
    const url = URL.canParse(raw, document.baseURI) ? new URL(raw, document.baseURI) : null;
    if (!url) return { error: `"${raw}" is not a valid address.` };
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return { error: 'The manifest address must start with http:// or https://.' };
    return { source: { kind: 'manifest', url: url.href } };
  }

  /** Loads `source` (by default the Model panel's choice), reporting progress into `progress`. */
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
    const announce = (m: string) => this.#deps.announcer.announce(m);
    this.loading = true;
    this.loadError = null;
    this.loadedNote = null;
    this.actionError = null;
    const startedAt = performance.now();
    this.progress = { phase: 'manifest', done: 0, total: 0 };
    announce('Loading the model…');
    const prefer = backend ?? (this.backendPref === 'auto' ? undefined : this.backendPref);
    try {
      // A block body: an assignment expression as the arrow's value makes Svelte warn (assignment_value_stale).
      const info = await c.load(
        $state.snapshot(src) as ModelSource,
        (p) => {
          this.progress = p;
        },
        prefer,
      );
      rememberModelSource(info.id, $state.snapshot(src) as ModelSource);
      this.#lastSource = $state.snapshot(src) as ModelSource;
      this.#lastBackend = prefer;
      const secs = (performance.now() - startedAt) / 1000;
      this.loadedNote = `${modelNameWithDetail(info)} is ready (${formatBytes(info.bytes)}, loaded in ${formatSeconds(secs)}).`;
      announce(this.loadedNote);
    } catch (err) {
      if (isAbortError(err)) {
        announce('Loading cancelled.');
        this.loadedNote = 'Loading was cancelled. Pressing "Load model" again resumes where it stopped.';
      } else {
        this.loadError = `Could not load the model: ${errorMessage(err)}`;
      }
    } finally {
      this.loading = false;
      this.progress = null;
      await this.refreshInfo();
    }
  }

  async cancelLoad(): Promise<void> {
    await this.client?.cancel().catch(() => {});
  }

  /** Where a cached model came from (to load it again), or null if this browser does not remember. */
  sourceForCached(id: string): ModelSource | null {
    if (isBuiltinTiny(id)) return { kind: 'builtin-tiny' };
    return loadModelSources()[id] ?? null;
  }

  /** Deletes a cached model; when it is the one loaded, the worker lets it go and the panel says so. */
  async deleteModel(id: string): Promise<void> {
    const c = this.client;
    if (!c) return;
    this.actionError = null;
    const info = this.cached.find((m) => m.id === id);
    const what = info ? `${modelNameWithDetail(info)}, ${formatBytes(info.bytes)}` : id;
    const wasActive = this.active?.id === id;
    try {
      await c.deleteModel(id);
      forgetModelSource(id);
      if (wasActive) {
        this.active = null;
        // A worker restart must not bring back the model the user deleted.
        this.#lastSource = null;
        this.loadedNote = `Deleted ${what} from this browser. No model is loaded now: load one to rerank.`;
        this.#deps.announcer.announce(this.loadedNote);
      } else {
        this.#deps.announcer.announce(`Deleted ${what} from this browser.`);
      }
    } catch (err) {
      this.actionError = `Could not delete ${what}: ${errorMessage(err)}`;
    }
    await this.refreshInfo();
  }
}
