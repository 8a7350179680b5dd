// Streams one model file from the network into fixed-size chunks, resuming after the chunks already
// stored with an HTTP Range request. Only whole chunks are kept: a partial chunk at a dropped
// connection is fetched again, which keeps the resume point a simple chunk count.
import { isAbort, ModelStoreError, TransientError } from './errors.ts';

export interface ChunkSink {
  /** Whole chunks already stored; fetching resumes after them. */
  storedChunks(): number;
  /** Stores chunk `index` (called in order, never concurrently). */
  write(index: number, data: Uint8Array): Promise<void>;
  /** Forgets every stored chunk of the file (the server sent the file from its start). */
  restart(): Promise<void>;
}

export interface FileFetch {
  url: string;
  file: string;
  bytes: number;
  chunkBytes: number;
  fetch: typeof fetch;
  signal?: AbortSignal;
  /** Called as bytes arrive from the network (for speed and progress). */
  onBytes?: (received: number) => void;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Start offset of a `Content-Range: bytes start-end/total` header, or undefined if unparsable. */
export function contentRangeStart(header: string | null): number | undefined {
  const m = /^bytes\s+(\d+)-\d+\/(?:\d+|\*)$/i.exec(header?.trim() ?? '');
  return m ? Number(m[1]) : undefined;
}

async function request(job: FileFetch, offset: number): Promise<Response> {
  const headers: HeadersInit = offset > 0 ? { Range: `bytes=${offset}-` } : {};
  try {
    // no-store: the bytes go to IndexedDB; a second copy in the HTTP cache would only waste quota.
    return await job.fetch(job.url, { headers, signal: job.signal, cache: 'no-store' });
  } catch (err) {
    if (isAbort(err, job.signal)) throw err;
    throw new TransientError(`${job.file}: ${(err as Error).message || 'network error'}`);
  }
}

/** Fetches the rest of a file into `sink`; returns the bytes received from the network. */
export async function fetchFileIntoChunks(job: FileFetch, sink: ChunkSink): Promise<number> {
  const { file, bytes, chunkBytes } = job;
  let index = sink.storedChunks();
  let offset = Math.min(index * chunkBytes, bytes);
  if (offset >= bytes) return 0;

  const res = await request(job, offset);
  if (res.status === 206) {
    if (contentRangeStart(res.headers.get('content-range')) !== offset || res.headers.get('content-encoding')) {
      // Not the range asked for (or a compressed one, whose offsets are not file offsets): start over.
      await res.body?.cancel().catch(() => {});
      await sink.restart();
      throw new TransientError(`${file}: the server answered the resume request with another byte range`);
    }
  } else if (res.ok) {
    if (offset > 0) {
      // The server ignored Range and sends the whole file: store it from the start.
      await sink.restart();
      index = 0;
      offset = 0;
    }
  } else {
    await res.body?.cancel().catch(() => {});
    if (res.status === 416) {
      await sink.restart();
      throw new TransientError(`${file}: the server refused the resume range (HTTP 416)`);
    }
    const what = `${file} from ${job.url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
    if (RETRYABLE_STATUS.has(res.status)) throw new TransientError(what);
    throw new ModelStoreError('http', `Could not download ${what}`);
  }
  if (!res.body) throw new TransientError(`${file}: the response has no body`);

  const reader = res.body.getReader();
  let received = 0;
  let buf = new Uint8Array(Math.min(chunkBytes, bytes - offset));
  let fill = 0;
  let finished = false;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (err) {
        if (isAbort(err, job.signal)) throw err;
        throw new TransientError(`${file}: the connection dropped (${(err as Error).message || 'read error'})`);
      }
      if (step.done) break;
      let data = step.value;
      received += data.length;
      job.onBytes?.(data.length);
      while (data.length > 0) {
        if (offset >= bytes) {
          throw new ModelStoreError('integrity', `${file}: the server sent more than the ${bytes} bytes the manifest lists`);
        }
        const n = Math.min(buf.length - fill, data.length);
        buf.set(data.subarray(0, n), fill);
        fill += n;
        data = data.subarray(n);
        if (fill === buf.length) {
          await sink.write(index, buf);
          index++;
          offset += fill;
          fill = 0;
          // A fresh buffer per chunk: IndexedDB clones it, and it must not share memory with the next one.
          if (offset < bytes) buf = new Uint8Array(Math.min(chunkBytes, bytes - offset));
        }
      }
    }
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
  }
  if (offset < bytes) {
    throw new TransientError(`${file}: the connection ended after ${offset + fill} of ${bytes} bytes`);
  }
  return received;
}
