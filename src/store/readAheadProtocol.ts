// The messages between the store's reader (readAhead.ts) and its Worker (readAhead.worker.ts).
import type { StoreErrorKind } from './errors.ts';

/** What the worker answers: the file's bytes (or how many it wrote into the buffer given), or the error of reading it. */
export type ReadReply =
  | { n: number; bytes: Uint8Array | number; ms: number; doneAt: number }
  | { n: number; error: { name: string; kind?: StoreErrorKind; message: string } };
export interface ReadRequest {
  n: number;
  id: string;
  version: string;
  file: string;
  /** A view of shared memory to write the file into. */
  into?: Uint8Array;
}
