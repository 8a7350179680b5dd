// Reading files ahead of need. A prefetched file is handed over once (then its bytes can be collected
// after use); a file not prefetched is requested when read. A file may be asked to be written into a
// buffer of the caller's (an ORT-format graph into onnxruntime's heap, see session.ts): read() then
// resolves to that buffer once it is filled.
export type FileRequest = string | { file: string; into: Uint8Array };

export interface OrderedReader {
  prefetch(files: FileRequest[]): void;
  read(file: string): Promise<Uint8Array>;
}

/** True for a view of shared memory, which a Worker can be given to write into. */
export const isSharedView = (b: Uint8Array): boolean => typeof SharedArrayBuffer !== 'undefined' && b.buffer instanceof SharedArrayBuffer;

/** `into` with `bytes` copied in; it must be exactly as long. */
export function copiedInto(into: Uint8Array, bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.byteLength !== into.byteLength) throw new Error(`${file} is ${bytes.byteLength} bytes, its manifest gives ${into.byteLength}`);
  into.set(bytes);
  return into;
}

/**
 * prefetch/read over `request`, which is asked for every file at once, in order (with the buffer to
 * fill, for files asked for so; a request that has no way to fill one reads the file and copies it).
 */
export function prefetching(request: (file: string, into?: Uint8Array) => Promise<Uint8Array>): OrderedReader {
  const ahead = new Map<string, Promise<Uint8Array>>();
  return {
    prefetch(files) {
      for (const f of files) {
        const file = typeof f === 'string' ? f : f.file;
        if (ahead.has(file)) continue;
        const p = typeof f === 'string' ? request(file) : request(file, f.into);
        p.catch(() => undefined); // surfaces when read() takes it
        ahead.set(file, p);
      }
    },
    read(file) {
      const p = ahead.get(file);
      ahead.delete(file);
      return p ?? request(file);
    },
  };
}

/** The same over `read`, one file after another: all at once would make the first wait for everyone's bytes. */
export function readInOrder(read: (file: string) => Promise<Uint8Array>): OrderedReader {
  let queue: Promise<unknown> = Promise.resolve();
  return prefetching((file, into) => {
    const p = queue.then(() => read(file)).then((bytes) => (into ? copiedInto(into, bytes, file) : bytes));
    queue = p.catch(() => undefined);
    return p;
  });
}
