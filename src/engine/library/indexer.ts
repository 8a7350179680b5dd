// Indexes a library incrementally: new and changed files are embedded (long videos by segment),
// removed ones leave, unchanged ones are skipped. Each file's entries are written as a whole once all
// of its vectors exist, so stopping at any moment (a reload, a closed tab, Ctrl-C) loses at most the
// files in flight, and the next run continues from there. One broken file fails alone, with its reason.
import type { EmbedInput } from '../../prompt/index.ts';
import { shardOf, type LibraryFile } from './libraryFiles.ts';
import { checkMeta, type LibraryEntry, type LibraryMeta, type LibraryStore } from '../../store/libraryIndex.ts';
import { videoSegments } from './segments.ts';

/** What the indexer needs from where the files live (a Node folder, a browser directory handle). */
export interface LibrarySource {
  /** sha256 (hex) of the file's bytes (and its caption's). */
  hash(file: LibraryFile): Promise<string>;
  videoSeconds(file: LibraryFile): Promise<number>;
  thumbnail(file: LibraryFile, atSeconds?: number): Promise<Uint8Array | undefined>;
  /** The file (or a window of a video) as an embedding input. */
  input(file: LibraryFile, clip?: { start: number; end: number }): Promise<EmbedInput>;
}

export type EmbedBatch = (inputs: EmbedInput[], signal?: AbortSignal) => Promise<{ embedding: Float32Array | null; error?: string }[]>;

export interface IndexProgress {
  done: number;
  total: number;
  itemsPerSecond: number;
  etaSeconds: number | null;
  current?: string;
}

export interface IndexSummary {
  items: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  failed: { path: string; message: string }[];
}

export interface IndexOptions {
  meta: LibraryMeta;
  /** Only the files this shard owns (shardOf), for N processes indexing one table. */
  shard?: { index: number; count: number };
  /** Inputs per embedding call (short texts are packed together). */
  batchInputs?: number;
  onProgress?: (p: IndexProgress) => void;
  signal?: AbortSignal;
}

type Work = { file: LibraryFile; isNew: boolean; hash: string; duration?: number; windows: ({ start: number; end: number } | undefined)[] };

