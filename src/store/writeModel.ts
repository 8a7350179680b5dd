// Storing a model converted on this device (e.g. from an official checkpoint in the worker). The
// converter hands over files as it produces them; their version is a hash of all of them, known only
// at the end, so chunks go under a temporary slot and the record naming that slot is written last.
// A conversion that dies half-way leaves a staging mark, and the next writer for the id sweeps it.
import type { Manifest } from './manifest.ts';
import {
  deleteFileChunks,
  deleteSlotChunks,
  deleteStagingMark,
  getRecord,
  putChunks,
  putRecord,
  putStagingMark,
  stagingMarksOf,
  type ModelRecord,
  type StoredFile,
} from './db.ts';
import { ModelStoreError } from './errors.ts';
import { explainQuotaError } from './quota.ts';
import { evictOtherVersions, readyModelOf, type ReadyModel } from './readModel.ts';
import { DEFAULT_CHUNK_BYTES } from './downloadModel.ts';
import { sha256Hex } from './fileHash.ts';

export interface ModelWriter {
  /** Stores one file of the model (once per file, any order). */
  writeFile(file: string, bytes: Uint8Array): Promise<void>;
  /** Checks the written files against `manifest`, makes that version ready and evicts older ones. */
  finish(manifest: Manifest): Promise<ReadyModel>;
  /** Drops everything written so far. */
  abort(): Promise<void>;
}

/** Holds the model's Web Lock (shared with downloadModel) until the returned release is called. */
function holdModelLock(id: string, signal?: AbortSignal): Promise<() => void> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (!locks) return Promise.resolve(() => {});
  return new Promise((granted, fail) => {
    locks.request(`sift-model-store:${id}`, { signal }, () => new Promise<void>((release) => granted(release))).catch(fail);
  });
}

/** Removes what conversions that died half-way left for this id (their staging marks and chunks). */
async function sweepAbandonedSlots(id: string): Promise<void> {
  for (const mark of await stagingMarksOf(id)) {
    await deleteSlotChunks(id, mark.slot);
    await deleteStagingMark(id, mark.slot);
  }
}

/** Writes `bytes` as chunks of `file` under `slot`; returns the file's entry for the record. */
async function storedFile(id: string, slot: string, file: string, bytes: Uint8Array, chunkBytes: number): Promise<StoredFile> {
  const count = Math.ceil(bytes.length / chunkBytes);
  try {
    // A few chunks per transaction (copies, as the converter may reuse its buffers); the file
    // only counts once finish() lists it, so these need not be atomic together.
    for (let i = 0; i < count; i += 4) {
      const batch: Uint8Array[] = [];
      for (let j = i; j < Math.min(i + 4, count); j++) batch.push(bytes.slice(j * chunkBytes, (j + 1) * chunkBytes));
      await putChunks(id, slot, file, batch, i);
    }
  } catch (err) {
    throw await explainQuotaError(err, id, bytes.length, bytes.length);
  }
  return { bytes: bytes.length, sha256: await sha256Hex(bytes), chunks: count, verified: true };
}

/** Throws unless every file `manifest` lists was written with its size and sha256. */
function checkWrittenAgainst(manifest: Manifest, files: Record<string, StoredFile>, id: string): void {
  for (const s of manifest.shards) {
    const f = files[s.file];
    if (!f) throw new ModelStoreError('integrity', `Converted model ${id}: ${s.file} is listed in the manifest but was never written`);
    if (f.bytes !== s.bytes || f.sha256 !== s.sha256) {
      throw new ModelStoreError('integrity', `Converted model ${id}: ${s.file} does not match its manifest entry (size or sha256)`);
    }
  }
}

/** The ready record of the written slot, listing the manifest's files. */
function readyRecordOf(manifest: Manifest, files: Record<string, StoredFile>, id: string, slot: string, chunkBytes: number): ModelRecord {
  const listed = Object.fromEntries(manifest.shards.map((s) => [s.file, files[s.file]]));
  const now = Date.now();
  return {
    id,
    version: manifest.version,
    label: manifest.label || id,
    manifest,
    manifestUrl: 'local',
    state: 'ready',
    slot,
    chunkBytes,
    totalBytes: manifest.shards.reduce((n, s) => n + s.bytes, 0),
    files: listed,
    createdAt: now,
    readyAt: now,
  };
}

/** A writer for a model with id `id`; waits while another tab downloads or converts the same id. */
export async function createModelWriter(id: string, options: { chunkBytes?: number; signal?: AbortSignal } = {}): Promise<ModelWriter> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const release = await holdModelLock(id, options.signal);
  try {
    await sweepAbandonedSlots(id);
    const slot = `local-${crypto.randomUUID()}`;
    await putStagingMark({ id, slot, createdAt: Date.now() });
    const files: Record<string, StoredFile> = {};
    let closed = false;

    const close = async (keepChunks: boolean) => {
      if (closed) return;
      closed = true;
      try {
        if (!keepChunks) await deleteSlotChunks(id, slot);
        await deleteStagingMark(id, slot);
      } finally {
        release();
      }
    };
    const assertOpen = () => {
      if (closed) throw new Error(`model writer for ${id} is already finished or aborted`);
    };

    return {
      async writeFile(file, bytes) {
        assertOpen();
        if (files[file]) throw new Error(`model writer for ${id}: ${file} was written twice`);
        files[file] = await storedFile(id, slot, file, bytes, chunkBytes);
      },

      async finish(manifest) {
        assertOpen();
        if (manifest.id !== id) throw new Error(`model writer for ${id} got a manifest for ${manifest.id}`);
        checkWrittenAgainst(manifest, files, id);
        const existing = await getRecord(id, manifest.version);
        if (existing?.state === 'ready') {
          // The same content is already stored: keep that copy.
          await close(false);
          return readyModelOf(existing);
        }
        const record = readyRecordOf(manifest, files, id, slot, chunkBytes);
        try {
          await putRecord(record);
          for (const file of Object.keys(files)) if (!record.files[file]) await deleteFileChunks(record, file);
          await close(true);
          await evictOtherVersions(id, manifest.version);
        } catch (err) {
          await close(false).catch(() => {});
          throw err;
        }
        return readyModelOf(record);
      },

      async abort() {
        await close(false);
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}
