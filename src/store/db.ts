// The IndexedDB layout of the model store: one object store holding, per model version, a record
// (manifest, state, what is stored of each file) and the files themselves cut into fixed-size chunks.
// Chunks are written as they arrive so an interrupted download resumes from the last whole chunk.
//
//   model/<id>/<version>                 → ModelRecord
//   chunk/<id>/<slot>/<file>#<n>         → Blob (chunkBytes long, except a file's last chunk); stores
//                                          written before Blobs hold Uint8Array chunks, read alike
//   staging/<id>/<slot>                  → StagingMark (a model being converted on this device)
//
// The slot is the version for downloads. A model converted on this device learns its version (a hash
// of its files) only at the end, so its chunks live under a temporary slot the record points to.
// Components are URI-encoded so ids containing "/" or "#" cannot collide with one another.
import { createStore, delMany, get, getMany, promisifyRequest, set, setMany, type UseStore } from 'idb-keyval';
import type { Manifest } from './manifest.ts';
import type { HashProgress } from './fileHash.ts';

export type ModelState = 'downloading' | 'ready';

/**
 * A stored chunk. Written as a Blob: reading one back hands over a handle, and a file's chunks are
 * then read into a single buffer (one copy into fresh memory, where an ArrayBuffer value is first
 * deserialized into a buffer of its own and then copied again: touching fresh memory can cost more than
 * the copy, docs/decisions/2026-12-04-cached-start-blobs-and-fresh-memory.md). Older stores hold Uint8Array chunks.
 */
export type StoredChunk = Blob | Uint8Array;

/** Bytes of a stored chunk. */
export const chunkSize = (c: StoredChunk): number => (c instanceof Uint8Array ? c.byteLength : c.size);

// Blob parts must be ArrayBuffer-backed views (not SharedArrayBuffer).
const asBlob = (data: Uint8Array): Blob => new Blob([data as Uint8Array<ArrayBuffer>]);

export interface StoredFile {
  bytes: number;
  sha256: string;
  /** Whole chunks stored so far (a file's last chunk may be short). */
  chunks: number;
  /** True once the stored file matched its sha256. */
  verified: boolean;
  /** The file's sha256 state after its first `hash.chunks` chunks (src/store/fileHash.ts). */
  hash?: HashProgress;
}

export interface ModelRecord {
  id: string;
  version: string;
  label: string;
  manifest: Manifest;
  manifestUrl: string;
  state: ModelState;
  /** Key segment of the chunks when it is not the version (models converted on this device). */
  slot?: string;
  /** Chunk size used for this version; fixed when the record is created so resumes line up. */
  chunkBytes: number;
  totalBytes: number;
  files: Record<string, StoredFile>;
  createdAt: number;
  readyAt?: number;
}

/** Marks chunks written by a conversion that has not finished yet (swept if it never does). */
export interface StagingMark {
  id: string;
  slot: string;
  createdAt: number;
}

let db: UseStore | undefined;

/** The store's own database (never the idb-keyval default one, which the app may use for other things). */
export function modelsDb(): UseStore {
  db ??= createStore('sift-models', 'files');
  return db;
}

const enc = encodeURIComponent;

export function recordKey(id: string, version: string): string {
  return `model/${enc(id)}/${enc(version)}`;
}

export function stagingKey(id: string, slot: string): string {
  return `staging/${enc(id)}/${enc(slot)}`;
}

/** The key segment a record's chunks live under. */
export function slotOf(record: Pick<ModelRecord, 'version' | 'slot'>): string {
  return record.slot ?? record.version;
}

export function chunkKey(id: string, slot: string, file: string, index: number): string {
  return `chunk/${enc(id)}/${enc(slot)}/${enc(file)}#${index}`;
}

function chunkPrefix(id: string, slot: string, file?: string): string {
  return `chunk/${enc(id)}/${enc(slot)}/${file === undefined ? '' : `${enc(file)}#`}`;
}

/** Keys starting with `prefix`, read with a key range so chunk values are never loaded. */
async function keysWithPrefix(prefix: string): Promise<string[]> {
  // Encoded components are ASCII, so '\uffff' sorts after every key that has this prefix.
  const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
  return modelsDb()('readonly', (s) => promisifyRequest(s.getAllKeys(range))) as Promise<string[]>;
}

export async function getRecord(id: string, version: string): Promise<ModelRecord | undefined> {
  return get<ModelRecord>(recordKey(id, version), modelsDb());
}

export async function putRecord(record: ModelRecord): Promise<void> {
  await set(recordKey(record.id, record.version), record, modelsDb());
}

/** Every version of `id` (or of every model), in no particular order. */
export async function recordsOf(id?: string): Promise<ModelRecord[]> {
  const keys = await keysWithPrefix(id === undefined ? 'model/' : `model/${enc(id)}/`);
  const records = await getMany<ModelRecord>(keys, modelsDb());
  return records.filter((r): r is ModelRecord => r !== undefined);
}

/**
 * Stores one chunk and the record that counts it in a single transaction: after a crash the record
 * never claims a chunk that is not there.
 */
export async function putChunkAndRecord(record: ModelRecord, file: string, index: number, data: Uint8Array): Promise<void> {
  await setMany(
    [
      [chunkKey(record.id, slotOf(record), file, index), asBlob(data)],
      [recordKey(record.id, record.version), record],
    ],
    modelsDb(),
  );
}

/** Stores chunks of a file under a slot (for conversions, which have no record yet). */
export async function putChunks(id: string, slot: string, file: string, chunks: Uint8Array[], firstIndex = 0): Promise<void> {
  await setMany(
    chunks.map((c, i) => [chunkKey(id, slot, file, firstIndex + i), asBlob(c)]),
    modelsDb(),
  );
}

/** Several chunks of one file, read in a single transaction. */
export async function getChunks(record: ModelRecord, file: string, indices: number[]): Promise<(StoredChunk | undefined)[]> {
  return getMany<StoredChunk>(
    indices.map((i) => chunkKey(record.id, slotOf(record), file, i)),
    modelsDb(),
  );
}

/** Removes every stored chunk of one file (also stray ones beyond the record's count). */
export async function deleteFileChunks(record: ModelRecord, file: string): Promise<void> {
  const keys = await keysWithPrefix(chunkPrefix(record.id, slotOf(record), file));
  if (keys.length) await delMany(keys, modelsDb());
}

/** Removes every chunk stored under a slot. */
export async function deleteSlotChunks(id: string, slot: string): Promise<void> {
  const keys = await keysWithPrefix(chunkPrefix(id, slot));
  if (keys.length) await delMany(keys, modelsDb());
}

/** Removes a version: its chunks first, then its record, so a half-deleted version is never "ready". */
export async function deleteVersion(id: string, version: string): Promise<void> {
  const record = await getRecord(id, version);
  if (record?.state === 'ready') await putRecord({ ...record, state: 'downloading' });
  await deleteSlotChunks(id, record ? slotOf(record) : version);
  await delMany([recordKey(id, version)], modelsDb());
}

export async function putStagingMark(mark: StagingMark): Promise<void> {
  await set(stagingKey(mark.id, mark.slot), mark, modelsDb());
}

export async function deleteStagingMark(id: string, slot: string): Promise<void> {
  await delMany([stagingKey(id, slot)], modelsDb());
}

/** Conversions of `id` that started and never finished or were abandoned. */
export async function stagingMarksOf(id: string): Promise<StagingMark[]> {
  const keys = await keysWithPrefix(`staging/${enc(id)}/`);
  const marks = await getMany<StagingMark>(keys, modelsDb());
  return marks.filter((m): m is StagingMark => m !== undefined);
}
