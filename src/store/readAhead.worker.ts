// The Worker behind openModelReader (readAhead.ts): reads files from the store, in the order asked, and
// transfers their bytes, or writes them chunk by chunk into the shared memory it was given.
import { ModelStoreError } from './errors.ts';
import { readModelFile, writeModelFileInto } from './readModel.ts';
import type { ReadReply, ReadRequest } from './readAheadProtocol.ts';

let queue: Promise<unknown> = Promise.resolve();
const post = (reply: ReadReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);

self.onmessage = (e: MessageEvent<ReadRequest>) => {
  const { n, id, version, file, into } = e.data;
  queue = queue.then(async () => {
    try {
      const t0 = performance.now();
      const bytes = into ? await writeModelFileInto(id, version, file, into) : await readModelFile(id, version, file);
      const end = performance.now();
      post({ n, bytes, ms: end - t0, doneAt: performance.timeOrigin + end }, typeof bytes === 'number' ? [] : [bytes.buffer]);
    } catch (err) {
      const kind = err instanceof ModelStoreError ? err.kind : undefined;
      post({ n, error: { name: (err as Error)?.name ?? 'Error', kind, message: (err as Error)?.message ?? String(err) } });
    }
  });
};
