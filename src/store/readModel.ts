// Reading what the store holds: whole files (for onnxruntime's externalData and the tokenizer), the
// ready version of a model, the list of stored models, and deleting them.
import type { Manifest } from './manifest.ts';
import { chunkSize, deleteVersion, getChunks, getRecord, recordsOf, type ModelRecord, type ModelState, type StoredChunk } from './db.ts';
import { ModelStoreError } from './errors.ts';

export interface ReadyModel {
  id: string;
  version: string;
  label: string;
  manifest: Manifest;
  /** Bytes of all files. */
  bytes: number;
  /** One file of the model, assembled from its chunks. */
  readFile(file: string): Promise<Uint8Array>;
}

export interface ModelSummary {
  id: string;
  version: string;
  label: string;
  /** Size of the whole model. */
  bytes: number;
  /** Bytes stored so far (equals `bytes` when ready). */
  storedBytes: number;
  state: ModelState;
  /** Generated test weights (scores mean nothing). */
  randomWeights: boolean;
}

/** Bytes held by a record's whole chunks (its verified files count in full). */
export function storedBytesOf(record: ModelRecord): number {
  let sum = 0;
  for (const f of Object.values(record.files)) sum += f.verified ? f.bytes : Math.min(f.chunks * record.chunkBytes, f.bytes);
  return sum;
}

/** Chunk handles requested per IndexedDB transaction while assembling a file. */
const CHUNKS_PER_READ = 64;

const damaged = (record: ModelRecord, detail: string) =>
  new ModelStoreError('missing', `Stored model ${record.label} is damaged (${detail}): delete it and download it again`);

/** A file's stored chunks, in order, checked to add up to its size (handles only: no bytes read yet). */
async function storedChunks(record: ModelRecord, file: string): Promise<StoredChunk[]> {
  const info = record.files[file];
  if (!info) throw new ModelStoreError('missing', `Model ${record.label} has no file "${file}"`);
  const count = Math.ceil(info.bytes / record.chunkBytes);
  const chunks: StoredChunk[] = [];
  let total = 0;
  for (let first = 0; first < count; first += CHUNKS_PER_READ) {
    const indices = Array.from({ length: Math.min(CHUNKS_PER_READ, count - first) }, (_, i) => first + i);
    (await getChunks(record, file, indices)).forEach((chunk, k) => {
      if (!chunk) throw damaged(record, `${file}, chunk ${indices[k]} is missing`);
      total += chunkSize(chunk);
      if (total > info.bytes) throw damaged(record, `${file} holds more than its ${info.bytes} bytes`);
      chunks.push(chunk);
    });
  }
  if (total !== info.bytes) throw damaged(record, `${file} is ${total} of ${info.bytes} bytes`);
  return chunks;
}

const unreadable = (record: ModelRecord, file: string, err: unknown) =>
  // The browser lost a chunk's blob file (profile damage, a cleared cache directory).
  damaged(record, `${file} could not be read: ${(err as Error)?.message ?? err}`);

/**
 * A file's stored chunks as one buffer. The chunks' handles are fetched CHUNKS_PER_READ at a time in
 * one transaction each (one `get` per transaction made a cached start ≈3× slower than a raw read);
 * Blob chunks (see StoredChunk) are then read straight into a buffer of the file's size.
 */
export async function assembleStoredFile(record: ModelRecord, file: string): Promise<Uint8Array> {
  const chunks = await storedChunks(record, file);
  if (chunks.every((c) => c instanceof Blob)) {
    try {
      return new Uint8Array(await new Blob(chunks).arrayBuffer());
    } catch (err) {
      throw unreadable(record, file, err);
    }
  }
  const out = new Uint8Array(record.files[file].bytes);
  let offset = 0;
  for (const c of chunks) {
    out.set(c instanceof Uint8Array ? c : new Uint8Array(await c.arrayBuffer()), offset);
    offset += chunkSize(c);
  }
  return out;
}

/**
 * Writes a stored file into `into` (exactly its size), chunk by chunk. A Blob chunk is streamed with a
 * BYOB reader into one scratch buffer that is reused, then copied where it belongs: a buffer per chunk
 * (Blob.arrayBuffer) would put every byte in fresh memory once more, and on machines where fresh pages
 * are dear (docs/decisions/2026-12-04-cached-start-blobs-and-fresh-memory.md) that is most of a read's cost. Browsers whose Blob streams are not byte
 * streams read each chunk whole.
 */
export async function writeStoredFileInto(record: ModelRecord, file: string, into: Uint8Array): Promise<number> {
  const chunks = await storedChunks(record, file);
  if (record.files[file].bytes !== into.byteLength)
    throw damaged(record, `${file} is ${record.files[file].bytes} bytes, its manifest gives ${into.byteLength}`);
  const scratch = { buffer: new ArrayBuffer(0) };
  let at = 0;
  for (const c of chunks) {
    try {
      if (c instanceof Uint8Array) into.set(c, at);
      else if (!(await streamInto(c, into, at, scratch))) into.set(new Uint8Array(await c.arrayBuffer()), at);
    } catch (err) {
      throw unreadable(record, file, err);
    }
    at += chunkSize(c);
  }
  return at;
}

