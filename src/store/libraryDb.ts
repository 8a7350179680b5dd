// The browser's library index: a LibraryStore on IndexedDB (database `sift-library-<name>`). A file's
// record, its vectors and its entries are written in one transaction, so a file is either wholly
// indexed or absent (a reload in the middle of a write leaves nothing half-written). Vectors are kept
// compactly (int8 by default, float16 possible: LibraryMeta.format); thumbnails as Blobs.
//
//   meta     'meta' → LibraryMeta; other small records of the library's (its folder, its last failures)
//   files    path → FileRecord (what the indexer compares; no vectors, so listing stays cheap)
//   vectors  path → {path, format, dims, bytes} (every segment's vector of the file, one after another)
//   entries  [path, segment] → EntryRecord (a segment's window and thumbnail, read for results only)
//
// search() is an exact cosine scan over every stored vector, held in memory after the first search
// (N × dims bytes for int8) and kept up to date by this store's writes; another tab's writes (a
// BroadcastChannel message) drop it, to be read again.
import type { IndexedFile, LibraryEntry, LibraryHit, LibraryKind, LibraryMeta, LibraryStore } from './libraryIndex.ts';
import { LibraryError } from './libraryIndex.ts';
import { encodeVector, fromHalf, type VectorFormat } from './vectorCodec.ts';

interface FileRecord {
  path: string;
  kind: LibraryKind;
  size: number;
  mtimeMs: number;
  hash: string;
  segments: number;
  duration?: number;
  /** An image's caption file (image+caption items). */
  caption?: string;
}

/** A hit with the item's caption file, which the library's rerank documents need. */
export type IdbLibraryHit = LibraryHit & { caption?: string };

interface VectorRecord {
  path: string;
  format: VectorFormat;
  dims: number;
  bytes: Uint8Array;
}

interface EntryRecord {
  path: string;
  segment: number;
  start?: number;
  end?: number;
  thumbnail?: Blob;
}

/** One file's vectors in memory, in their stored format, with each vector's norm (quantized vectors are not unit). */
interface CachedFile {
  values: Int8Array | Uint16Array;
  norms: Float32Array;
}

const STORES = ['meta', 'files', 'vectors', 'entries'] as const;
type StoreName = (typeof STORES)[number];

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new DOMException('the library write was aborted', 'AbortError'));
  });
}

/** Every entry key of `path`: [path, n] for any number n lies between [path] and [path, []]. */
const entriesOf = (path: string) => IDBKeyRange.bound([path], [path, []]);

let halfTable: Float32Array | undefined;
/** float16 bits → value, for all 65,536 bit patterns (the scan reads f16 vectors through it). */
function halves(): Float32Array {
  halfTable ??= Float32Array.from({ length: 65536 }, (_, h) => fromHalf(h));
  return halfTable;
}

function cachedOf(v: VectorRecord): CachedFile {
  const count = v.bytes.byteLength / (v.dims * (v.format === 'i8' ? 1 : 2));
  const copy = v.bytes.slice().buffer;
  const values = v.format === 'i8' ? new Int8Array(copy) : new Uint16Array(copy);
  const table = v.format === 'f16' ? halves() : null;
  const norms = new Float32Array(count);
  for (let s = 0; s < count; s++) {
    let sum = 0;
    for (let i = s * v.dims; i < (s + 1) * v.dims; i++) {
      const x = table ? table[values[i]] : values[i];
      sum += x * x;
    }
    norms[s] = Math.sqrt(sum);
  }
  return { values, norms };
}

export class IdbLibraryStore implements LibraryStore {
  /** Caption file of each image+caption item being indexed (the port's entries do not carry it): stored with the file. */
  captions = new Map<string, string>();
  private cache: Map<string, CachedFile> | null = null;
  private loading: Promise<Map<string, CachedFile>> | null = null;
  /** Counts writes (here or in another tab), so a read of every vector that overlapped one is done again. */
  private generation = 0;
  private channel: BroadcastChannel | null = null;

  private constructor(
    private db: IDBDatabase,
    readonly name: string,
  ) {
    if (typeof BroadcastChannel !== 'undefined') {
      this.channel = new BroadcastChannel(`sift-library-${name}`);
      this.channel.onmessage = () => this.dropCache();
    }
    // Another tab deleting or upgrading the database: let it, and fail from then on.
    db.onversionchange = () => db.close();
  }

