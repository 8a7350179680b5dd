// The one door to the model worker (used by the app and by the Reranker class). It starts workers/sift.worker.ts as a module worker and wraps
// it with comlink; callbacks are passed with Comlink.proxy here so the panels pass plain functions.
// If the worker cannot start (its script fails to load), every pending and later call rejects with a
// clear message instead of hanging.
import * as Comlink from 'comlink';
import type { SiftWorkerApi } from './types.ts';
import { registerErrorTransport } from '../../workers/errorTransport.ts';
import { rebuildError, WorkerError } from './errors.ts';

/** The worker's API as the page calls it, plus what only the page's side can do. */
export interface SiftClient extends SiftWorkerApi {
  /** `cb` runs once if the worker could not start or died; calls reject from then on. */
  onFatal(cb: (message: string) => void): void;
  /** Stops the worker; every pending and later call rejects with `reason`. */
  terminate(reason?: string): void;
}

/** Starts the Sift worker (or wraps one the caller started) and returns its client. */
export async function createClient(worker?: Worker): Promise<SiftClient> {
  return wrap(worker ?? new Worker(new URL('../../workers/sift.worker.ts', import.meta.url), { type: 'module', name: 'sift' }));
}

function wrap(worker: Worker): SiftClient {
  // Errors thrown in the worker arrive as the same classes, their codes kept.
  registerErrorTransport(rebuildError);
  const remote = Comlink.wrap<SiftWorkerApi>(worker);
  let fatal: string | null = null;
  let answered = false;
  const fatalListeners: ((m: string) => void)[] = [];
  let rejectDead: (e: Error) => void = () => {};
  const dead = new Promise<never>((_, reject) => (rejectDead = reject));
  dead.catch(() => {});

  const die = (message: string) => {
    if (fatal) return;
    fatal = message;
    rejectDead(new WorkerError(message));
    for (const cb of fatalListeners) cb(message);
  };

  {
    worker.addEventListener('error', (e) => {
      // An error before the worker ever answered means its script did not load or threw at start-up.
      if (answered) {
        console.error('Sift worker error:', e.message || e);
        return;
      }
      e.preventDefault();
      die(
        `The model worker failed to start${e.message ? ` (${e.message})` : ''}. Reload the page; if this keeps happening, ` +
          'this browser may not support module workers (use a current Chrome, Edge, Firefox or Safari).',
      );
    });
    worker.addEventListener('messageerror', () => console.error('Sift worker: a message could not be deserialized'));
  }

  async function call<T>(run: () => Promise<T>): Promise<T> {
    if (fatal) throw new WorkerError(fatal);
    const value = await Promise.race([run(), dead]);
    answered = true;
    return value;
  }

  return {
    configure: (options) => call(() => remote.configure(options)),
    status: () => call(() => remote.status()),
    listModels: () => call(() => remote.listModels()),
    deleteModel: (id) => call(() => remote.deleteModel(id)),
    storageEstimate: () => call(() => remote.storageEstimate()),
    load: (source, onProgress, prefer) => call(() => remote.load(source, onProgress ? Comlink.proxy(onProgress) : undefined, prefer)),
    rerank: (request, onScore, options) => call(() => remote.rerank(request, onScore ? Comlink.proxy(onScore) : undefined, options)),
    embed: (request, onEmbedding, options) =>
      call(() => remote.embed(request, onEmbedding ? Comlink.proxy(onEmbedding) : undefined, options)),
    indexLibrary: (folder, onProgress, settings) =>
      call(() => remote.indexLibrary(folder, onProgress ? Comlink.proxy(onProgress) : undefined, settings)),
    searchLibrary: (query, k, options) => call(() => remote.searchLibrary(query, k, options)),
    libraryStatus: (name) => call(() => remote.libraryStatus(name)),
    clearLibrary: (name) => call(() => remote.clearLibrary(name)),
    moments: (request, onWindow, options) => call(() => remote.moments(request, onWindow ? Comlink.proxy(onWindow) : undefined, options)),
    coverFrames: (title, video, options, onFrame) =>
      call(() => remote.coverFrames(title, video, options, onFrame ? Comlink.proxy(onFrame) : undefined)),
    cancel: () => call(() => remote.cancel()),
    terminate(reason = 'The Sift worker was terminated.') {
      worker.terminate();
      die(reason);
    },
    debugLoseGpuDevice: () => call(() => remote.debugLoseGpuDevice()),
    diagnostics: () => call(() => remote.diagnostics()),
    onFatal(cb) {
      fatalListeners.push(cb);
      if (fatal) cb(fatal);
    },
  };
}
