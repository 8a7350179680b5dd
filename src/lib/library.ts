// `new Library({ embedder, reranker })`: search your own folder. Indexing embeds every image, video
// (long ones by overlapping segments) and text of the folder with Qwen3-VL-Embedding into IndexedDB,
// incrementally (only new and changed files; a stopped run resumes where it was). A search embeds the
// query, takes the K nearest entries (exact cosine), and Qwen3-VL-Reranker rescores and orders them.
// The two models run in two workers (each its own wasm heap), started and loaded on first use.
import { browserLibrarySource } from '../media/browserLibrarySource.ts';
import { IdbLibraryStore } from '../store/libraryDb.ts';
import { LibraryFolderKeeper, type FolderInput, type LibraryFolderState } from './libraryFolder.ts';
import { SiftError } from './errors.ts';
import type { CoverFramesOptions, MomentsOptions } from './moments.ts';
import { absoluteSource, Reranker } from './reranker.ts';
import type {
  Backend,
  EmbedInput,
  LibraryHit,
  LibraryIndexSettings,
  LibraryInfo,
  LibraryKind,
  LibraryProgress,
  LibrarySummary,
  CoverResult,
  LoadProgress,
  ModelInfo,
  MomentsResult,
  ModelSource,
  RerankOptions,
  RerankSide,
} from './types.ts';
import { createClient, type SiftClient } from './workerClient.ts';

export type { FolderInput, LibraryFolderState };

export interface LibraryOptions {
  /** Each library has its own index (IndexedDB database `sift-library-<name>`); default 'default'. */
  name?: string;
  /** The embedding model (default the built-in tiny one: random weights, for trying things out). */
  embedder?: ModelSource;
  /** The reranker (default the built-in tiny one); null: results in similarity order, not reranked. */
  reranker?: ModelSource | null;
  backend?: Backend;
  /** Where `ort/` and `models/` are served (see RerankerOptions.assetsUrl). */
  assetsUrl?: string | URL;
  /** How the index is built (instruction, dims, format, segment length); a change asks for a re-index. */
  settings?: Omit<LibraryIndexSettings, 'name'>;
  onLoadProgress?: (model: 'embedder' | 'reranker', p: LoadProgress) => void;
}

export interface LibraryResult {
  /** 1-based place in the ranking (0 for a failed candidate). */
  rank: number;
  path: string;
  kind: LibraryKind;
  caption?: string;
  /** The segment's window (seconds), for a long video indexed by segments. */
  start?: number;
  end?: number;
  duration?: number;
  /** Cosine similarity of the entry to the query (what found it). */
  similarity: number;
  /** The reranker's relevance in [0, 1] (what orders it); null when not reranked or failed. */
  score: number | null;
  thumbnail?: Blob;
  /** Why this candidate could not be scored (an unreadable or changed file, a decode failure). */
  error?: { code: string; message: string };
}

export interface LibrarySearchOptions {
  /** Results returned (default 20). */
  top?: number;
  /** Nearest entries the reranker rescores (default max(top, 50)). */
  candidates?: number;
  /** The query's instruction (embedding and reranking); defaults as `sift search`. */
  instruction?: string;
  /** Each candidate as it is scored (or fails), with the ranking so far (best first). */
  onResult?: (result: LibraryResult, ranking: LibraryResult[]) => void;
  signal?: AbortSignal;
  rerankOptions?: RerankOptions;
}

export interface LibrarySearchResults {
  /** Best first: by the reranker's score (then similarity), or by similarity without a reranker. */
  results: LibraryResult[];
  /** Candidates that could not be scored, with why. */
  failed: LibraryResult[];
}

export interface LibraryStatus extends Omit<LibraryInfo, 'needsReindex'> {
  folder: LibraryFolderState | null;
  /** The embedding model's info once loaded. */
  embedder: ModelInfo | null;
  /** True when the index was built with another embedding model or settings; null until the embedder is loaded. */
  needsReindex: boolean | null;
}

const abortError = () => new DOMException('the search was cancelled', 'AbortError');

