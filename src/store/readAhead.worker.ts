// The Worker behind openModelReader (readAhead.ts): reads whole files from the store, in the order
// asked, and transfers their bytes.
import { ModelStoreError } from './errors.ts';
import { readModelFile } from './readModel.ts';
import type { ReadReply, ReadRequest } from './readAhead.ts';

let queue: Promise<unknown> = Promise.resolve();
const post = (reply: ReadReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);

self.onmessage = (e: MessageEvent<ReadRequest>) => {
  const { n, id, version, file } = e.data;
  queue = queue.then(async () => {
    try {
      const t0 = performance.now();
      const bytes = await readModelFile(id, version, file);
      const end = performance.now();
      post({ n, bytes, ms: end - t0, doneAt: performance.timeOrigin + end }, [bytes.buffer]);
    } catch (err) {
      const kind = err instanceof ModelStoreError ? err.kind : undefined;
      post({ n, error: { name: (err as Error)?.name ?? 'Error', kind, message: (err as Error)?.message ?? String(err) } });
    }
  });
};
