// Reading files ahead of need. A prefetched file is handed over once (then its bytes can be collected
// after use); a file not prefetched is requested when read. A file may be asked for in parts (chunk by
// chunk, see readModelFileParts) when its reader copies each part where it belongs.
export type FileRequest = string | { file: string; parts: true };

export interface OrderedReader {
  prefetch(files: FileRequest[]): void;
  read(file: string): Promise<Uint8Array>;
  /** A file part by part, in order (a reader that has no parts gives the whole file as one). */
  readParts(file: string): AsyncIterable<Uint8Array>;
}

type Ahead = { whole: Promise<Uint8Array> } | { parts: AsyncIterable<Uint8Array> };

async function* whole(bytes: Promise<Uint8Array>): AsyncGenerator<Uint8Array> {
  yield await bytes;
}

async function wholeOf(parts: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const list: Uint8Array[] = [];
  for await (const p of parts) list.push(p);
  if (list.length === 1) return list[0];
  const out = new Uint8Array(list.reduce((n, p) => n + p.byteLength, 0));
  list.reduce((at, p) => (out.set(p, at), at + p.byteLength), 0);
  return out;
}

/**
 * prefetch/read over `request`, which is asked for every file at once, in order; `requestParts`, when
 * given, for the files asked for in parts.
 */
export function prefetching(request: (file: string) => Promise<Uint8Array>, requestParts?: (file: string) => AsyncIterable<Uint8Array>): OrderedReader {
  const ahead = new Map<string, Ahead>();
  const take = (file: string) => {
    const a = ahead.get(file);
    ahead.delete(file);
    return a;
  };
  return {
    prefetch(files) {
      for (const f of files) {
        const file = typeof f === 'string' ? f : f.file;
        if (ahead.has(file)) continue;
        if (typeof f !== 'string' && requestParts) {
          ahead.set(file, { parts: requestParts(file) });
          continue;
        }
        const p = request(file);
        p.catch(() => undefined); // surfaces when read() takes it
        ahead.set(file, { whole: p });
      }
    },
    read(file) {
      const a = take(file);
      if (!a) return request(file);
      return 'whole' in a ? a.whole : wholeOf(a.parts);
    },
    readParts(file) {
      const a = take(file);
      if (a && 'parts' in a) return a.parts;
      return requestParts && !a ? requestParts(file) : whole(a ? a.whole : request(file));
    },
  };
}

/** The same over `read`, one file after another: all at once would make the first wait for everyone's bytes. */
export function readInOrder(read: (file: string) => Promise<Uint8Array>): OrderedReader {
  let queue: Promise<unknown> = Promise.resolve();
  return prefetching((file) => {
    const p = queue.then(() => read(file));
    queue = p.catch(() => undefined);
    return p;
  });
}

/** Parts pushed by one side (a Worker's messages) and taken in order by the other, once. */
export interface PartQueue extends AsyncIterable<Uint8Array> {
  push(part: Uint8Array): void;
  /** No more parts: the iteration ends, or fails with `error`. */
  end(error?: Error): void;
}

export function partQueue(): PartQueue {
  const parts: Uint8Array[] = [];
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  return {
    push(part) {
      parts.push(part);
      wake?.();
    },
    end(error) {
      ended = true;
      failure = error ?? null;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        if (parts.length) yield parts.shift()!;
        else if (failure) throw failure;
        else if (ended) return;
        else await new Promise<void>((resolve) => (wake = resolve));
      }
    },
  };
}