export class Library {
  readonly name: string;
  private store: Promise<IdbLibraryStore> | null = null;
  private folderKeeper: LibraryFolderKeeper;
  private embedClient: Promise<SiftClient> | null = null;
  private embedInfo: Promise<ModelInfo> | null = null;
  private reranker: Reranker | null = null;

  constructor(private options: LibraryOptions = {}) {
    this.name = options.name ?? 'default';
    this.folderKeeper = new LibraryFolderKeeper(() => (this.store ??= IdbLibraryStore.open(this.name)));
  }

  /** Sets the library's folder: a directory handle (kept for later visits) or picked files (this visit only). */
  addFolder(folder: FolderInput): Promise<LibraryFolderState> {
    return this.folderKeeper.set(folder);
  }

  /** The folder, and whether it can be read now (see LibraryFolderState.access). */
  folder(): Promise<LibraryFolderState | null> {
    return this.folderKeeper.state();
  }

  /** Asks for read access to the kept directory handle again; call it from a user gesture. */
  reopenFolder(): Promise<LibraryFolderState | null> {
    return this.folderKeeper.reopen();
  }

  /** One file of the folder by its path (e.g. to play a video result from its segment's start). */
  async file(path: string): Promise<File> {
    const got = (await this.folderKeeper.filesAt([path])).get(path);
    if (!got || got instanceof Error) throw new SiftError('unreadable', `${path}: ${got?.message ?? 'not found'}`);
    return got;
  }

  /** The embedding model's worker, started and its model loaded on first use. */
  private async embedder(): Promise<SiftClient> {
    this.embedClient ??= createClient().then(async (c) => {
      const assetsUrl = this.options.assetsUrl ?? (typeof document === 'undefined' ? undefined : new URL('./', document.baseURI));
      if (assetsUrl !== undefined) await c.configure({ assetsUrl: String(assetsUrl) });
      return c;
    });
    const client = await this.embedClient;
    this.embedInfo ??= client.load(
      absoluteSource(this.options.embedder ?? { kind: 'builtin-tiny-embed' }),
      this.options.onLoadProgress ? (p) => this.options.onLoadProgress!('embedder', p) : undefined,
      this.options.backend,
    );
    this.embedInfo.catch(() => (this.embedInfo = null)); // a failed load can be retried
    await this.embedInfo;
    return client;
  }

  private rerankerOf(): Reranker | null {
    if (this.options.reranker === null) return null;
    this.reranker ??= new Reranker({
      model: this.options.reranker ?? { kind: 'builtin-tiny' },
      backend: this.options.backend,
      assetsUrl: this.options.assetsUrl,
      onProgress: this.options.onLoadProgress ? (p) => this.options.onLoadProgress!('reranker', p) : undefined,
    });
    return this.reranker;
  }

  /** The reranker, or a clear error for a library made without one (moments and covers need it). */
  private rerankerFor(call: string): Reranker {
    const r = this.rerankerOf();
    if (!r) throw new SiftError('no-model', `${call} needs a reranker, and this library was made with reranker: null`);
    return r;
  }

  /**
   * Moments of the folder's video at `path` (see Reranker.moments), run by the library's reranker.
   * `signal` stops it (the reranker's cancel(); indexing in the other worker goes on).
   */
  async moments(query: string | RerankSide, path: string, options: MomentsOptions & { signal?: AbortSignal } = {}): Promise<MomentsResult> {
    const { signal, ...rest } = options;
    const reranker = this.rerankerFor('moments');
    return cancelledBy(signal, reranker, async () => reranker.moments(query, await this.file(path), rest));
  }

  /** Cover frames of the folder's video at `path` (see Reranker.coverFrames); `signal` as for moments. */
  async coverFrames(title: string, path: string, options: CoverFramesOptions & { signal?: AbortSignal } = {}): Promise<CoverResult> {
    const { signal, ...rest } = options;
    const reranker = this.rerankerFor('coverFrames');
    return cancelledBy(signal, reranker, async () => reranker.coverFrames(title, await this.file(path), rest));
  }

