// The Library view's state: the folder (a kept directory handle, or files picked this visit), indexing
// it (progress, items/s, ETA; pause = stop keeping what is done, resume = index again, which embeds
// only what is left; cancel), what the index holds and what failed, the models it uses, a search
// (text and/or an image; results stream in the reranker's order) and the result opened in the player.
// One `Library` (src/lib/library.ts) does the work in its two workers; it is made on first use and
// made again when the models change.
import { Library, type LibraryResult, type LibraryStatus } from '../lib/library.ts';
import type { Backend, LibraryProgress, LibrarySummary, LoadProgress, ModelSource } from '../lib/types.ts';
import type { PickedFile } from '../media/browserLibrarySource.ts';
import type { Announcer } from './announcer.svelte.ts';
import type { VideoTools } from './videoTools.ts';
import { errorMessage, isAbortError, plural } from './format.ts';
import { droppedFolder } from './libraryDrop.ts';
import { createObjectUrl, releaseUrl } from './objectUrls.ts';
import { loadLibraryPrefs, saveLibraryPrefs, type LibraryPrefs } from './persist.ts';

export interface LibraryViewDeps {
  announcer: Announcer;
  /** Builds the Library (tests and the screenshot script may pass their own settings). */
  createLibrary?: (options: ConstructorParameters<typeof Library>[0]) => Library;
}

export type IndexState = 'idle' | 'running' | 'pausing' | 'paused' | 'cancelling' | 'cancelled' | 'done' | 'failed';
export type SearchState = 'idle' | 'running' | 'done' | 'cancelled' | 'failed';

/** One result card: a stored entry (a file, or a segment of a long video) as the grid shows it. */
export interface ResultCard {
  key: string;
  rank: number;
  path: string;
  name: string;
  kind: LibraryResult['kind'];
  start?: number;
  end?: number;
  similarity: number;
  score: number | null;
  /** An object URL of the stored thumbnail (released when the next search starts). */
  thumb: string | null;
  error: string | null;
}

export interface OpenedResult {
  card: ResultCard;
  /** The file and its object URL, once read. */
  file: File | null;
  url: string | null;
  error: string | null;
}

/** A manifest address as an absolute http(s) URL; throws a readable error otherwise. */
function manifestHref(raw: string): string {
  const href = URL.canParse(raw.trim(), document.baseURI) ? URL.parse(raw.trim(), document.baseURI)!.href : null;
  if (!href || !/^https?:/.test(href)) throw new Error(`"${raw}" is not a valid http(s) address of a manifest.json`);
  return href;
}

const keyOf = (r: { path: string; start?: number }) => `${r.path}@${r.start ?? ''}`;
/** Cards shown, and nearest entries the reranker rescores (all of them are shown, in its order). */
const SEARCH_TOP = 40;
const SEARCH_CANDIDATES = 40;

export class LibraryView {
  readonly #deps: LibraryViewDeps;
  #library: Library | null = null;
  #indexAbort: AbortController | null = null;
  #searchAbort: AbortController | null = null;
  #indexRun: Promise<void> | null = null;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping of object URLs, never shown
  #thumbs = new Map<string, string>();
  #activated = false;
  #statusAsked = 0;

  /** The models and backend (saved in localStorage); `apply()` makes a new Library with them. */
  prefs = $state<LibraryPrefs>(loadLibraryPrefs());
  /** The prefs the current Library was made with (a difference shows "Use these models"). */
  applied = $state.raw<LibraryPrefs>(loadLibraryPrefs());

  status = $state.raw<LibraryStatus | null>(null);
  /** Adding a folder, asking permission, loading models, clearing: a short busy text, or null. */
  busy = $state<string | null>(null);
  loadProgress = $state.raw<{ model: 'embedder' | 'reranker'; progress: LoadProgress } | null>(null);
  /** Why the last folder, status or clear action failed. */
  error = $state<string | null>(null);

  indexState = $state<IndexState>('idle');
  progress = $state.raw<LibraryProgress | null>(null);
  summary = $state.raw<LibrarySummary | null>(null);
  indexError = $state<string | null>(null);

  queryText = $state('');
  queryImage = $state.raw<{ file: File; url: string } | null>(null);
  searchState = $state<SearchState>('idle');
  results = $state.raw<ResultCard[]>([]);
  failedResults = $state.raw<ResultCard[]>([]);
  searchError = $state<string | null>(null);
  searchMs = $state<number | null>(null);

