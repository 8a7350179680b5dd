// Reading files ahead of need. A prefetched file is handed over once (then its bytes can be collected
// after use); a file not prefetched is requested when read.
export interface OrderedReader {
  prefetch(files: string[]): void;
  read(file: string): Promise<Uint8Array>;
}

/** prefetch/read over `request`, which is asked for every file at once, in order. */
export function prefetching(request: (file: string) => Promise<Uint8Array>): OrderedReader {
  const ahead = new Map<string, Promise<Uint8Array>>();
  return {
    prefetch(files) {
      for (const f of files) {
        if (ahead.has(f)) continue;
        const p = request(f);
        p.catch(() => undefined); // surfaces when read() takes it
        ahead.set(f, p);
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
  return prefetching((file) => {
    const p = queue.then(() => read(file));
    queue = p.catch(() => undefined);
    return p;
  });
}