/** Streams `blob` into `into` at `at` through `scratch`; false when the browser has no BYOB reader for it. */
async function streamInto(blob: Blob, into: Uint8Array, at: number, scratch: { buffer: ArrayBuffer }): Promise<boolean> {
  let reader: ReadableStreamBYOBReader;
  try {
    reader = blob.stream().getReader({ mode: 'byob' });
  } catch {
    return false;
  }
  if (scratch.buffer.byteLength === 0) scratch.buffer = new ArrayBuffer(2 ** 20);
  let end = at;
  for (;;) {
    const { value, done } = await reader.read(new Uint8Array(scratch.buffer));
    // The read hands the scratch buffer back (transferred): keep it for the next read.
    scratch.buffer = value ? (value.buffer as ArrayBuffer) : new ArrayBuffer(2 ** 20);
    if (done) break;
    if (end + value.byteLength > at + blob.size) throw new Error('a chunk read back longer than stored');
    into.set(value, end);
    end += value.byteLength;
  }
  if (end - at !== blob.size) throw new Error(`a chunk read back ${end - at} of its ${blob.size} bytes`);
  return true;
}

/** The record of a stored version whose `file` is fully downloaded and verified. */
async function verifiedRecord(id: string, version: string, file: string): Promise<ModelRecord> {
  const record = await getRecord(id, version);
  if (!record) throw new ModelStoreError('missing', `Model ${id} (version ${version}) is not stored on this device`);
  const info = record.files[file];
  if (!info) throw new ModelStoreError('missing', `Model ${record.label} has no file "${file}"`);
  if (!info.verified) {
    throw new ModelStoreError('missing', `${file} of model ${record.label} is not fully downloaded yet: finish the download first`);
  }
  return record;
}

/** A verified file of a stored model version. */
export async function readModelFile(id: string, version: string, file: string): Promise<Uint8Array> {
  return assembleStoredFile(await verifiedRecord(id, version, file), file);
}

/** Writes a verified file of a stored model version into `into` (see writeStoredFileInto). */
export async function writeModelFileInto(id: string, version: string, file: string, into: Uint8Array): Promise<number> {
  return writeStoredFileInto(await verifiedRecord(id, version, file), file, into);
}

/** The ReadyModel view of a stored record (callers check that it is ready). */
export function readyModelOf(record: ModelRecord): ReadyModel {
  return {
    id: record.id,
    version: record.version,
    label: record.label,
    manifest: record.manifest,
    bytes: record.totalBytes,
    readFile: (file) => readModelFile(record.id, record.version, file),
  };
}

/** The newest ready version of `id`, or undefined if none is stored. Touches no network. */
export async function loadReadyModel(id: string): Promise<ReadyModel | undefined> {
  const ready = (await recordsOf(id)).filter((r) => r.state === 'ready');
  ready.sort((a, b) => (b.readyAt ?? 0) - (a.readyAt ?? 0));
  return ready[0] ? readyModelOf(ready[0]) : undefined;
}

/** The newest ready model that was downloaded from `manifestUrl`, or undefined. Touches no network. */
export async function readyModelFromUrl(manifestUrl: string): Promise<ReadyModel | undefined> {
  const ready = (await recordsOf()).filter((r) => r.state === 'ready' && r.manifestUrl === manifestUrl);
  ready.sort((a, b) => (b.readyAt ?? 0) - (a.readyAt ?? 0));
  return ready[0] ? readyModelOf(ready[0]) : undefined;
}

/** Every stored model version, ready or partly downloaded, sorted by id then newest first. */
export async function listModels(): Promise<ModelSummary[]> {
  const records = await recordsOf();
  records.sort((a, b) => a.id.localeCompare(b.id) || b.createdAt - a.createdAt);
  return records.map((r) => ({
    id: r.id,
    version: r.version,
    label: r.label,
    bytes: r.totalBytes,
    storedBytes: storedBytesOf(r),
    state: r.state,
    randomWeights: r.manifest.randomWeights === true,
  }));
}

/** Deletes every version of `id`, or only `version` when given. */
export async function deleteModel(id: string, version?: string): Promise<void> {
  for (const r of await recordsOf(id)) {
    if (version === undefined || r.version === version) await deleteVersion(r.id, r.version);
  }
}

/** Deletes the versions of `id` other than `keep` (all of them, or only unfinished ones). */
export async function evictOtherVersions(id: string, keep: string, onlyUnfinished = false): Promise<void> {
  for (const r of await recordsOf(id)) {
    if (r.version !== keep && (!onlyUnfinished || r.state !== 'ready')) await deleteVersion(r.id, r.version);
  }
}
