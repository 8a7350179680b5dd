// sha256 of a model file computed as its chunks are stored, so verifying a 1.4 GB file never means
// reading it back and holding it whole. The hasher's state after each stored chunk is kept in the
// file's record (a few hundred bytes), in the same transaction as the chunk: a resumed download goes
// on hashing where it stopped.
import { createSHA256, type IHasher } from 'hash-wasm';
import { ModelStoreError } from './errors.ts';

/** Lowercase hex sha256 of bytes in memory (WebCrypto). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** A file's running hash: `chunks` is how many of its chunks went into `state`. */
export interface HashProgress {
  chunks: number;
  state: Uint8Array;
}

/** Hashes one file's chunks in order, resuming from a saved state. */
export class ChunkHasher {
  private constructor(
    private readonly hasher: IHasher,
    /** Chunks hashed so far. */
    public chunks: number,
  ) {}

  /** A hasher at `saved` (or at the start when there is none). */
  static async resume(saved?: HashProgress): Promise<ChunkHasher> {
    const hasher = await createSHA256();
    hasher.init();
    if (saved && saved.chunks > 0) hasher.load(saved.state);
    return new ChunkHasher(hasher, saved?.chunks ?? 0);
  }

  /** Adds chunk `this.chunks` and returns the state to keep with it. */
  add(data: Uint8Array): HashProgress {
    this.hasher.update(data);
    this.chunks++;
    return { chunks: this.chunks, state: this.hasher.save() };
  }

  hex(): string {
    return this.hasher.digest('hex');
  }
}

/** Feeds stored chunks `hasher.chunks…count-1` of `file` into `hasher` one at a time (never the whole file). */
export async function hashStoredChunks(
  hasher: ChunkHasher,
  file: string,
  count: number,
  read: (indices: number[]) => Promise<(Blob | Uint8Array | undefined)[]>,
): Promise<void> {
  for (let i = hasher.chunks; i < count; i++) {
    const [chunk] = await read([i]);
    // 'integrity': the download forgets the file and fetches it again.
    if (!chunk) throw new ModelStoreError('integrity', `chunk ${i} of ${file} is missing from the store`);
    hasher.add(chunk instanceof Uint8Array ? chunk : new Uint8Array(await chunk.arrayBuffer()));
  }
}
