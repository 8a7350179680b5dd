// A library folder in the browser, as the indexer (src/engine/library/indexer.ts, LibrarySource) sees
// it: the files under a FileSystemDirectoryHandle (walked recursively) or a picked File list (a
// `webkitdirectory` input, a drop), each file's sha256 (hash-wasm, streamed), a video's length
// (mediabunny, from its packets, as the decoder measures it), a small JPEG thumbnail, and a file (or a
// window of a video) as an embedding input holding the File itself (the worker's decoder reads Blobs).
// Runs in a worker or a page (OffscreenCanvas, createImageBitmap).
import { ALL_FORMATS, BlobSource, CanvasSink, Input } from 'mediabunny';
import { createSHA256 } from 'hash-wasm';
import type { LibraryKind } from '../store/libraryIndex.ts';

/** A file of the folder: its path relative to the folder ('/'-separated) and the File. */
export interface PickedFile {
  path: string;
  file: File;
}

/** Where a library's files come from: a directory handle (kept across visits) or files picked this visit. */
export type FolderSource = { kind: 'handle'; handle: FileSystemDirectoryHandle } | { kind: 'files'; files: PickedFile[] };

/** What the source needs of a library item (the indexer's LibraryFile is one). */
export interface LibraryItemRef {
  path: string;
  kind: LibraryKind;
  caption?: string;
}

/** An embedding or rerank input made of the item's own files (the prompt layer's EmbedInput shape). */
export interface FileInput {
  text?: string;
  image?: Blob;
  video?: Blob;
  clip?: { start: number; end: number };
}

export const THUMBNAIL_WIDTH = 256;
const DEFAULT_MAX_TEXT_BYTES = 4 * 1024 * 1024;

/**
 * Paths of a picked File list relative to the picked folder: a `webkitdirectory` input gives
 * "folder/sub/a.jpg", which becomes "sub/a.jpg" (as the Node CLI lists the same folder); files
 * without a relative path (a plain multiple-file input) keep their names.
 */
export function pickedFiles(list: ArrayLike<File> | Iterable<File>): PickedFile[] {
  const files = Array.from(list as ArrayLike<File>);
  const rel = files.map((f) => (f.webkitRelativePath || f.name).replace(/\\/g, '/'));
  const tops = new Set(rel.map((r) => (r.includes('/') ? r.slice(0, r.indexOf('/')) : '')));
  const strip = tops.size === 1 && !tops.has('');
  return files.map((file, i) => ({ path: strip ? rel[i].slice(rel[i].indexOf('/') + 1) : rel[i], file }));
}

type DirectoryEntries = FileSystemDirectoryHandle & { values(): AsyncIterable<FileSystemHandle> };

/** Every file under `handle` (the File API's snapshot of each), paths relative to it. */
export async function walkDirectory(handle: FileSystemDirectoryHandle, signal?: AbortSignal): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  const walk = async (dir: FileSystemDirectoryHandle, prefix: string) => {
    for await (const entry of (dir as DirectoryEntries).values()) {
      if (signal?.aborted) throw signal.reason ?? new DOMException('listing was cancelled', 'AbortError');
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.kind === 'directory') await walk(entry as FileSystemDirectoryHandle, path);
      else out.push({ path, file: await (entry as FileSystemFileHandle).getFile() });
    }
  };
  await walk(handle, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The folder's files: read from the handle now, or the picked list as it is. */
export async function folderFiles(source: FolderSource, signal?: AbortSignal): Promise<PickedFile[]> {
  return source.kind === 'handle' ? walkDirectory(source.handle, signal) : source.files;
}

/** The listing the indexer compares with the index: path, size, time. */
export function listingOf(files: PickedFile[]): { path: string; size: number; mtimeMs: number }[] {
  return files.map(({ path, file }) => ({ path, size: file.size, mtimeMs: file.lastModified }));
}

async function sha256OfBlobs(blobs: Blob[]): Promise<string> {
  const h = await createSHA256();
  h.init();
  for (const blob of blobs) {
    const reader = blob.stream().getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      h.update(value);
    }
  }
  return h.digest('hex');
}