  /** Loads the embedding model (and the reranker) now rather than on first use. */
  async load(): Promise<void> {
    await Promise.all([this.embedder(), this.rerankerOf()?.load()]);
  }

  /**
   * Indexes the folder: new and changed files are embedded, removed ones leave the index, unchanged ones
   * are skipped. Aborting `signal` stops it (what was written stays: calling index() again resumes);
   * `reindex` drops the index first (after a model or settings change).
   */
  async index(opts: { onProgress?: (p: LibraryProgress) => void; signal?: AbortSignal; reindex?: boolean } = {}): Promise<LibrarySummary> {
    const folder = await this.folderKeeper.readable();
    const client = await this.embedder();
    if (opts.signal?.aborted) throw opts.signal.reason ?? abortError();
    if (opts.reindex) await client.clearLibrary(this.name);
    const stop = () => void client.cancel();
    opts.signal?.addEventListener('abort', stop);
    try {
      return await client.indexLibrary(folder, opts.onProgress, { ...this.options.settings, name: this.name });
    } finally {
      opts.signal?.removeEventListener('abort', stop);
    }
  }

  /** Searches the index and reranks the nearest entries; results stream through `onResult`. */
  async search(query: string | EmbedInput, opts: LibrarySearchOptions = {}): Promise<LibrarySearchResults> {
    const q: EmbedInput = typeof query === 'string' ? { text: query } : query;
    const top = opts.top ?? 20;
    const candidates = Math.max(top, opts.candidates ?? 50);
    const client = await this.embedder();
    const stop = () => void client.cancel();
    opts.signal?.addEventListener('abort', stop);
    let hits: LibraryHit[];
    try {
      hits = await client.searchLibrary(q, candidates, { name: this.name, ...(opts.instruction ? { instruction: opts.instruction } : {}) });
    } finally {
      opts.signal?.removeEventListener('abort', stop);
    }
    if (opts.signal?.aborted) throw opts.signal.reason ?? abortError();
    const results = hits.map((h) => resultOf(h));
    const reranker = this.rerankerOf();
    if (!reranker) {
      results.forEach((r, i) => {
        r.rank = i + 1;
        opts.onResult?.(r, results.slice(0, i + 1));
      });
      return { results: results.slice(0, top), failed: [] };
    }
    return this.rerank(reranker, q, hits, results, top, opts);
  }

  private async rerank(
    reranker: Reranker,
    query: EmbedInput,
    hits: LibraryHit[],
    results: LibraryResult[],
    top: number,
    opts: LibrarySearchOptions,
  ): Promise<LibrarySearchResults> {
    const failed: LibraryResult[] = [];
    const ranking: LibraryResult[] = [];
    const fail = (r: LibraryResult, code: string, message: string) => {
      r.error = { code, message };
      failed.push(r);
      opts.onResult?.(r, ranking);
    };
    // The candidates' documents, made of their files as the index made its inputs.
    const files = await this.folderKeeper.filesAt(hits.flatMap((h) => [h.path, ...(h.caption ? [h.caption] : [])]));
    const documents: RerankSide[] = [];
    const scored: LibraryResult[] = [];
    for (const [i, h] of hits.entries()) {
      const unreadable = [h.path, h.caption].map((p) => (p ? files.get(p) : undefined)).find((f) => f instanceof Error);
      if (unreadable) {
        fail(results[i], (unreadable as { code?: string }).code ?? 'unreadable', `${h.path}: ${unreadable.message}`);
        continue;
      }
      const picked = [h.path, ...(h.caption ? [h.caption] : [])].map((path) => ({ path, file: files.get(path) as File }));
      try {
        const clip = h.start !== undefined ? { start: h.start, end: h.end! } : undefined;
        documents.push((await browserLibrarySource(picked).input(h, clip)) as RerankSide);
        scored.push(results[i]);
      } catch (err) {
        fail(results[i], 'unreadable', `${h.path}: ${(err as Error).message}`);
      }
    }
    const order = (a: LibraryResult, b: LibraryResult) => (b.score ?? -1) - (a.score ?? -1) || b.similarity - a.similarity;
    if (documents.length) {
      const stop = () => void reranker.cancel();
      opts.signal?.addEventListener('abort', stop);
      try {
        await reranker.processDetailed(
          { ...(opts.instruction ? { instruction: opts.instruction } : {}), query: query as RerankSide, documents },
          {
            ...opts.rerankOptions,
            onScore: (e) => {
              const r = scored[e.index];
              if (e.score === null) return fail(r, e.code ?? 'internal', e.error ?? 'no score');
              r.score = e.score;
              ranking.push(r);
              ranking.sort(order);
              ranking.forEach((x, i) => (x.rank = i + 1));
              opts.onResult?.(r, ranking.slice());
            },
          },
        );
      } finally {
        opts.signal?.removeEventListener('abort', stop);
      }
    }
    return { results: ranking.slice(0, top), failed };
  }