/** Indexes `files` (a folder's whole listing, libraryItems) into `store`. */
export async function indexLibrary(
  files: LibraryFile[],
  store: LibraryStore,
  source: LibrarySource,
  embed: EmbedBatch,
  opts: IndexOptions,
): Promise<IndexSummary> {
  checkMeta(await store.meta(), opts.meta);
  await store.setMeta(opts.meta);
  const mine = (path: string) => !opts.shard || shardOf(path, opts.shard.count) === opts.shard.index;
  const listed = files.filter((f) => mine(f.path));
  const indexed = await store.files();
  const summary: IndexSummary = { items: 0, added: 0, updated: 0, removed: 0, unchanged: 0, failed: [] };

  const present = new Set(listed.map((f) => f.path));
  const gone = [...indexed.keys()].filter((p) => mine(p) && !present.has(p));
  if (gone.length) await store.removeFiles(gone);
  summary.removed = gone.filter((p) => indexed.get(p)!.stored === indexed.get(p)!.segments).length;

  const todo: LibraryFile[] = [];
  for (const file of listed) {
    const old = indexed.get(file.path);
    if (old && old.stored === old.segments && old.size === file.size && old.mtimeMs === file.mtimeMs) summary.unchanged++;
    else todo.push(file);
  }
  const started = performance.now();
  let done = 0;
  const report = (current?: string) => {
    const secs = (performance.now() - started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    opts.onProgress?.({
      done,
      total: todo.length,
      itemsPerSecond: rate,
      etaSeconds: rate > 0 ? (todo.length - done) / rate : null,
      current,
    });
  };
  report();

  const batch = opts.batchInputs ?? 8;
  const limit = concurrency(THUMBNAILS_AT_ONCE);
  let queue: Work[] = [];
  const flush = async () => {
    const inputs: { work: Work; at: number; input: EmbedInput }[] = [];
    const failed = new Map<Work, string>();
    for (const work of queue) {
      try {
        for (let at = 0; at < work.windows.length; at++) inputs.push({ work, at, input: await source.input(work.file, work.windows[at]) });
      } catch (err) {
        failed.set(work, (err as Error).message);
      }
    }
    // Thumbnails (ffmpeg, in Node) are made while the model embeds, a few at a time.
    const thumbnails = new Map(queue.filter((w) => !failed.has(w)).map((w) => [w, thumbnailsOf(w, source, limit)]));
    const results = inputs.length
      ? await embed(
          inputs.map((i) => i.input),
          opts.signal,
        )
      : [];
    const vectors = new Map<Work, Float32Array[]>();
    inputs.forEach(({ work, at }, k) => {
      const r = results[k];
      if (!r?.embedding) {
        if (!failed.has(work)) failed.set(work, (work.windows.length > 1 ? `segment ${at + 1}: ` : '') + (r?.error ?? 'no embedding'));
        return;
      }
      const list = vectors.get(work) ?? [];
      list[at] = r.embedding;
      vectors.set(work, list);
    });
    for (const work of queue) {
      const error = failed.get(work);
      if (error !== undefined) {
        // A changed file that no longer embeds leaves the index: its old vectors describe old content.
        if (!work.isNew) await store.removeFiles([work.file.path]);
        summary.failed.push({ path: work.file.path, message: error });
      } else {
        await store.putFile(work.file.path, entriesOf(work, vectors.get(work)!, await thumbnails.get(work)!));
        summary[work.isNew ? 'added' : 'updated']++;
      }
      done++;
    }
    queue = [];
    report();
  };

  for (const file of todo) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new DOMException('indexing was cancelled', 'AbortError');
    const old = indexed.get(file.path);
    const complete = old && old.stored === old.segments;
    try {
      const hash = await source.hash(file);
      if (complete && old.hash === hash) {
        // Touched, not changed: the vectors still hold.
        await store.touchFile(file.path, file.size, file.mtimeMs);
        summary.unchanged++;
        done++;
        report(file.path);
        continue;
      }
      const work: Work = { file, isNew: !complete, hash, windows: [undefined] };
      if (file.kind === 'video') {
        work.duration = await source.videoSeconds(file);
        const segments = videoSegments(work.duration, { seconds: opts.meta.segmentSeconds, stride: opts.meta.segmentStride });
        if (segments) work.windows = segments;
      }
      queue.push(work);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      if (complete) await store.removeFiles([file.path]);
      summary.failed.push({ path: file.path, message: (err as Error).message });
      done++;
      continue;
    }
    if (queue.reduce((n, w) => n + w.windows.length, 0) >= batch) await flush();
    report(file.path);
  }
  if (queue.length) await flush();
  summary.items = await store.count();
  return summary;
}

const THUMBNAILS_AT_ONCE = 4;

/** Runs at most `n` of the functions given to it at once. */
function concurrency(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (fn) => {
    if (running >= n) await new Promise<void>((go) => waiting.push(go));
    running++;
    try {
      return await fn();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

/** A thumbnail of each window (none for a text); one that cannot be made is left out. */
function thumbnailsOf(work: Work, source: LibrarySource, limit: ReturnType<typeof concurrency>): Promise<(Uint8Array | undefined)[]> {
  if (work.file.kind === 'text') return Promise.resolve(work.windows.map(() => undefined));
  return Promise.all(work.windows.map((w) => limit(() => source.thumbnail(work.file, w?.start)).catch(() => undefined)));
}

function entriesOf(work: Work, vectors: Float32Array[], thumbnails: (Uint8Array | undefined)[]): LibraryEntry[] {
  const { file, hash, duration, windows } = work;
  return windows.map((w, i) => ({
    path: file.path,
    kind: file.kind,
    size: file.size,
    mtimeMs: file.mtimeMs,
    hash,
    segment: i,
    segments: windows.length,
    ...(w ? { start: w.start, end: w.end } : {}),
    ...(duration !== undefined ? { duration } : {}),
    thumbnail: thumbnails[i],
    vector: vectors[i],
  }));
}
