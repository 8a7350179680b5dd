// Test page for the model store: exposes the store API and an independent view of what IndexedDB
// holds (read with the raw IndexedDB API, not through the store), for e2e/store.spec.ts.
import * as store from '../../src/store/index.ts';
import type { DownloadOptions, DownloadProgress } from '../../src/store/index.ts';
import { chunkSize, type StoredChunk } from '../../src/store/db.ts';
import { writeModelFileInto } from '../../src/store/readModel.ts';

interface RawStoreView {
  chunkKeys: string[];
  chunkBytes: number;
  /** Chunks stored as Blobs (the current format) and as Uint8Array (stores written before). */
  blobChunks: number;
  bytesChunks: number;
  records: { key: string; state: string; version: string }[];
  staging: string[];
}

/** Keys and byte counts of the store's database, read directly. */
async function rawStoreView(): Promise<RawStoreView> {
  const db = await openRaw();
  const view: RawStoreView = { chunkKeys: [], chunkBytes: 0, blobChunks: 0, bytesChunks: 0, records: [], staging: [] };
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('files', 'readonly');
    const req = tx.objectStore('files').openCursor();
    req.onsuccess = () => {
      const cursor = req.result;
      if (!cursor) return;
      const key = String(cursor.key);
      if (key.startsWith('staging/')) {
        view.staging.push(key);
      } else if (key.startsWith('chunk/')) {
        view.chunkKeys.push(key);
        const v = cursor.value as StoredChunk;
        if (v instanceof Blob) view.blobChunks++;
        else view.bytesChunks++;
        view.chunkBytes += chunkSize(v);
      } else {
        view.records.push({ key, state: cursor.value.state, version: cursor.value.version });
      }
      cursor.continue();
    };
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  return view;
}

/** Runs a download and returns a serializable outcome (Playwright cannot pass functions or errors). */
async function tryDownload(
  url: string,
  options: Omit<DownloadOptions, 'onProgress' | 'signal' | 'fetch'> & { abortAtBytes?: number } = {},
) {
  const progress: DownloadProgress[] = [];
  const controller = new AbortController();
  try {
    const report = await store.downloadModel(url, {
      ...options,
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        (window as unknown as { onStoreProgress?: (p: DownloadProgress) => void }).onStoreProgress?.(p);
        if (options.abortAtBytes !== undefined && p.bytesDone >= options.abortAtBytes) controller.abort();
      },
    });
    const { readFile: _, ...model } = report.model;
    return { ok: true as const, ...report, model, progress };
  } catch (err) {
    const e = err as Error & { kind?: string; neededBytes?: number; availableBytes?: number };
    return {
      ok: false as const,
      name: e.name,
      kind: e.kind,
      message: e.message,
      neededBytes: e.neededBytes,
      availableBytes: e.availableBytes,
      progress,
    };
  }
}

/**
 * Rewrites every Blob chunk in the store as a Uint8Array value, as stores written before chunks were
 * Blobs hold them (raw IndexedDB, not through the store). Returns how many were rewritten.
 */
async function rewriteChunksAsBytes(): Promise<number> {
  const db = await openRaw();
  const blobs: [IDBValidKey, Blob][] = [];
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('files', 'readonly');
    const req = tx.objectStore('files').openCursor(IDBKeyRange.bound('chunk/', 'chunk/\uffff'));
    req.onsuccess = () => {
      const c = req.result;
      if (!c) return;
      if (c.value instanceof Blob) blobs.push([c.key, c.value]);
      c.continue();
    };
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  for (const [key, blob] of blobs) {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('files', 'readwrite');
      tx.objectStore('files').put(bytes, key);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
  }
  db.close();
  return blobs.length;
}

/** How readBackHashes reads each file: whole (readModelFile), or written into a buffer of the file's size. */
type ReadBackWay = 'file' | 'reader-into-shared' | 'into-here' | 'into-no-byob';

