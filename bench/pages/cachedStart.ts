// The store side: a model downloaded into IndexedDB, read raw and through the store's reader, and
// loaded as the worker loads it (cached start), plus diagnostics of its parts.
import { getOrt, sessionCreate, wasmHeapBytes } from './runtime.ts';
import { instrument, loaded, release, tokenizerOf } from './engineRuns.ts';
import { startModel, type StartedModel } from '../../src/engine/startModel.ts';
import { isOrtGraph } from '../../src/engine/session.ts';
import { createInPlace, startedOrtHeap } from '../../src/engine/inPlaceSession.ts';
import type { Manifest } from '../../src/model/manifest.ts';
import * as store from '../../src/store/index.ts';

export async function storeDownload(manifestUrl: string) {
  const t0 = performance.now();
  const r = await store.downloadModel(new URL(manifestUrl, location.href).href);
  return { ms: performance.now() - t0, fetchedBytes: r.fetchedBytes, id: r.model.id, version: r.model.version, bytes: r.model.bytes };
}

export async function storeDelete(id: string) {
  await store.deleteModel(id);
}

/**
 * Reads every stored chunk of a model version with the bare IndexedDB API: one transaction, a cursor,
 * and each Blob chunk's bytes read out (one after another, the fastest way here).
 */
export async function rawRead(id: string, version: string) {
  const t0 = performance.now();
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open('sift-models');
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  const prefix = `chunk/${encodeURIComponent(id)}/${encodeURIComponent(version)}/`;
  let bytes = 0;
  let chunks = 0;
  const blobs: Blob[] = [];
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction('files', 'readonly');
    const req = tx.objectStore('files').openCursor(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
    req.onsuccess = () => {
      const c = req.result;
      if (!c) return;
      const v = c.value as Blob | Uint8Array;
      if (v instanceof Blob) blobs.push(v);
      else bytes += v.byteLength;
      chunks++;
      c.continue();
    };
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  for (const b of blobs) bytes += (await b.arrayBuffer()).byteLength;
  return { ms: performance.now() - t0, bytes, chunks };
}

/** Reads every file of a stored model through the store's read-ahead reader (what a load reads), nothing else running. */
export async function readerRead(id: string, version: string) {
  const t0 = performance.now();
  const ready = await store.loadReadyModel(id);
  if (!ready || ready.version !== version) throw new Error(`model ${id} ${version} is not stored`);
  const files = [...new Set(ready.manifest.shards.map((s) => s.file))];
  const reader = store.openModelReader(id, version);
  let bytes = 0;
  try {
    reader.prefetch(files);
    for (const f of files) bytes += (await reader.read(f)).byteLength;
  } finally {
    reader.close();
  }
  return { ms: performance.now() - t0, bytes, files: files.length };
}

/**
 * What the worker does on "Load model" when every shard is in IndexedDB (workers/sift.worker.ts
 * compile()): downloadModel (a manifest fetch: the version is ready), then startModel — the
 * tokenizer and the sessions — reading through the store's read-ahead Worker. The first call in a
 * page also pays onnxruntime's wasm start-up (the runner starts the runtime first, timed apart).
 */
export async function cachedStart(key: string, manifestUrl: string) {
  await release(key);
  const t0 = performance.now();
  const o = await getOrt();
  const tOrt = performance.now();
  const ready = (await store.downloadModel(new URL(manifestUrl, location.href).href)).model;
  const tObtain = performance.now();
  sessionCreate.ms = 0;
  const reader = store.openModelReader(ready.id, ready.version);
  let started: StartedModel;
  try {
    started = await startModel(o, ready.manifest, reader, { executionProviders: ['wasm'], backend: 'wasm' });
  } finally {
    reader.close();
  }
  const t1 = performance.now();
  const { model, tokenizer } = started;
  // Reads finished, in ms after startModel began (as the timeline's marks).
  const base = performance.timeOrigin + tObtain;
  const reads = Object.fromEntries(reader.timings.map((r) => [`read:${r.file}`, Math.round(r.doneAt - base)]));
  instrument(model);
  loaded.set(key, { model, tokenizer });
  return {
    ms: t1 - t0,
    ortInitMs: tOrt - t0,
    obtainMs: tObtain - tOrt,
    sessionCreateMs: sessionCreate.ms,
    tokenizerMs: started.tokenizerMs,
    wasmHeapMB: wasmHeapBytes() / 2 ** 20,
    linear: model.linear,
    graphs: model.graphs,
    timeline: { ...model.loadTimeline, tokenizer: started.tokenizerMs, ...reads },
    id: ready.id,
    version: ready.version,
  };
}

/** One graph of a converted model over HTTP: its .onnx bytes and its external-data shards. */
async function fetchGraph(base: string, graph: 'vision' | 'decoder') {
  const url = (f: string) => new URL(f, new URL(base, location.href)).href;
  const bytes = async (f: string) => new Uint8Array(await (await fetch(url(f))).arrayBuffer());
  const g = ((await (await fetch(url('manifest.json'))).json()) as Manifest).graphs[graph];
  const model: Uint8Array = await bytes(g.file);
  const externalData: { path: string; data: Uint8Array }[] = await Promise.all(
    g.shards.map(async (path) => ({ path, data: await bytes(path) })),
  );
  return { model, externalData };
}

/** Session creation alone for one graph of a model over HTTP, at an optimization level (diagnostics). */
export async function createProbe(
  base: string,
  graph: 'vision' | 'decoder',
  level: 'disabled' | 'basic' | 'extended' | 'all',
  verbose = false,
  extra: Record<string, unknown> = {},
) {
  const o = await getOrt();
  const { model, externalData } = await fetchGraph(base, graph);
  const t0 = performance.now();
  const session = await o.InferenceSession.create(model, {
    executionProviders: ['wasm'],
    graphOptimizationLevel: level,
    externalData,
    ...extra,
    ...(verbose ? { logSeverityLevel: 0 as const, logVerbosityLevel: 0 } : {}),
  });
  const ms = performance.now() - t0;
  await session.release();
  return { graph, level, ms, bytes: externalData.reduce((n, e) => n + e.data.byteLength, 0), wasmHeapMB: wasmHeapBytes() / 2 ** 20 };
}

/**
 * Diagnostics: a graph's session built (bytes fetched beforehand) while the store's reader Worker reads
 * a stored model; returns both times and each alone is measured by the caller.
 */
export async function createWhileReading(
  base: string,
  graph: 'vision' | 'decoder',
  id: string,
  version: string,
  delayMs = 400,
  extra: Record<string, unknown> = {},
) {
  const o = await getOrt();
  const { model, externalData } = await fetchGraph(base, graph);
  const read = id ? readerRead(id, version) : Promise.resolve({ ms: 0 });
  await new Promise((r) => setTimeout(r, delayMs));
  const t0 = performance.now();
  const session = await o.InferenceSession.create(model, { executionProviders: ['wasm'], externalData, ...extra });
  const createMs = performance.now() - t0;
  await session.release();
  return { createMs, readMs: (await read).ms };
}

/**
 * The parts of a cached start one after another (nothing overlapped), for diagnosis: reading every
 * file through the store, each session, the tokenizer.
 */
export async function loadParts(manifestUrl: string) {
  const o = await getOrt();
  const ready = (await store.downloadModel(new URL(manifestUrl, location.href).href)).model;
  const m = ready.manifest;
  const t: Record<string, number> = {};
  let t0 = performance.now();
  const files = new Map<string, Uint8Array>();
  for (const s of m.shards) files.set(s.file, await store.readModelFile(ready.id, ready.version, s.file));
  t.readAll = performance.now() - t0;
  for (const g of ['vision', 'decoder'] as const) {
    const model = files.get(m.graphs[g].file)!;
    const externalData = m.graphs[g].shards.map((path) => ({ path, data: files.get(path)! }));
    t0 = performance.now();
    const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' as const };
    // ORT-format graphs as loads build them: copied into a heap block, used in place (the copy counts here).
    const s = isOrtGraph(m.graphs[g])
      ? await createInPlace(o, (await startedOrtHeap(o))!, [model], model.byteLength, options)
      : await o.InferenceSession.create(model, { ...options, externalData });
    t[`${g}Create`] = performance.now() - t0;
    await s.release();
  }
  t0 = performance.now();
  await tokenizerOf(m, async (f) => files.get(f) ?? store.readModelFile(ready.id, ready.version, f));
  t.tokenizer = performance.now() - t0;
  return t;
}
