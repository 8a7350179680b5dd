// The library half of the worker's API (LibraryApi), served by the worker that holds the embedding
// model: index a folder (handle or picked files) into the IndexedDB index, search it by an embedded
// query, report and clear it. Indexing runs outside the worker's one-at-a-time queue and sends each
// embedding batch through it, so a search's query can be embedded between two batches.
import type { EmbedOutput, EmbedRequest as EngineEmbedRequest } from '../src/engine/embed.ts';
import { embeddingDims } from '../src/engine/embeddingVector.ts';
import { indexLibrary, type EmbedBatch } from '../src/engine/library/indexer.ts';
import { libraryItems } from '../src/engine/library/libraryFiles.ts';
import { DEFAULT_SEGMENT_SECONDS } from '../src/engine/library/segments.ts';
import { browserLibrarySource, folderFiles, listingOf } from '../src/media/browserLibrarySource.ts';
import { DEFAULT_EMBED_INSTRUCTION } from '../src/prompt/index.ts';
import { IdbLibraryStore } from '../src/store/libraryDb.ts';
import { LibraryError, type LibraryMeta } from '../src/store/libraryIndex.ts';
import type { LibraryApi, LibraryInfo, LibrarySummary } from './api.ts';

/** The query instruction of the official examples (as `sift search`). */
export const DEFAULT_QUERY_INSTRUCTION = "Retrieve images or text relevant to the user's query.";

/** What the library needs of the worker: its loaded embedding model and a way to run it in turn. */
export interface Embedder {
  /** The loaded embedding model (throws, with code 'wrong-model-kind' or 'no-model', when there is none). */
  model(): { id: string; version: string; width: number } | null;
  /** One embed request, run in the worker's queue; `signal` cancels it too. */
  embed(request: EngineEmbedRequest, signal?: AbortSignal): Promise<EmbedOutput>;
  /** Registers a controller that the worker's cancel() aborts; returns its removal. */
  track(controller: AbortController): () => void;
}

const stores = new Map<string, Promise<IdbLibraryStore>>();
function storeOf(name = 'default'): Promise<IdbLibraryStore> {
  let store = stores.get(name);
  if (!store) {
    store = IdbLibraryStore.open(name);
    store.catch(() => stores.delete(name));
    stores.set(name, store);
  }
  return store;
}

const coded = (code: string, message: string) => Object.assign(new Error(message), { code });

function needModel(embedder: Embedder) {
  const m = embedder.model();
  if (!m) throw coded('no-model', 'No embedding model is loaded: load one (e.g. { kind: "builtin-tiny-embed" }) first.');
  return m;
}

export function libraryApi(embedder: Embedder): LibraryApi {
  const indexing = new Set<string>();

  return {
    async indexLibrary(folder, onProgress, settings = {}) {
      const name = settings.name ?? 'default';
      if (indexing.has(name)) throw coded('busy', `the library "${name}" is already being indexed: wait for it, or cancel it first`);
      const ctl = new AbortController();
      const untrack = embedder.track(ctl);
      indexing.add(name);
      try {
        const m = needModel(embedder);
        const segmentSeconds = settings.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
        if (!(segmentSeconds >= 2)) throw coded('bad-request', `segmentSeconds must be at least 2, got ${segmentSeconds}`);
        const meta: LibraryMeta = {
          modelId: m.id,
          modelVersion: m.version,
          dims: embeddingDims(settings.dims, m.width),
          format: settings.format ?? 'i8',
          instruction: settings.instruction ?? DEFAULT_EMBED_INSTRUCTION,
          segmentSeconds,
          segmentStride: segmentSeconds / 2,
        };
        if (meta.format !== 'i8' && meta.format !== 'f16')
          throw coded('bad-request', `format must be 'i8' or 'f16', got ${String(meta.format)}`);
        onProgress?.({ phase: 'listing', done: 0, total: 0, itemsPerSecond: 0, etaSeconds: null });
        const files = await folderFiles(folder, ctl.signal);
        const items = libraryItems(listingOf(files));
        const store = await storeOf(name);
        store.captions = new Map(items.filter((i) => i.caption).map((i) => [i.path, i.caption!]));
        const embed: EmbedBatch = async (inputs, signal) => {
          const out = await embedder.embed({ instruction: meta.instruction, inputs, dims: meta.dims }, signal ?? ctl.signal);
          return out.embeddings.map((embedding, i) => ({ embedding, error: out.errors.find((e) => e.index === i)?.message }));
        };
        const summary: LibrarySummary = await indexLibrary(items, store, browserLibrarySource(files), embed, {
          meta,
          batchInputs: settings.batchInputs,
          signal: ctl.signal,
          onProgress: (p) => onProgress?.({ phase: 'indexing', ...p }),
        });
        await store.setValue('lastIndexed', { at: Date.now(), summary });
        return summary;
      } finally {
        indexing.delete(name);
        untrack();
      }
    },

    async searchLibrary(query, k, options = {}) {
      const store = await storeOf(options.name);
      const meta = await store.meta();
      if (!meta || !(await store.count())) return [];
      const m = needModel(embedder);
      if (m.id !== meta.modelId || m.version !== meta.modelVersion)
        throw new LibraryError(
          'model-changed',
          `this library was indexed with ${meta.modelId} ${meta.modelVersion}, not the loaded ${m.id} ${m.version}: search with that model, or re-index`,
        );
      const out = await embedder.embed({ instruction: options.instruction ?? DEFAULT_QUERY_INSTRUCTION, inputs: [query], dims: meta.dims });
      const vector = out.embeddings[0];
      if (!vector)
        throw coded(out.errors[0]?.code ?? 'internal', `the query could not be embedded: ${out.errors[0]?.message ?? 'no vector'}`);
      const hits = await store.search(vector, Math.max(1, Math.floor(k)));
      return hits.map(({ entry, similarity, caption }) => ({
        path: entry.path,
        kind: entry.kind,
        ...(caption ? { caption } : {}),
        segment: entry.segment,
        segments: entry.segments,
        ...(entry.start !== undefined ? { start: entry.start, end: entry.end } : {}),
        ...(entry.duration !== undefined ? { duration: entry.duration } : {}),
        similarity,
        ...(entry.thumbnail ? { thumbnail: entry.thumbnail } : {}),
      }));
    },

    async libraryStatus(name = 'default'): Promise<LibraryInfo> {
      const store = await storeOf(name);
      const meta = await store.meta();
      const m = embedder.model();
      const last = (await store.getValue<LibraryInfo['lastIndexed']>('lastIndexed')) ?? null;
      return {
        name,
        files: await store.fileCount(),
        entries: await store.count(),
        model: meta ? { id: meta.modelId, version: meta.modelVersion } : null,
        settings: meta
          ? { instruction: meta.instruction, dims: meta.dims, format: meta.format, segmentSeconds: meta.segmentSeconds }
          : null,
        needsReindex: !m ? null : !!meta && (meta.modelId !== m.id || meta.modelVersion !== m.version),
        failed: last?.summary.failed ?? [],
        lastIndexed: last,
        indexing: indexing.has(name),
      };
    },

    async clearLibrary(name = 'default') {
      if (indexing.has(name)) throw coded('busy', `the library "${name}" is being indexed: cancel it first`);
      await (await storeOf(name)).clear();
    },
  };
}
