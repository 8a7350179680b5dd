// The model worker and the model in it: attaching a worker client, restarting a worker that stopped,
// asking it for its state, and loading, cancelling and deleting models. What goes to the worker is
// a $state.snapshot: a $state proxy cannot be structured-cloned into a worker.
import type { Backend, ModelSource } from '../lib/types.ts';
import { createClient, type SiftClient } from '../lib/workerClient.ts';
import { errorMessage, formatBytes, formatSeconds, isAbortError } from './format.ts';
import { forgetModelSource, loadModelSources, rememberModelSource } from './persist.ts';
import { failRunningRun } from './rerankRun.svelte.ts';
import type { SiftUi } from './state.svelte.ts';
import { OFFICIAL_2B } from './stateTypes.ts';
import { isBuiltinTiny, modelNameWithDetail } from './modelNames.ts';

export async function attach(ui: SiftUi, client: SiftClient): Promise<void> {
  ui.client = client;
  let started = false;
  client.onFatal((m) => {
    if (ui.client !== client) return;
    if (started) void restartWorker(ui, m);
    else {
      ui.fatal = m;
      ui.loading = false;
    }
  });
  await refreshModelInfo(ui);
  started = !ui.fatal;
}

/**
 * The worker stopped after it had started (killed, crashed): fail what was running with the reason,
 * start a new worker and reload the model from this browser's storage. Gives up after 3 restarts in
 * a minute, so a worker that dies at once does not loop.
 */
async function restartWorker(ui: SiftUi, reason: string): Promise<void> {
  const now = Date.now();
  ui.restarts = ui.restarts.filter((t) => now - t < 60_000);
  failRunningRun(ui, `The model worker stopped while scoring (${reason}). It has been restarted: press Rerank to try again.`);
  ui.loading = false;
  ui.activeModel = null;
  if (ui.restarts.length >= 3) {
    ui.fatal = `The model worker keeps stopping (${reason}). Reload the page.`;
    return;
  }
  ui.restarts.push(now);
  ui.announce('The model worker stopped and is being restarted.');
  try {
    await attach(ui, await createClient());
    if (ui.lastSource) await load(ui, ui.lastSource, ui.lastBackend);
  } catch (err) {
    ui.fatal = `The model worker stopped (${reason}) and could not be restarted: ${errorMessage(err)}. Reload the page.`;
  }
}

export function failToStart(ui: SiftUi, err: unknown): void {
  ui.fatal = `The model worker could not be created: ${errorMessage(err)}`;
}

/** status(), listModels() and storageEstimate(): none of them downloads or compiles anything. */
export async function refreshModelInfo(ui: SiftUi): Promise<void> {
  const c = ui.client;
  if (!c) return;
  try {
    const [status, models, storage] = await Promise.all([c.status(), c.listModels(), c.storageEstimate().catch(() => null)]);
    ui.status = status;
    ui.activeModel = status.model;
    ui.cached = models;
    ui.storage = storage;
  } catch (err) {
    if (!ui.fatal) ui.modelActionError = `Could not ask the worker for its state: ${errorMessage(err)}`;
  }
}

/** The source the Model panel's current choice means, or an error message. */
export function selectedSource(ui: SiftUi): { source: ModelSource } | { error: string } {
  if (ui.modelChoice === 'tiny') return { source: { kind: 'builtin-tiny' } };
  if (ui.modelChoice === 'official') return { source: { kind: 'checkpoint', url: OFFICIAL_2B.url, id: OFFICIAL_2B.id, bits: ui.bits } };
  const raw = ui.manifestUrl.trim();
  if (!raw) return { error: "Enter the address of a converted model's manifest.json." };
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local value, never state
  const url = URL.canParse(raw, document.baseURI) ? new URL(raw, document.baseURI) : null;
  if (!url) return { error: `"${raw}" is not a valid address.` };
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { error: 'The manifest address must start with http:// or https://.' };
  return { source: { kind: 'manifest', url: url.href } };
}

/** Loads `source` (by default the Model panel's choice), reporting progress into ui.progress. */
export async function load(ui: SiftUi, source?: ModelSource, backend?: Backend): Promise<void> {
  const c = ui.client;
  if (!c || ui.loading) return;
  let src = source;
  if (!src) {
    const sel = selectedSource(ui);
    if ('error' in sel) {
      ui.loadError = sel.error;
      return;
    }
    src = sel.source;
  }
  ui.loading = true;
  ui.loadError = null;
  ui.loadedNote = null;
  ui.modelActionError = null;
  ui.loadStartedAt = performance.now();
  ui.progress = { phase: 'manifest', done: 0, total: 0 };
  ui.announce('Loading the model…');
  const prefer = backend ?? (ui.backendPref === 'auto' ? undefined : ui.backendPref);
  try {
    // A block body: an assignment expression as the arrow's value makes Svelte warn (assignment_value_stale).
    const info = await c.load(
      $state.snapshot(src) as ModelSource,
      (p) => {
        ui.progress = p;
      },
      prefer,
    );
    rememberModelSource(info.id, $state.snapshot(src) as ModelSource);
    ui.lastSource = $state.snapshot(src) as ModelSource;
    ui.lastBackend = prefer;
    const secs = (performance.now() - ui.loadStartedAt) / 1000;
    ui.loadedNote = `${modelNameWithDetail(info)} is ready (${formatBytes(info.bytes)}, loaded in ${formatSeconds(secs)}).`;
    ui.announce(ui.loadedNote);
  } catch (err) {
    if (isAbortError(err)) {
      ui.announce('Loading cancelled.');
      ui.loadedNote = 'Loading was cancelled. Pressing "Load model" again resumes where it stopped.';
    } else {
      ui.loadError = `Could not load the model: ${errorMessage(err)}`;
    }
  } finally {
    ui.loading = false;
    ui.progress = null;
    await refreshModelInfo(ui);
  }
}

export async function cancelLoad(ui: SiftUi): Promise<void> {
  await ui.client?.cancel().catch(() => {});
}

/** Where a cached model came from (to load it again), or null if this browser does not remember. */
export function sourceForCached(id: string): ModelSource | null {
  if (isBuiltinTiny(id)) return { kind: 'builtin-tiny' };
  return loadModelSources()[id] ?? null;
}

/** Deletes a cached model; when it is the one loaded, the worker lets it go and the panel says so. */
export async function deleteModel(ui: SiftUi, id: string): Promise<void> {
  const c = ui.client;
  if (!c) return;
  ui.modelActionError = null;
  const info = ui.cached.find((m) => m.id === id);
  const what = info ? `${modelNameWithDetail(info)}, ${formatBytes(info.bytes)}` : id;
  const wasActive = ui.activeModel?.id === id;
  try {
    await c.deleteModel(id);
    forgetModelSource(id);
    if (wasActive) {
      ui.activeModel = null;
      // A worker restart must not bring back the model the user deleted.
      ui.lastSource = null;
      ui.loadedNote = `Deleted ${what} from this browser. No model is loaded now: load one to rerank.`;
      ui.announce(ui.loadedNote);
    } else {
      ui.announce(`Deleted ${what} from this browser.`);
    }
  } catch (err) {
    ui.modelActionError = `Could not delete ${what}: ${errorMessage(err)}`;
  }
  await refreshModelInfo(ui);
}
