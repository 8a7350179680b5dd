// The Worker behind openModelReader (readAhead.ts): reads files from the store, in the order asked,
// and transfers their bytes: whole, or chunk by chunk as each is read when asked for parts.
import { ModelStoreError } from './errors.ts';
import { readModelFile, readModelFileParts } from './readModel.ts';
import type { ReadReply, ReadRequest } from './readAhead.ts';

let queue: Promise<unknown> = Promise.resolve();
const post = (reply: ReadReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);

self.onmessage = (e: MessageEvent<ReadRequest>) => {
  const { n, id, version, file, parts } = e.data;
  queue = queue.then(async () => {
    try {
      const t0 = performance.now();
      if (parts) {
        let partsBytes = 0;
        for await (const part of readModelFileParts(id, version, file)) {
          partsBytes += part.byteLength;
          post({ n, part }, [part.buffer]);
        }
        const end = performance.now();
        return post({ n, partsBytes, ms: end - t0, doneAt: performance.timeOrigin + end });
      }
      const bytes = await readModelFile(id, version, file);
      const end = performance.now();
      post({ n, bytes, ms: end - t0, doneAt: performance.timeOrigin + end }, [bytes.buffer]);
    } catch (err) {
      const kind = err instanceof ModelStoreError ? err.kind : undefined;
      post({ n, error: { name: (err as Error)?.name ?? 'Error', kind, message: (err as Error)?.message ?? String(err) } });
    }
  });
};