const sha256 = async (bytes: Uint8Array) => {
  // (subtle.digest takes no view of shared memory: slice() copies into a plain buffer.)
  const digest = await crypto.subtle.digest(
    'SHA-256',
    (bytes.buffer instanceof SharedArrayBuffer ? bytes.slice() : bytes) as Uint8Array<ArrayBuffer>,
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
};

/**
 * sha256 of every file of a ready model, read back one of the store's ways: 'file' (readModelFile),
 * 'reader-into-shared' (the read-ahead Worker writing each file into shared memory, as loads fill
 * onnxruntime's heap), 'into-here' (writeModelFileInto on this thread: Blob chunks streamed with a BYOB
 * reader), 'into-no-byob' (the same where Blob streams are not byte streams: each chunk read whole).
 * `byobReaders` counts the BYOB readers this thread got.
 */
async function readBackHashes(id: string, way: ReadBackWay = 'file') {
  const model = await store.loadReadyModel(id);
  if (!model) return undefined;
  const out: Record<string, { bytes: number; sha256: string }> = {};
  const getReader = ReadableStream.prototype.getReader;
  const stream = Blob.prototype.stream;
  let byobReaders = 0;
  ReadableStream.prototype.getReader = function (this: ReadableStream, options?: { mode?: 'byob' }) {
    const r = getReader.call(this, options as never);
    if (options?.mode === 'byob') byobReaders++; // (counted once the stream gave one)
    return r;
  } as typeof getReader;
  // A default (not byte) stream of the blob's bytes: getReader({ mode: 'byob' }) throws on it.
  if (way === 'into-no-byob')
    Blob.prototype.stream = function (this: Blob) {
      return new ReadableStream({
        start: async (c) => {
          c.enqueue(new Uint8Array(await this.arrayBuffer()));
          c.close();
        },
      });
    } as typeof stream;
  const reader = way === 'reader-into-shared' ? store.openModelReader(model.id, model.version) : null;
  try {
    for (const s of model.manifest.shards) {
      let bytes: Uint8Array;
      if (way === 'file') bytes = await model.readFile(s.file);
      else if (reader) {
        reader.prefetch([{ file: s.file, into: new Uint8Array(new SharedArrayBuffer(s.bytes)) }]);
        bytes = await reader.read(s.file);
      } else {
        bytes = new Uint8Array(s.bytes);
        await writeModelFileInto(model.id, model.version, s.file, bytes);
      }
      out[s.file] = { bytes: bytes.length, sha256: await sha256(bytes) };
    }
  } finally {
    reader?.close();
    ReadableStream.prototype.getReader = getReader;
    Blob.prototype.stream = stream;
  }
  return { version: model.version, files: out, byobReaders };
}

/**
 * Stores the model at `url` through createModelWriter, as an on-device conversion would: files are
 * handed over one by one, the manifest last. `stopAfter` leaves the conversion unfinished.
 */
async function writeFromServer(url: string, opts: { stopAfter?: number; tamper?: string } = {}) {
  const manifest = await (await fetch(url)).json();
  const writer = await store.createModelWriter(manifest.id, { chunkBytes: 1 << 20 });
  try {
    for (const [i, s] of (manifest.shards as { file: string }[]).entries()) {
      if (opts.stopAfter !== undefined && i >= opts.stopAfter) return { ok: false as const, message: 'left unfinished' };
      const bytes = new Uint8Array(await (await fetch(new URL(s.file, new URL(url, location.href)))).arrayBuffer());
      if (s.file === opts.tamper) bytes[0] ^= 1;
      await writer.writeFile(s.file, bytes);
    }
    const model = await writer.finish({ ...manifest, version: `${manifest.version}-local` });
    return { ok: true as const, version: model.version };
  } catch (err) {
    await writer.abort();
    return { ok: false as const, message: (err as Error).message };
  }
}

/** What each stored record says about each of its files (for the download fault tests). */
async function recordFiles() {
  const db = await openRaw();
  const records = await new Promise<
    {
      key: string;
      value: { state: string; version: string; files: Record<string, { chunks: number; verified: boolean; hash?: { chunks: number } }> };
    }[]
  >((resolve, reject) => {
    const tx = db.transaction('files', 'readonly');
    const store = tx.objectStore('files');
    const range = IDBKeyRange.bound('model/', 'model/\uffff');
    const keys = store.getAllKeys(range);
    const values = store.getAll(range);
    tx.oncomplete = () => resolve((keys.result as string[]).map((key, i) => ({ key, value: values.result[i] })));
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  return records.map(({ key, value }) => ({ key, state: value.state, version: value.version, files: value.files }));
}

function openRaw(): Promise<IDBDatabase> {
  return new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open('sift-models');
    req.onupgradeneeded = () => req.result.createObjectStore('files');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

interface ExpectedShard {
  file: string;
  bytes: number;
  sha256: string;
}

/**
 * Watches the database while downloads run (every `intervalMs`, from this page): each time a record is
 * first seen "ready", its chunks are read in the same transaction and every file is hashed and compared
 * with `expected` (the manifest as served), independently of the store's own verification.
 */
let audit: {
  timer: ReturnType<typeof setInterval>;
  polls: number;
  audited: string[];
  violations: string[];
  /** The poll under way, if any. */
  running: Promise<void> | null;
  poll: () => Promise<void>;
} | null = null;

function startReadyAudit(expected: ExpectedShard[], intervalMs = 20): void {
  if (audit) clearInterval(audit.timer);
  const state = {
    timer: 0 as unknown as ReturnType<typeof setInterval>,
    polls: 0,
    audited: [] as string[],
    violations: [] as string[],
    running: null as Promise<void> | null,
    poll: async () => {},
  };
  audit = state;
  const pollOnce = async () => {
    try {
      const db = await openRaw();
      const found = await new Promise<{ key: string; chunks: Map<string, StoredChunk[]> }[]>((resolve, reject) => {
        const tx = db.transaction('files', 'readonly');
        const store = tx.objectStore('files');
        const out: { key: string; chunks: Map<string, StoredChunk[]> }[] = [];
        const req = store.openCursor(IDBKeyRange.bound('model/', 'model/\uffff'));
        req.onsuccess = () => {
          const cursor = req.result;
          if (!cursor) return;
          const key = String(cursor.key);
          const rec = cursor.value as { id: string; version: string; slot?: string; state: string };
          if (rec.state === 'ready' && !state.audited.includes(key)) {
            const entry = { key, chunks: new Map<string, StoredChunk[]>() };
            out.push(entry);
            const prefix = `chunk/${encodeURIComponent(rec.id)}/${encodeURIComponent(rec.slot ?? rec.version)}/`;
            const chunks = store.openCursor(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
            chunks.onsuccess = () => {
              const c = chunks.result;
              if (!c) return;
              const [file, index] = String(c.key).slice(prefix.length).split('#');
              const list = entry.chunks.get(decodeURIComponent(file)) ?? [];
              list[Number(index)] = c.value as StoredChunk;
              entry.chunks.set(decodeURIComponent(file), list);
              c.continue();
            };
          }
          cursor.continue();
        };
        tx.oncomplete = () => resolve(out);
        tx.onerror = () => reject(tx.error);
      });
      db.close();
      state.polls++;
      for (const { key, chunks } of found) {
        state.audited.push(key);
        for (const s of expected) {
          const parts = await Promise.all(
            (chunks.get(s.file) ?? []).map(async (p) => (p instanceof Blob ? new Uint8Array(await p.arrayBuffer()) : p)),
          );
          const bytes = new Uint8Array(parts.reduce((n, p) => n + (p?.length ?? 0), 0));
          let o = 0;
          for (const p of parts) if (p) bytes.set(p, (o += p.length) - p.length);
          const digest = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes)), (b) =>
            b.toString(16).padStart(2, '0'),
          ).join('');
          if (parts.includes(undefined as unknown as Uint8Array) || bytes.length !== s.bytes || digest !== s.sha256) {
            state.violations.push(
              `${key} was marked ready while ${s.file} held ${bytes.length} bytes with sha256 ${digest.slice(0, 12)}… (expected ${s.bytes}, ${s.sha256.slice(0, 12)}…)`,
            );
          }
        }
      }
    } catch (err) {
      state.violations.push(`audit failed: ${(err as Error).message}`);
    }
  };
  // One poll at a time: a call while one runs waits for that one.
  const poll = () =>
    (state.running ??= pollOnce().finally(() => {
      state.running = null;
    }));
  state.poll = poll;
  state.timer = setInterval(() => void poll(), intervalMs);
}

async function stopReadyAudit() {
  if (!audit) return { polls: 0, audited: [], violations: ['no audit was running'] };
  const a = audit;
  audit = null;
  clearInterval(a.timer);
  await a.running; // a poll under way finishes
  await a.poll(); // the state the downloads left behind
  return { polls: a.polls, audited: a.audited, violations: a.violations };
}

const api = {
  store,
  tryDownload,
  rawStoreView,
  rewriteChunksAsBytes,
  readBackHashes,
  writeFromServer,
  recordFiles,
  startReadyAudit,
  stopReadyAudit,
};
export type StoreTestApi = typeof api;
(window as unknown as { storeTest: StoreTestApi }).storeTest = api;
document.body.dataset.ready = 'true';
