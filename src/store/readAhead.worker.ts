// The Worker behind openModelReader (readAhead.ts): reads files from the store, in the order asked, and
// transfers their bytes, or writes them chunk by chunk into the shared memory it was given.
import { ModelStoreError } from './errors.ts';
import { readModelFile, readModelFileParts } from './readModel.ts';
import type { ReadReply, ReadRequest } from './readAhead.ts';

let queue: Promise<unknown> = Promise.resolve();
const post = (reply: ReadReply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(reply, transfer);

async function writeInto(id: string, version: string, file: string, into: Uint8Array): Promise<number> {
  let at = 0;
  for await (const part of readModelFileParts(id, version, file)) {
    if (at + part.byteLength > into.byteLength) throw new Error(`${file} is longer than the ${into.byteLength} bytes its manifest gives`);
    into.set(part, at);
    at += part.byteLength;
  }
  if (at !== into.byteLength) throw new Error(`${file} is ${at} bytes, its manifest gives ${into.byteLength}`);
  return at;
}

self.onmessage = (e: MessageEvent<ReadRequest>) => {
  const { n, id, version, file, into } = e.data;
  queue = queue.then(async () => {
    try {
      const t0 = performance.now();
      const bytes = into ? await writeInto(id, version, file, into) : await readModelFile(id, version, file);
      const end = performance.now();
      post({ n, bytes, ms: end - t0, doneAt: performance.timeOrigin + end }, typeof bytes === 'number' ? [] : [bytes.buffer]);
    } catch (err) {
      const kind = err instanceof ModelStoreError ? err.kind : undefined;
      post({ n, error: { name: (err as Error)?.name ?? 'Error', kind, message: (err as Error)?.message ?? String(err) } });
    }
  });
};
