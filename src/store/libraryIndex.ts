// The library index's port and records: IndexedDB keeps it in the browser (src/store/libraryDb.ts),
// LanceDB in Node (src/cli/library/lanceStore.ts); the indexer (src/engine/library) writes through it. One file's entries are replaced as a whole, so a file whose
// write did not finish is never half-indexed.
import type { VectorFormat } from './vectorCodec.ts';

/** What one library item is: an image, a video, a text file, or an image with its caption file. */
export type LibraryKind = 'image' | 'video' | 'text' | 'image+caption';

/** One stored vector: a file, or one segment of a long video. */
export interface LibraryEntry {
  path: string;
  kind: LibraryKind;
  size: number;
  mtimeMs: number;
  /** sha256 of the file's bytes (and the caption's, for image+caption). */
  hash: string;
  /** Which segment of the file (0 for a whole file), of `segments`. */
  segment: number;
  segments: number;
  /** The segment's window in seconds (videos indexed by segments). */
  start?: number;
  end?: number;
  /** A video's length in seconds. */
  duration?: number;
  /** A small JPEG/PNG of the item (of the segment's start, for a segment). */
  thumbnail?: Uint8Array;
  vector: Float32Array;
}

/** What an index is tied to: a different embedding model or vector layout asks for a re-index. */
export interface LibraryMeta {
  modelId: string;
  modelVersion: string;
  dims: number;
  format: VectorFormat;
  /** The documents' instruction. */
  instruction: string;
  segmentSeconds: number;
  segmentStride: number;
  /** Where the library folder and the embedding model are (Node), for `sift search`; not compared. */
  root?: string;
  modelPath?: string;
}

/** A file as the index holds it (its entries summarised). */
export interface IndexedFile {
  path: string;
  size: number;
  mtimeMs: number;
  hash: string;
  segments: number;
  /** Entries stored; fewer than `segments` means a write that did not finish (not indexed). */
  stored: number;
}

export interface LibraryHit {
  entry: Omit<LibraryEntry, 'vector'>;
  similarity: number;
}

export interface LibraryStore {
  meta(): Promise<LibraryMeta | null>;
  setMeta(meta: LibraryMeta): Promise<void>;
  files(): Promise<Map<string, IndexedFile>>;
  /** Replaces every entry of `path` with `entries` (all or nothing). */
  putFile(path: string, entries: LibraryEntry[]): Promise<void>;
  removeFiles(paths: string[]): Promise<void>;
  /** Updates a file's size and time without re-embedding it (its content hash did not change). */
  touchFile(path: string, size: number, mtimeMs: number): Promise<void>;
  count(): Promise<number>;
  /** The `k` entries of highest cosine similarity to `query` (a unit vector of `dims` values), best first. */
  search(query: Float32Array, k: number): Promise<LibraryHit[]>;
}

export class LibraryError extends Error {
  override name = 'LibraryError';
  constructor(
    readonly code: 'model-changed' | 'bad-library',
    message: string,
  ) {
    super(message);
  }
}

/** Throws 'model-changed' when an existing index was built differently from what `wanted` asks. */
export function checkMeta(stored: LibraryMeta | null, wanted: LibraryMeta): void {
  if (!stored) return;
  const differs = (['modelId', 'modelVersion', 'dims', 'format', 'instruction', 'segmentSeconds', 'segmentStride'] as const).filter(
    (k) => stored[k] !== wanted[k],
  );
  if (differs.length)
    throw new LibraryError(
      'model-changed',
      `this index was built with ${differs.map((k) => `${k} ${JSON.stringify(stored[k])}`).join(', ')}, not ${differs
        .map((k) => JSON.stringify(wanted[k]))
        .join(
          ', ',
        )}: its vectors cannot be compared with the new ones. Re-index the library (sift index --reindex), or use the same model and settings.`,
    );
}
