// Reads a stored model's files ahead of need, in a dedicated Worker. IndexedDB hands its results
// (for large values, blobs the page must still read) to the thread that asked, as events; while that
// thread is inside onnxruntime building a session — a synchronous call of a second or more — nothing
// would arrive. In a Worker of its own the reads keep going, and each file is transferred, not copied.
// Where no Worker can start (Node, or a failure to start one) the files are read here, one at a time.
import { ModelStoreError, type StoreErrorKind } from './errors.ts';
import { partQueue, prefetching, readInOrder, type FileRequest, type PartQueue } from './readInOrder.ts';
import { readModelFile, readModelFileParts } from './readModel.ts';

export interface ModelFileReader {
  /** Starts reading these files in this order (after those already asked for); some in parts. */
  prefetch(files: FileRequest[]): void;
  /** One verified file: the prefetched copy (handed over once), or a fresh read. */
  read(file: string): Promise<Uint8Array>;
  /** One verified file chunk by chunk, each transferred as soon as it is read. */
  readParts(file: string): AsyncIterable<Uint8Array>;
  /** Stops the worker; reads still waiting fail. */
  close(): void;
  /** When each file finished reading (epoch ms, comparable across threads) and how long it took. */
  readonly timings: FileReadTiming[];
}

export interface FileReadTiming {
  file: string;
  bytes: number;
  /** Time spent reading this file (after the previous one finished). */
  ms: number;
  /** performance.timeOrigin + performance.now() when it finished. */
  doneAt: number;
}

/**
 * What the worker answers: the file's bytes; or, asked for parts, each part, then the total once all
 * were sent; or the error of reading it.
 */
export type ReadReply =
  | { n: number; bytes: Uint8Array; ms: number; doneAt: number }
  | { n: number; part: Uint8Array }
  | { n: number; partsBytes: number; ms: number; doneAt: number }
  | { n: number; error: { name: string; kind?: StoreErrorKind; message: string } };
export interface ReadRequest {
  n: number;
  id: string;
  version: string;
  file: string;
  parts?: boolean;
}

export function errorFromReply(e: { name: string; kind?: StoreErrorKind; message: string }): Error {
  if (e.name === 'ModelStoreError' && e.kind) return new ModelStoreError(e.kind, e.message);
  const err = new Error(e.message);
  err.name = e.name;
  return err;
}

function startWorker(): Worker | null {
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  if (node || typeof Worker === 'undefined') return null;
  try {
    return new Worker(new URL('./readAhead.worker.ts', import.meta.url), { type: 'module', name: 'sift-store-reader' });
  } catch {
    return null;
  }
}

/** A reader of one stored model version (see ModelFileReader). */
export function openModelReader(id: string, version: string): ModelFileReader {
  let worker = startWorker();
  type Waiting = { file: string; resolve: (b: Uint8Array) => void; reject: (e: Error) => void } | { file: string; parts: PartQueue; started: boolean };
  const waiting = new Map<number, Waiting>();
  let next = 0;
  let closed = false;
  const timings: FileReadTiming[] = [];
  const now = () => performance.timeOrigin + performance.now();
  // Without the worker, files are read on this thread, one after another.
  const here = readInOrder(async (file) => {
    const t0 = now();
    const bytes = await readModelFile(id, version, file);
    timings.push({ file, bytes: bytes.byteLength, ms: now() - t0, doneAt: now() });
    return bytes;
  });
  const partsHere = async function* (file: string) {
    const t0 = now();
    let bytes = 0;
    for await (const part of readModelFileParts(id, version, file)) {
      bytes += part.byteLength;
      yield part;
    }
    timings.push({ file, bytes, ms: now() - t0, doneAt: now() });
  };
  const pipe = async (from: AsyncIterable<Uint8Array>, to: PartQueue) => {
    try {
      for await (const part of from) to.push(part);
      to.end();
    } catch (err) {
      to.end(err as Error);
    }
  };
  const fallBack = () => {
    worker?.terminate();
    worker = null;
    for (const [n, w] of [...waiting].sort((a, b) => a[0] - b[0])) {
      waiting.delete(n);
      if (!('parts' in w)) here.read(w.file).then(w.resolve, w.reject);
      else if (!w.started) void pipe(partsHere(w.file), w.parts);
      else w.parts.end(new ModelStoreError('missing', `The store's reader stopped while reading ${w.file} of model ${id}: load the model again`));
    }
  };
  if (worker) {
    worker.onerror = (e) => {
      e.preventDefault?.();
      fallBack();
    };
    worker.onmessage = (e: MessageEvent<ReadReply>) => {
      const r = e.data;
      const w = waiting.get(r.n);
      if (!w) return;
      if ('part' in r && 'parts' in w) {
        w.started = true;
        return w.parts.push(r.part);
      }
      waiting.delete(r.n);
      if ('error' in r) {
        const err = errorFromReply(r.error);
        return 'parts' in w ? w.parts.end(err) : w.reject(err);
      }
      if ('partsBytes' in r && 'parts' in w) {
        timings.push({ file: w.file, bytes: r.partsBytes, ms: r.ms, doneAt: r.doneAt });
        return w.parts.end();
      }
      if ('bytes' in r && 'resolve' in w) {
        timings.push({ file: w.file, bytes: r.bytes.byteLength, ms: r.ms, doneAt: r.doneAt });
        w.resolve(r.bytes);
      }
    };
  }
  // Every request is posted at once (the worker reads them in order), so none waits for this thread.
  const request = (file: string): Promise<Uint8Array> => {
    if (closed) return Promise.reject(new ModelStoreError('missing', `The reader of model ${id} was closed`));
    if (!worker) return here.read(file);
    return new Promise((resolve, reject) => {
      const n = next++;
      waiting.set(n, { file, resolve, reject });
      worker!.postMessage({ n, id, version, file } satisfies ReadRequest);
    });
  };
  const requestParts = (file: string): AsyncIterable<Uint8Array> => {
    const parts = partQueue();
    if (closed) parts.end(new ModelStoreError('missing', `The reader of model ${id} was closed`));
    else if (!worker) void pipe(partsHere(file), parts);
    else {
      const n = next++;
      waiting.set(n, { file, parts, started: false });
      worker.postMessage({ n, id, version, file, parts: true } satisfies ReadRequest);
    }
    return parts;
  };
  return {
    ...prefetching(request, requestParts),
    timings,
    close() {
      closed = true;
      worker?.terminate();
      worker = null;
      for (const [n, w] of waiting) {
        waiting.delete(n);
        const err = new ModelStoreError('missing', `Reading ${w.file} of model ${id} was stopped`);
        if ('parts' in w) w.parts.end(err);
        else w.reject(err);
      }
    },
  };
}