  /** What the index holds, its folder, and whether it needs a re-index; `checkModel` loads the embedder to know. */
  async status(opts: { checkModel?: boolean } = {}): Promise<LibraryStatus> {
    const folder = await this.folderKeeper.state();
    if (opts.checkModel) await this.embedder();
    if (this.embedClient && this.embedInfo) {
      const client = await this.embedClient;
      const info = await client.libraryStatus(this.name);
      return { ...info, folder, embedder: await this.embedInfo };
    }
    // Not loaded: read the index from the page, no worker needed.
    const store = await (this.store ??= IdbLibraryStore.open(this.name));
    const meta = await store.meta();
    const last = (await store.getValue<LibraryInfo['lastIndexed']>('lastIndexed')) ?? null;
    return {
      name: this.name,
      files: await store.fileCount(),
      entries: await store.count(),
      model: meta ? { id: meta.modelId, version: meta.modelVersion } : null,
      settings: meta ? { instruction: meta.instruction, dims: meta.dims, format: meta.format, segmentSeconds: meta.segmentSeconds } : null,
      needsReindex: null,
      failed: last?.summary.failed ?? [],
      lastIndexed: last,
      indexing: false,
      folder,
      embedder: null,
    };
  }

  /** Deletes the index (the UI asks first); `forgetFolder` also forgets the folder. */
  async clear(opts: { forgetFolder?: boolean } = {}): Promise<void> {
    if (this.embedClient) await (await this.embedClient).clearLibrary(this.name);
    else await (await (this.store ??= IdbLibraryStore.open(this.name))).clear();
    if (opts.forgetFolder) await this.folderKeeper.forget();
  }

  /** Stops indexing and searching (both workers); index() later resumes. */
  async cancel(): Promise<void> {
    await Promise.all([this.embedClient?.then((c) => c.cancel()), this.reranker?.cancel()]);
  }

  /** Stops both workers and frees their models' memory. */
  async terminate(): Promise<void> {
    if (this.embedClient) (await this.embedClient).terminate();
    await this.reranker?.terminate();
    (await this.store)?.close();
  }
}

/** Runs `op`; an abort of `signal` cancels the reranker's calls (they reject with an AbortError). */
async function cancelledBy<T>(signal: AbortSignal | undefined, reranker: Reranker, op: () => Promise<T>): Promise<T> {
  signal?.throwIfAborted();
  const stop = () => void reranker.cancel();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    return await op();
  } finally {
    signal?.removeEventListener('abort', stop);
  }
}

function resultOf(h: LibraryHit): LibraryResult {
  return {
    rank: 0,
    path: h.path,
    kind: h.kind,
    ...(h.caption ? { caption: h.caption } : {}),
    ...(h.start !== undefined ? { start: h.start, end: h.end } : {}),
    ...(h.duration !== undefined ? { duration: h.duration } : {}),
    similarity: h.similarity,
    score: null,
    ...(h.thumbnail ? { thumbnail: new Blob([h.thumbnail as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' }) } : {}),
  };
}
