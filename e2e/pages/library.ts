// Test page for the public Library API (e2e/library.spec.ts): the folder is picked through a real
// `webkitdirectory` input (Playwright's setInputFiles on a directory), indexed and searched by a
// `new Library()` in its two real workers (the built-in tiny embedding model and reranker, WASM), and
// the IndexedDB index is read back raw to check that no file is half-written.
import { Library, Reranker, type LibraryOptions, type LibraryProgress, type LibraryResult } from '../../src/lib/index.ts';
import { createClient } from '../../src/lib/workerClient.ts';

let library: Library | null = null;
const progress: LibraryProgress[] = [];
let running: Promise<unknown> | null = null;

const picked = () => Array.from((document.getElementById('folder') as HTMLInputElement).files ?? []);

function outcome<T>(run: () => Promise<T>) {
  const started = performance.now();
  return run().then(
    (value) => ({ ok: true as const, value, ms: performance.now() - started }),
    (err: Error & { code?: string }) => ({
      ok: false as const,
      name: err.name,
      code: err.code,
      message: err.message,
      ms: performance.now() - started,
    }),
  );
}

/** A result as JSON: the thumbnail becomes its type and size. */
const plain = (r: LibraryResult) => ({ ...r, thumbnail: r.thumbnail ? { type: r.thumbnail.type, size: r.thumbnail.size } : undefined });

/** Every stored file's record, its vector bytes and its entries, read straight from IndexedDB. */
async function rawIndex(name: string) {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const open = indexedDB.open(`sift-library-${name}`);
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  const all = <T>(store: string) =>
    new Promise<T[]>((resolve, reject) => {
      const r = db.transaction(store).objectStore(store).getAll();
      r.onsuccess = () => resolve(r.result as T[]);
      r.onerror = () => reject(r.error);
    });
  const files = await all<{ path: string; segments: number; kind: string; caption?: string }>('files');
  const vectors = await all<{ path: string; bytes: Uint8Array; dims: number; format: string }>('vectors');
  const entries = await all<{ path: string; segment: number; thumbnail?: Blob }>('entries');
  db.close();
  return {
    files: files.map((f) => ({
      path: f.path,
      kind: f.kind,
      caption: f.caption,
      segments: f.segments,
      entries: entries.filter((e) => e.path === f.path).length,
      thumbnails: entries.filter((e) => e.path === f.path && e.thumbnail && e.thumbnail.size > 0).length,
      vectorBytes: vectors.find((v) => v.path === f.path)?.bytes.byteLength ?? 0,
      bytesPerVector: (vectors[0]?.dims ?? 0) * (vectors[0]?.format === 'f16' ? 2 : 1),
    })),
    orphanVectors: vectors.filter((v) => !files.some((f) => f.path === v.path)).length,
    orphanEntries: entries.filter((e) => !files.some((f) => f.path === e.path)).length,
  };
}

const api = {
  open(options: LibraryOptions) {
    library = new Library({ backend: 'wasm', assetsUrl: '/', ...options });
    progress.length = 0;
  },
  load: () => outcome(() => library!.load()),
  addPicked: () => outcome(() => library!.addFolder(picked())),
  folder: () => outcome(() => library!.folder()),
  index: () =>
    outcome(() => {
      progress.length = 0;
      return library!.index({ onProgress: (p) => progress.push(p) });
    }),
  /** Starts indexing without waiting (the reload test). */
  startIndex() {
    progress.length = 0;
    running = library!.index({ onProgress: (p) => progress.push(p) }).catch(() => {});
  },
  progress: () => progress.slice(),
  async search(query: string | { image: string }, options: { top?: number; candidates?: number; instruction?: string } = {}) {
    const q = typeof query === 'string' ? query : { image: picked().find((f) => f.webkitRelativePath.endsWith(`/${query.image}`))! };
    const events: { path: string; start?: number; rank: number; error?: string; ranking: string[] }[] = [];
    const r = await outcome(() =>
      library!.search(q, {
        ...options,
        onResult: (res, ranking) =>
          events.push({ path: res.path, start: res.start, rank: res.rank, error: res.error?.message, ranking: ranking.map((x) => x.path) }),
      }),
    );
    return r.ok ? { ...r, value: { results: r.value.results.map(plain), failed: r.value.failed.map(plain) }, events } : { ...r, events };
  },
  status: () => outcome(() => library!.status()),
  rawIndex,
  /** Copies picked files into the origin-private file system under `dir` and adds that directory handle. */
  async addOpfsFolder(dir: string, paths: Record<string, string>) {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(dir, { recursive: true }).catch(() => {});
    const top = await root.getDirectoryHandle(dir, { create: true });
    for (const [from, to] of Object.entries(paths)) {
      const file = picked().find((f) => f.webkitRelativePath.endsWith(`/${from}`))!;
      const parts = to.split('/');
      let at = top;
      for (const part of parts.slice(0, -1)) at = await at.getDirectoryHandle(part, { create: true });
      const w = await (await at.getFileHandle(parts[parts.length - 1], { create: true })).createWritable();
      await w.write(file);
      await w.close();
    }
    return outcome(() => library!.addFolder(top));
  },
  /** rerank() on the embedding model and embed() on the reranker: both refused, with what to do. */
  async kindErrors() {
    const reranker = new Reranker({ model: { kind: 'builtin-tiny-embed' }, backend: 'wasm', assetsUrl: '/' });
    const rerank = await outcome(() => reranker.processDetailed({ query: { text: 'q' }, documents: [{ text: 'd' }] }));
    await reranker.terminate();
    const client = await createClient();
    await client.configure({ assetsUrl: '/' });
    const embed = await outcome(async () => {
      await client.load({ kind: 'builtin-tiny' }, undefined, 'wasm');
      return client.embed({ inputs: [{ text: 'q' }] });
    });
    client.terminate();
    return { rerank, embed };
  },
  running: () => !!running,
};
export type LibraryTestApi = typeof api;
(window as unknown as { libraryTest: LibraryTestApi }).libraryTest = api;
document.body.dataset.ready = 'true';
