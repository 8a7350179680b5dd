// Test page for the model store: exposes the store API and an independent view of what IndexedDB
// holds (read with the raw IndexedDB API, not through the store), for e2e/store.spec.ts.
import * as store from '../../src/store/index.ts';
import type { DownloadOptions, DownloadProgress } from '../../src/store/index.ts';

interface RawStoreView {
  chunkKeys: string[];
  chunkBytes: number;
  records: { key: string; state: string; version: string }[];
  staging: string[];
}

/** Keys and byte counts of the store's database, read directly. */
async function rawStoreView(): Promise<RawStoreView> {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open('sift-models');
    req.onupgradeneeded = () => req.result.createObjectStore('files');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const view: RawStoreView = { chunkKeys: [], chunkBytes: 0, records: [], staging: [] };
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
        view.chunkBytes += (cursor.value as Uint8Array).byteLength;
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
async function tryDownload(url: string, options: Omit<DownloadOptions, 'onProgress' | 'signal' | 'fetch'> & { abortAtBytes?: number } = {}) {
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
    return { ok: false as const, name: e.name, kind: e.kind, message: e.message, neededBytes: e.neededBytes, availableBytes: e.availableBytes, progress };
  }
}

/** sha256 of every file of a ready model, read back through readModelFile. */
async function readBackHashes(id: string) {
  const model = await store.loadReadyModel(id);
  if (!model) return undefined;
  const out: Record<string, { bytes: number; sha256: string }> = {};
  for (const s of model.manifest.shards) {
    const bytes = await model.readFile(s.file);
    const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
    out[s.file] = { bytes: bytes.length, sha256: Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('') };
  }
  return { version: model.version, files: out };
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

const api = { store, tryDownload, rawStoreView, readBackHashes, writeFromServer };
export type StoreTestApi = typeof api;
(window as unknown as { storeTest: StoreTestApi }).storeTest = api;
document.body.dataset.ready = 'true';