  opened = $state.raw<OpenedResult | null>(null);

  indexing = $derived(this.indexState === 'running' || this.indexState === 'pausing' || this.indexState === 'cancelling');
  searching = $derived(this.searchState === 'running');
  folder = $derived(this.status?.folder ?? null);
  /** Files that failed in the last indexing run, with why. */
  failures = $derived(this.summary?.failed ?? this.status?.failed ?? []);
  modelsChanged = $derived(JSON.stringify(this.prefs) !== JSON.stringify(this.applied));

  constructor(deps: LibraryViewDeps) {
    this.#deps = deps;
  }

  #announce(message: string): void {
    this.#deps.announcer.announce(message);
  }

  #lib(): Library {
    if (this.#library) return this.#library;
    const p = this.applied;
    const source = (choice: string, url: string, builtin: ModelSource): ModelSource | null =>
      choice === 'none' ? null : choice === 'manifest' ? { kind: 'manifest', url: manifestHref(url) } : builtin;
    const options = {
      embedder: source(p.embedder, p.embedderUrl, { kind: 'builtin-tiny-embed' }) ?? undefined,
      reranker: source(p.reranker, p.rerankerUrl, { kind: 'builtin-tiny' }),
      backend: p.backend === 'auto' ? undefined : (p.backend as Backend),
      onLoadProgress: (model: 'embedder' | 'reranker', progress: LoadProgress) => {
        this.loadProgress = progress.phase === 'ready' ? null : { model, progress };
      },
    };
    this.#library = this.#deps.createLibrary?.(options) ?? new Library(options);
    return this.#library;
  }

  /** The first time the view is shown: read what the index holds (no model is loaded for this). */
  activate(): void {
    if (this.#activated) return;
    this.#activated = true;
    void this.refreshStatus();
  }

  /** Reads the status again; an answer that arrives after a later request's is dropped (it would be stale). */
  async refreshStatus(checkModel = false): Promise<void> {
    const asked = ++this.#statusAsked;
    try {
      const status = await this.#lib().status({ checkModel });
      if (asked === this.#statusAsked) this.status = status;
    } catch (err) {
      if (asked === this.#statusAsked) this.error = `Could not read the library: ${errorMessage(err)}`;
    } finally {
      this.loadProgress = null;
    }
  }

  async #setFolder(what: string, add: (lib: Library) => Promise<unknown>): Promise<void> {
    if (this.indexing) return;
    this.error = null;
    this.busy = what;
    try {
      await add(this.#lib());
      await this.refreshStatus();
    } catch (err) {
      this.busy = null;
      if (!isAbortError(err)) this.error = `Could not add the folder: ${errorMessage(err)}`;
      return;
    }
    this.busy = null;
    this.#announce(`Folder "${this.folder?.name ?? ''}" added. Indexing starts.`);
    await this.startIndex();
  }

  /** "Choose folder" where the browser has showDirectoryPicker: the handle is kept for later visits. */
  chooseDirectory(): Promise<void> {
    const picker = (window as unknown as { showDirectoryPicker?: (o: object) => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
    if (!picker) return Promise.resolve();
    return this.#setFolder('Opening the folder…', async (lib) =>
      lib.addFolder(await picker.call(window, { id: 'sift-library', mode: 'read' })),
    );
  }

  /** A folder picked with a folder input (files with their relative paths; this visit only). */
  addFiles(files: File[] | PickedFile[]): Promise<void> {
    if (!files.length) return Promise.resolve();
    return this.#setFolder('Reading the folder…', (lib) => lib.addFolder(files));
  }

  /** A folder (or files) dropped on the view. */
  addDropped(dt: DataTransfer): Promise<void> {
    const dropped = droppedFolder(dt);
    return this.#setFolder('Reading the dropped folder…', async (lib) => {
      const d = await dropped;
      if (!d) throw new Error('nothing readable was dropped: drop a folder');
      return lib.addFolder('handle' in d ? d.handle : d.files);
    });
  }

  /** "Re-open <name>": asks for read access to the kept folder again (from the click), then indexes what changed. */
  async reopen(): Promise<void> {
    this.error = null;
    try {
      await this.#lib().reopenFolder();
      await this.refreshStatus();
    } catch (err) {
      this.error = `Could not re-open the folder: ${errorMessage(err)}`;
      return;
    }
    if (this.folder?.access === 'ready') await this.startIndex();
    else this.error = `Read access to "${this.folder?.name}" was not granted.`;
  }

  /** Indexes the folder (only new and changed files); `reindex` drops the index first (after a model change). */
  startIndex(reindex = false): Promise<void> {
    if (this.indexing) return this.#indexRun ?? Promise.resolve();
    this.#indexRun = this.#index(reindex);
    return this.#indexRun;
  }

  async #index(reindex: boolean): Promise<void> {
    const abort = new AbortController();
    this.#indexAbort = abort;
    const resumed = this.indexState === 'paused';
    this.indexState = 'running';
    this.indexError = null;
    this.summary = null;
    this.progress = null;
    this.#announce(resumed ? 'Indexing resumed.' : reindex ? 'Re-indexing the library…' : 'Indexing…');
    try {
      const summary = await this.#lib().index({
        reindex,
        signal: abort.signal,
        onProgress: (p) => {
          if (this.#indexAbort === abort) this.progress = p;
        },
      });
      this.summary = summary;
      this.indexState = 'done';
      const failed = summary.failed.length ? ` ${plural(summary.failed.length, 'file')} could not be indexed.` : '';
      this.#announce(
        `Indexing done: ${plural(summary.items, 'item')} in the library (${summary.added} added, ${summary.updated} updated, ${summary.removed} removed).${failed}`,
      );
    } catch (err) {
      if (abort.signal.aborted) {
        const paused = (this.indexState as IndexState) === 'pausing';
        this.indexState = paused ? 'paused' : 'cancelled';
        this.#announce(paused ? 'Indexing paused. What was indexed is kept.' : 'Indexing cancelled. What was indexed is kept.');
      } else {
        this.indexState = 'failed';
        this.indexError = `Indexing failed: ${errorMessage(err)}`;
        this.#announce(this.indexError);
      }
    } finally {
      if (this.#indexAbort === abort) this.#indexAbort = null;
      this.loadProgress = null;
      await this.refreshStatus();
    }
  }

  /** Stops indexing, keeping what is done; resume() indexes the rest. */
  pause(): void {
    if (this.indexState !== 'running') return;
    this.indexState = 'pausing';
    this.#indexAbort?.abort();
  }

  resume(): Promise<void> {
    return this.startIndex();
  }

  cancelIndex(): void {
    if (this.indexState === 'paused') {
      this.indexState = 'cancelled';
      this.#announce('Indexing cancelled. What was indexed is kept.');
      return;
    }
    if (this.indexState !== 'running' && this.indexState !== 'pausing') return;
    this.indexState = 'cancelling';
    this.#indexAbort?.abort();
  }

  /** Makes a new Library with the chosen models; its status says whether the index must be rebuilt. */
  async applyModels(): Promise<void> {
    if (this.indexing || this.searching) return;
    saveLibraryPrefs($state.snapshot(this.prefs) as LibraryPrefs);
    this.applied = $state.snapshot(this.prefs) as LibraryPrefs;
    const old = this.#library;
    this.#library = null;
    void old?.terminate().catch(() => {});
    this.busy = 'Loading the embedding model…';
    this.error = null;
    await this.refreshStatus(true);
    this.busy = null;
    this.#announce(
      this.status?.needsReindex ? 'The library was built with another model: re-index it to search with this one.' : 'Models changed.',
    );
  }

  /** Deletes the index and forgets the folder (the view asks first). */
  async clear(): Promise<void> {
    this.cancelIndex();
    this.#searchAbort?.abort();
    await this.#indexRun;
    this.busy = 'Clearing the library…';
    try {
      await this.#lib().clear({ forgetFolder: true });
      this.#clearResults();
      this.summary = null;
      this.progress = null;
      this.indexState = 'idle';
      this.searchState = 'idle';
      await this.refreshStatus();
      this.#announce('The library was cleared.');
    } catch (err) {
      this.error = `Could not clear the library: ${errorMessage(err)}`;
    } finally {
      this.busy = null;
    }
  }

  setQueryImage(file: File | null): void {
    if (this.queryImage) releaseUrl(this.queryImage.url);
    this.queryImage = file ? { file, url: createObjectUrl(file) } : null;
  }

  #card(r: LibraryResult): ResultCard {
    const key = keyOf(r);
    let thumb = this.#thumbs.get(key) ?? null;
    if (!thumb && r.thumbnail) {
      thumb = createObjectUrl(r.thumbnail);
      this.#thumbs.set(key, thumb);
    }
    return {
      key,
      rank: r.rank,
      path: r.path,
      name: r.path.split('/').pop() ?? r.path,
      kind: r.kind,
      ...(r.start !== undefined ? { start: r.start, end: r.end } : {}),
      similarity: r.similarity,
      score: r.score,
      thumb,
      error: r.error?.message ?? null,
    };
  }

  #clearResults(): void {
    for (const url of this.#thumbs.values()) releaseUrl(url);
    this.#thumbs.clear();
    this.results = [];
    this.failedResults = [];
    this.searchMs = null;
  }

  /** Searches (Enter in the search box): results stream in the reranker's order as they are scored. */
  async search(): Promise<void> {
    const text = this.queryText.trim();
    const image = this.queryImage?.file;
    if (!text && !image) {
      this.searchError = 'Type what you are looking for (or add a query image).';
      return;
    }
    this.#searchAbort?.abort();
    const abort = new AbortController();
    this.#searchAbort = abort;
    this.#clearResults();
    this.searchError = null;
    this.searchState = 'running';
    const started = performance.now();
    this.#announce('Searching…');
    try {
      const out = await this.#lib().search(
        { ...(text ? { text } : {}), ...(image ? { image } : {}) },
        {
          top: SEARCH_TOP,
          candidates: SEARCH_CANDIDATES,
          signal: abort.signal,
          onResult: (r, ranking) => {
            if (this.#searchAbort !== abort) return;
            if (r.error) this.failedResults = [...this.failedResults, this.#card(r)];
            else this.results = ranking.slice(0, SEARCH_TOP).map((x) => this.#card(x));
          },
        },
      );
      if (this.#searchAbort !== abort) return;
      this.results = out.results.map((x) => this.#card(x));
      this.failedResults = out.failed.map((x) => this.#card(x));
      this.searchMs = performance.now() - started;
      this.searchState = 'done';
      const failed = out.failed.length ? ` ${plural(out.failed.length, 'file')} could not be read.` : '';
      this.#announce(`${plural(out.results.length, 'result')}, best first.${failed}`);
    } catch (err) {
      if (this.#searchAbort !== abort) return;
      if (abort.signal.aborted || isAbortError(err)) {
        this.searchState = 'cancelled';
        this.#announce('Search cancelled.');
      } else {
        this.searchState = 'failed';
        this.searchError = `The search failed: ${errorMessage(err)}`;
        this.#announce(this.searchError);
      }
    } finally {
      if (this.#searchAbort === abort) this.#searchAbort = null;
      this.loadProgress = null;
    }
  }

  cancelSearch(): void {
    this.#searchAbort?.abort();
  }

  /** Opens a result: its file is read from the folder (a video then plays from its segment's start). */
  async open(card: ResultCard): Promise<void> {
    this.close();
    const opened: OpenedResult = { card, file: null, url: null, error: null };
    this.opened = opened;
    try {
      const file = await this.#lib().file(card.path);
      if (this.opened !== opened) return;
      this.opened = { ...opened, file, url: createObjectUrl(file) };
    } catch (err) {
      if (this.opened === opened) this.opened = { ...opened, error: `Could not open ${card.path}: ${errorMessage(err)}` };
    }
  }

  /** The library's reranker as tools for the folder's video at `path`; null when the library has none. */
  videoTools(path: string): VideoTools | null {
    if (this.applied.reranker === 'none') return null;
    const lib = this.#lib();
    let abort = new AbortController();
    const fresh = () => (abort.signal.aborted ? (abort = new AbortController()) : abort).signal;
    return {
      label: "the library's reranker",
      moments: (query, options) => lib.moments(query, path, { ...options, signal: fresh() }),
      coverFrames: (title, options) => lib.coverFrames(title, path, { ...options, signal: fresh() }),
      cancel: async () => abort.abort(),
    };
  }

  close(): void {
    if (this.opened?.url) releaseUrl(this.opened.url);
    this.opened = null;
  }
}