  /** Opens (creating if needed) the library `name` of this origin. */
  static async open(name = 'default'): Promise<IdbLibraryStore> {
    const open = indexedDB.open(`sift-library-${name}`, 1);
    open.onupgradeneeded = () => {
      const db = open.result;
      db.createObjectStore('meta');
      db.createObjectStore('files', { keyPath: 'path' });
      db.createObjectStore('vectors', { keyPath: 'path' });
      db.createObjectStore('entries', { keyPath: ['path', 'segment'] });
    };
    return new IdbLibraryStore(await req(open), name);
  }

  close(): void {
    this.channel?.close();
    this.db.close();
  }

  private tx(stores: StoreName | StoreName[], mode: IDBTransactionMode = 'readonly'): IDBTransaction {
    return this.db.transaction(stores, mode, { durability: 'strict' });
  }

  /** A small record of the library's own (its folder handle, its last failures), beside the meta. */
  async getValue<T>(key: string): Promise<T | undefined> {
    return req(this.tx('meta').objectStore('meta').get(key)) as Promise<T | undefined>;
  }

  async setValue(key: string, value: unknown): Promise<void> {
    const tx = this.tx('meta', 'readwrite');
    if (value === undefined) tx.objectStore('meta').delete(key);
    else tx.objectStore('meta').put(value, key);
    await done(tx);
  }

  async meta(): Promise<LibraryMeta | null> {
    return (await this.getValue<LibraryMeta>('meta')) ?? null;
  }

  async setMeta(meta: LibraryMeta): Promise<void> {
    await this.setValue('meta', meta);
  }

  async files(): Promise<Map<string, IndexedFile>> {
    const records = (await req(this.tx('files').objectStore('files').getAll())) as FileRecord[];
    // Written in one transaction with all their entries: every stored file is complete.
    return new Map(
      records.map((r) => [
        r.path,
        { path: r.path, size: r.size, mtimeMs: r.mtimeMs, hash: r.hash, segments: r.segments, stored: r.segments },
      ]),
    );
  }

  async putFile(path: string, entries: LibraryEntry[]): Promise<void> {
    const meta = await this.meta();
    if (!meta) throw new LibraryError('bad-library', 'the library has no meta yet (setMeta first)');
    if (!entries.length) return this.removeFiles([path]);
    const first = entries[0];
    const per = meta.dims * (meta.format === 'i8' ? 1 : 2);
    const bytes = new Uint8Array(per * entries.length);
    entries.forEach((e, i) => {
      if (e.path !== path || e.vector.length !== meta.dims)
        throw new LibraryError('bad-library', `an entry of ${path} has ${e.vector.length} values for a ${meta.dims}-dimension index`);
      bytes.set(encodeVector(e.vector, meta.format), i * per);
    });
    const file: FileRecord = {
      path,
      kind: first.kind,
      size: first.size,
      mtimeMs: first.mtimeMs,
      hash: first.hash,
      segments: entries.length,
      ...(first.duration !== undefined ? { duration: first.duration } : {}),
      ...(first.kind === 'image+caption' && this.captions.has(path) ? { caption: this.captions.get(path) } : {}),
    };
    const vectors: VectorRecord = { path, format: meta.format, dims: meta.dims, bytes };
    const tx = this.tx(['files', 'vectors', 'entries'], 'readwrite');
    const store = tx.objectStore('entries');
    store.delete(entriesOf(path));
    for (const e of entries) {
      const record: EntryRecord = { path, segment: e.segment };
      if (e.start !== undefined) Object.assign(record, { start: e.start, end: e.end });
      if (e.thumbnail) record.thumbnail = new Blob([e.thumbnail as Uint8Array<ArrayBuffer>], { type: 'image/jpeg' });
      store.put(record);
    }
    tx.objectStore('vectors').put(vectors);
    tx.objectStore('files').put(file);
    await done(tx);
    this.cache?.set(path, cachedOf(vectors));
    this.announce();
  }

  async removeFiles(paths: string[]): Promise<void> {
    if (!paths.length) return;
    const tx = this.tx(['files', 'vectors', 'entries'], 'readwrite');
    for (const p of paths) {
      tx.objectStore('files').delete(p);
      tx.objectStore('vectors').delete(p);
      tx.objectStore('entries').delete(entriesOf(p));
    }
    await done(tx);
    for (const p of paths) this.cache?.delete(p);
    this.announce();
  }

  async touchFile(path: string, size: number, mtimeMs: number): Promise<void> {
    const tx = this.tx('files', 'readwrite');
    const files = tx.objectStore('files');
    const record = (await req(files.get(path))) as FileRecord | undefined;
    if (record) files.put({ ...record, size, mtimeMs });
    await done(tx);
  }

  /** Stored entries (a file, or one segment of a long video, each). */
  async count(): Promise<number> {
    return req(this.tx('entries').objectStore('entries').count());
  }

