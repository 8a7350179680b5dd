// Where a checkpoint's files live: opened by relative name ("config.json", "model.safetensors").
// Browser-safe locations only; the Node directory location is in nodeFiles.ts.

import { BlobSource, type ByteSource, HttpRangeSource, type HttpOptions, MemorySource } from './sources.ts';

export interface CheckpointLocation {
  /** For error messages: a directory, a base URL, "selected files". */
  readonly description: string;
  /** Opens a file by relative name; throws a clear error when it is missing. */
  open(name: string): Promise<ByteSource>;
  has(name: string): Promise<boolean>;
  /** Every file name, when the location can enumerate them (a URL cannot). */
  list?(): Promise<string[]>;
}

/** Rejects names that could escape the checkpoint (absolute paths, `..`). */
export function checkRelativeName(name: string): void {
  if (!name || name.startsWith('/') || name.includes('\\') || name.split('/').some((p) => p === '..' || p === '')) {
    throw new Error(`invalid checkpoint file name "${name}"`);
  }
}

function missing(location: CheckpointLocation, name: string): Error {
  return new Error(`${location.description}: file "${name}" not found`);
}

/** Files held as bytes or Blobs, keyed by relative name (generated checkpoints, dropped files). */
export class MapLocation implements CheckpointLocation {
  private readonly files: Map<string, Uint8Array | Blob>;

  constructor(
    files: Map<string, Uint8Array | Blob> | Iterable<[string, Uint8Array | Blob]>,
    readonly description = 'in-memory checkpoint',
  ) {
    this.files = new Map(files);
  }

  async has(name: string): Promise<boolean> {
    return this.files.has(name);
  }

  async list(): Promise<string[]> {
    return [...this.files.keys()];
  }

  async open(name: string): Promise<ByteSource> {
    const file = this.files.get(name);
    if (file === undefined) throw missing(this, name);
    return file instanceof Uint8Array ? new MemorySource(name, file) : new BlobSource(name, file);
  }
}

/**
 * Files the user picked (`<input type=file multiple>` or a directory picker). Files are keyed by
 * base name, since a directory picker prefixes `webkitRelativePath` with the folder name.
 */
export function fileListLocation(files: ArrayLike<File> | Iterable<File>, description = 'selected files'): MapLocation {
  const map = new Map<string, Blob>();
  for (const file of Array.from(files as ArrayLike<File>)) {
    const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name;
    map.set(rel.split('/').pop() || file.name, file);
  }
  return new MapLocation(map, description);
}

/**
 * A base URL such as `https://huggingface.co/Qwen/Qwen3-VL-Reranker-2B/resolve/main/`; files are
 * fetched with Range requests, one small request per header and one per tensor.
 */
export class UrlLocation implements CheckpointLocation {
  private readonly base: string;
  private readonly sources = new Map<string, HttpRangeSource>();

  constructor(
    baseUrl: string,
    private readonly options: HttpOptions = {},
  ) {
    this.base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  }

  get description(): string {
    return this.base;
  }

  private source(name: string): HttpRangeSource {
    checkRelativeName(name);
    let src = this.sources.get(name);
    if (!src) {
      const url = new URL(name.split('/').map(encodeURIComponent).join('/'), this.base).toString();
      src = new HttpRangeSource(url, this.options);
      this.sources.set(name, src);
    }
    return src;
  }

  async has(name: string): Promise<boolean> {
    try {
      await this.source(name).size();
      return true;
    } catch (err) {
      if (/HTTP 404/.test((err as Error).message)) return false;
      throw err;
    }
  }

  async open(name: string): Promise<ByteSource> {
    const src = this.source(name);
    try {
      await src.size();
    } catch (err) {
      if (/HTTP 404/.test((err as Error).message)) throw missing(this, name);
      throw err;
    }
    return src;
  }
}
