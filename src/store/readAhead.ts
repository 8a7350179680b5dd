// Reads a stored model's files ahead of need, in a dedicated Worker. IndexedDB hands its results
// (for large values, blobs the page must still read) to the thread that asked, as events; while that
// thread is inside onnxruntime building a session — a synchronous call of a second or more — nothing
// would arrive. In a Worker of its own the reads keep going, and each file is transferred, not copied.
// Where no Worker can start (Node, or a failure to start one) the files are read here, one at a time.
// A file asked to be written into a buffer of the caller's that lies in shared memory (onnxruntime's
// wasm heap, when cross-origin isolated) is written there by the Worker chunk by chunk: its chunks live
// and die in the Worker, and the caller's thread neither copies nor collects them.
import { ModelStoreError, type StoreErrorKind } from './errors.ts';
import { copiedInto, isSharedView, prefetching, readInOrder, type FileRequest } from './readInOrder.ts';
import { readModelFile } from './readModel.ts';

export interface ModelFileReader {
  /** Starts reading these files in this order (after those already asked for); some into given buffers. */
  prefetch(files: FileRequest[]): void;
  /** One verified file: the prefetched copy (handed over once; the filled buffer if it was given one), or a fresh read. */
  read(file: string): Promise<Uint8Array>;
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

export type { ReadReply, ReadRequest } from './readAheadProtocol.ts';
import type { ReadReply, ReadRequest } from './readAheadProtocol.ts';

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
  const waiting = new Map<number, { file: string; into?: Uint8Array; resolve: (b: Uint8Array) => void; reject: (e: Error) => void }>();
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
  const readHere = (file: string, into?: Uint8Array) => here.read(file).then((bytes) => (into ? copiedInto(into, bytes, file) : bytes));
  const fallBack = () => {
    worker?.terminate();
    worker = null;
    for (const [n, w] of [...waiting].sort((a, b) => a[0] - b[0])) {
      waiting.delete(n);
      readHere(w.file, w.into).then(w.resolve, w.reject);
    }
  };
  if (worker) {
    worker.onerror = (e) => {
      e.preventDefault?.();
      fallBack();
    };
    worker.onmessage = (e: MessageEvent<ReadReply>) => {
      const w = waiting.get(e.data.n);
      if (!w) return;
      waiting.delete(e.data.n);
      if ('bytes' in e.data) {
        const { bytes, ms, doneAt } = e.data;
        timings.push({ file: w.file, bytes: typeof bytes === 'number' ? bytes : bytes.byteLength, ms, doneAt });
        w.resolve(typeof bytes === 'number' ? w.into! : bytes);
      } else w.reject(errorFromReply(e.data.error));
    };
  }
  // Every request is posted at once (the worker reads them in order), so none waits for this thread.
  const request = (file: string, into?: Uint8Array): Promise<Uint8Array> => {
    if (closed) return Promise.reject(new ModelStoreError('missing', `The reader of model ${id} was closed`));
    // A buffer outside shared memory cannot be written by the worker: the file is copied into it here.
    if (!worker || (into && !isSharedView(into))) return readHere(file, into);
    return new Promise((resolve, reject) => {
      const n = next++;
      waiting.set(n, { file, into, resolve, reject });
      worker!.postMessage({ n, id, version, file, into } satisfies ReadRequest);
    });
  };
  return {
    ...prefetching(request),
    timings,
    close() {
      closed = true;
      worker?.terminate();
      worker = null;
      for (const [n, w] of waiting) {
        waiting.delete(n);
        w.reject(new ModelStoreError('missing', `Reading ${w.file} of model ${id} was stopped`));
      }
    },
  };
}