async function jpegOf(canvas: OffscreenCanvas | HTMLCanvasElement): Promise<Uint8Array> {
  const blob =
    'convertToBlob' in canvas
      ? await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.8 })
      : await new Promise<Blob>((resolve, reject) =>
          canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the thumbnail could not be encoded'))), 'image/jpeg', 0.8),
        );
  return new Uint8Array(await blob.arrayBuffer());
}

/** A JPEG at most THUMBNAIL_WIDTH wide of an image file the browser decodes (undefined when it does not). */
export async function imageThumbnail(blob: Blob): Promise<Uint8Array | undefined> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(blob);
  } catch {
    return undefined; // a format the browser's own decoder lacks (TIFF, …): no thumbnail, still indexed
  }
  try {
    const scale = Math.min(1, THUMBNAIL_WIDTH / bitmap.width);
    const w = Math.max(1, Math.round(bitmap.width * scale));
    const h = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = new OffscreenCanvas(w, h);
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0, w, h);
    return await jpegOf(canvas);
  } finally {
    bitmap.close();
  }
}

async function withVideoTrack<T>(blob: Blob, use: (track: NonNullable<Awaited<ReturnType<Input['getPrimaryVideoTrack']>>>) => Promise<T>) {
  const input = new Input({ formats: ALL_FORMATS, source: new BlobSource(blob) });
  try {
    const track = await input.getPrimaryVideoTrack();
    if (!track) throw new Error('this file has no video track');
    return await use(track);
  } finally {
    input.dispose();
  }
}

/** A video's length in seconds: first packet to the end of the last (what the browser decoder plans on). */
export async function videoSeconds(blob: Blob): Promise<number> {
  let seconds: number;
  try {
    seconds = await withVideoTrack(blob, async (track) => (await track.computeDuration()) - (await track.getFirstTimestamp()));
  } catch (err) {
    throw new Error(`cannot read this video (${(err as Error).message}); is it a complete video file?`);
  }
  if (!(seconds > 0)) throw new Error('this video has no frames; the file may be truncated');
  return seconds;
}

/** A JPEG of the frame shown at `at` seconds, at most THUMBNAIL_WIDTH wide. */
export async function videoThumbnail(blob: Blob, at = 0): Promise<Uint8Array | undefined> {
  try {
    return await withVideoTrack(blob, async (track) => {
      const width = Math.min(THUMBNAIL_WIDTH, await track.getDisplayWidth());
      const sink = new CanvasSink(track, { width, poolSize: 0 });
      const frame = await sink.getCanvas((await track.getFirstTimestamp()) + at);
      return frame ? jpegOf(frame.canvas) : undefined;
    });
  } catch {
    return undefined;
  }
}

/** The folder's files as the indexer's LibrarySource (structurally; the engine's type lies above this layer). */
export function browserLibrarySource(files: PickedFile[], opts: { maxTextBytes?: number } = {}) {
  const byPath = new Map(files.map((f) => [f.path, f.file]));
  const maxText = opts.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES;
  const fileAt = (path: string): File => {
    const file = byPath.get(path);
    if (!file) throw new Error(`${path} is not in the folder any more`);
    return file;
  };
  const readText = async (path: string) => {
    const file = fileAt(path);
    if (file.size > maxText)
      throw new Error(`${path} is ${(file.size / 1048576).toFixed(1)} MB of text, above the ${maxText / 1048576} MB limit`);
    const text = await file.text();
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
  return {
    hash: (item: LibraryItemRef) => sha256OfBlobs([fileAt(item.path), ...(item.caption ? [fileAt(item.caption)] : [])]),
    videoSeconds: (item: LibraryItemRef) => videoSeconds(fileAt(item.path)),
    thumbnail: (item: LibraryItemRef, atSeconds?: number) =>
      item.kind === 'video' ? videoThumbnail(fileAt(item.path), atSeconds) : imageThumbnail(fileAt(item.path)),
    async input(item: LibraryItemRef, clip?: { start: number; end: number }): Promise<FileInput> {
      if (item.kind === 'text') return { text: await readText(item.path) };
      if (item.kind === 'image+caption') return { image: fileAt(item.path), text: await readText(item.caption!) };
      if (item.kind === 'image') return { image: fileAt(item.path) };
      return clip ? { video: fileAt(item.path), clip } : { video: fileAt(item.path) };
    },
  };
}
