// What a library holds: the files of a folder that Sift can embed, by kind, with an image's caption
// file paired to it (cat.jpg + cat.txt → one image + caption item), and which files a shard owns.

import type { LibraryKind } from '../../store/libraryIndex.ts';

export type { LibraryKind };

/** A file as a folder listing gives it (path relative to the library root, '/'-separated). */
export interface ListedFile {
  path: string;
  size: number;
  mtimeMs: number;
}

/** One library item: a file (and, for an image, its caption file). */
export interface LibraryFile extends ListedFile {
  kind: LibraryKind;
  /** The caption file's path, for 'image+caption'. */
  caption?: string;
}

const IMAGE = new Set(['jpg', 'jpeg', 'png', 'gif', 'bmp', 'webp', 'tif', 'tiff', 'avif']);
const VIDEO = new Set(['mp4', 'm4v', 'mov', 'webm', 'mkv', 'avi']);
const TEXT = new Set(['txt', 'md']);

const extensionOf = (path: string) => /\.([^./]+)$/.exec(path)?.[1].toLowerCase() ?? '';
const stemOf = (path: string) => path.replace(/\.[^./]+$/, '');

export function fileKind(path: string): 'image' | 'video' | 'text' | null {
  const ext = extensionOf(path);
  return IMAGE.has(ext) ? 'image' : VIDEO.has(ext) ? 'video' : TEXT.has(ext) ? 'text' : null;
}

/** The items of a listing, in path order; other files (and hidden ones) are left out. */
export function libraryItems(listed: ListedFile[]): LibraryFile[] {
  const visible = listed.filter((f) => !f.path.split('/').some((part) => part.startsWith('.')));
  const texts = new Map(visible.filter((f) => fileKind(f.path) === 'text').map((f) => [stemOf(f.path), f]));
  const captions = new Set<string>();
  const items: LibraryFile[] = [];
  for (const f of visible) {
    const kind = fileKind(f.path);
    if (kind !== 'image') continue;
    const caption = texts.get(stemOf(f.path));
    if (caption) {
      captions.add(caption.path);
      // The item changes when either file does: its size and time cover both.
      items.push({
        ...f,
        kind: 'image+caption',
        caption: caption.path,
        size: f.size + caption.size,
        mtimeMs: Math.max(f.mtimeMs, caption.mtimeMs),
      });
    } else items.push({ ...f, kind: 'image' });
  }
  for (const f of visible) {
    const kind = fileKind(f.path);
    if (kind === 'video' || (kind === 'text' && !captions.has(f.path))) items.push({ ...f, kind });
  }
  return items.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** FNV-1a of the path: which of `count` shards owns a file (stable across runs and machines). */
export function shardOf(path: string, count: number): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(path)) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return h % count;
}

/** `--shard i/N` → {index, count}; throws on anything else. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !(count >= 1) || !(index >= 0 && index < count)) throw new Error(`--shard must be i/N with 0 ≤ i < N, got "${text}"`);
  return { index, count };
}