  /** Stored files (items). */
  async fileCount(): Promise<number> {
    return req(this.tx('files').objectStore('files').count());
  }

  /** Removes every entry, the meta and the last run's report; the library's folder record stays. */
  async clear(): Promise<void> {
    const tx = this.tx([...STORES], 'readwrite');
    for (const s of STORES) if (s !== 'meta') tx.objectStore(s).clear();
    for (const key of ['meta', 'lastIndexed']) tx.objectStore('meta').delete(key);
    await done(tx);
    this.cache = new Map();
    this.announce();
  }

  async search(query: Float32Array, k: number): Promise<IdbLibraryHit[]> {
    const meta = await this.meta();
    if (!meta || !(k >= 1)) return [];
    if (query.length !== meta.dims)
      throw new LibraryError('bad-library', `the query has ${query.length} values; this index holds ${meta.dims}`);
    const cache = await this.vectorsInMemory();
    let qNorm = 0;
    for (const x of query) qNorm += x * x;
    qNorm = Math.sqrt(qNorm) || 1;
    const table = meta.format === 'f16' ? halves() : null;
    const dims = meta.dims;
    const best: { path: string; segment: number; similarity: number }[] = [];
    for (const [path, { values, norms }] of cache) {
      for (let s = 0; s < norms.length; s++) {
        let dot = 0;
        const base = s * dims;
        if (table) for (let i = 0; i < dims; i++) dot += query[i] * table[values[base + i]];
        else for (let i = 0; i < dims; i++) dot += query[i] * values[base + i];
        const similarity = norms[s] > 0 ? dot / (norms[s] * qNorm) : 0;
        if (best.length === k && similarity <= best[k - 1].similarity) continue;
        let at = best.length;
        while (at > 0 && best[at - 1].similarity < similarity) at--;
        best.splice(at, 0, { path, segment: s, similarity });
        if (best.length > k) best.pop();
      }
    }
    return this.hitsOf(best);
  }

  /** The scan's winners with what a result shows (file fields, window, thumbnail bytes). */
  private async hitsOf(best: { path: string; segment: number; similarity: number }[]): Promise<IdbLibraryHit[]> {
    const tx = this.tx(['files', 'entries']);
    const files = new Map<string, Promise<FileRecord | undefined>>();
    const rows = best.map((b) => {
      if (!files.has(b.path)) files.set(b.path, req(tx.objectStore('files').get(b.path)));
      return Promise.all([files.get(b.path)!, req(tx.objectStore('entries').get([b.path, b.segment])) as Promise<EntryRecord | undefined>]);
    });
    const read = await Promise.all(rows);
    const hits: IdbLibraryHit[] = [];
    for (const [i, [file, entry]] of read.entries()) {
      if (!file || !entry) continue; // removed meanwhile
      hits.push({
        entry: {
          path: file.path,
          kind: file.kind,
          size: file.size,
          mtimeMs: file.mtimeMs,
          hash: file.hash,
          segment: entry.segment,
          segments: file.segments,
          ...(entry.start !== undefined ? { start: entry.start, end: entry.end } : {}),
          ...(file.duration !== undefined ? { duration: file.duration } : {}),
          ...(entry.thumbnail ? { thumbnail: new Uint8Array(await entry.thumbnail.arrayBuffer()) } : {}),
        },
        similarity: best[i].similarity,
        ...(file.caption ? { caption: file.caption } : {}),
      });
    }
    return hits;
  }

  /** Every stored vector, read once (in pages, so no single read holds them all twice) and kept. */
  private vectorsInMemory(): Promise<Map<string, CachedFile>> {
    if (this.cache) return Promise.resolve(this.cache);
    this.loading ??= (async () => {
      for (;;) {
        const generation = this.generation;
        const cache = new Map<string, CachedFile>();
        let after: string | null = null;
        for (;;) {
          const range: IDBKeyRange | undefined = after === null ? undefined : IDBKeyRange.lowerBound(after, true);
          const page = (await req(this.tx('vectors').objectStore('vectors').getAll(range, 512))) as VectorRecord[];
          for (const v of page) cache.set(v.path, cachedOf(v));
          if (page.length < 512) break;
          after = page[page.length - 1].path;
        }
        if (generation === this.generation) return cache;
      }
    })().finally(() => (this.loading = null));
    return this.loading.then((cache) => (this.cache = cache));
  }

  private dropCache(): void {
    this.generation++;
    this.cache = null;
  }

  private announce(): void {
    this.generation++;
    this.channel?.postMessage('changed');
  }
}
