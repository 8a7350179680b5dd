// What a folder dropped on the Library view is: a directory handle where the browser gives one
// (Chromium: kept across visits like a picked directory), else the dropped entries' files with their
// paths (this visit only). The DataTransfer's items are only readable during the drop event, so
// `droppedFolder` starts every read synchronously and resolves afterwards.
import type { PickedFile } from '../media/browserLibrarySource.ts';

type HandleItem = DataTransferItem & { getAsFileSystemHandle?(): Promise<FileSystemHandle | null> };

function readEntries(dir: FileSystemDirectoryEntry): Promise<FileSystemEntry[]> {
  const reader = dir.createReader();
  const all: FileSystemEntry[] = [];
  return new Promise((resolve, reject) => {
    // readEntries returns the directory's entries a batch at a time, then an empty batch.
    const next = () =>
      reader.readEntries((batch) => {
        if (!batch.length) return resolve(all);
        all.push(...batch);
        next();
      }, reject);
    next();
  });
}

async function walkEntry(entry: FileSystemEntry, prefix: string, out: PickedFile[]): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
    out.push({ path, file });
  } else if (entry.isDirectory) {
    for (const child of await readEntries(entry as FileSystemDirectoryEntry)) await walkEntry(child, path, out);
  }
}

/** The dropped folder (one directory: its handle, or its files relative to it), or dropped files as a flat list. */
export function droppedFolder(
  dt: DataTransfer,
): Promise<{ handle: FileSystemDirectoryHandle } | { files: PickedFile[]; name: string } | null> {
  const items = [...dt.items].filter((i) => i.kind === 'file');
  const handles = items.map((i) => (i as HandleItem).getAsFileSystemHandle?.().catch(() => null) ?? Promise.resolve(null));
  const entries = items.map((i) => i.webkitGetAsEntry?.() ?? null);
  const plain = [...dt.files];
  return (async () => {
    if (items.length === 1) {
      const handle = await handles[0];
      if (handle?.kind === 'directory') return { handle: handle as FileSystemDirectoryHandle };
    }
    const out: PickedFile[] = [];
    const single = entries.length === 1 && entries[0]?.isDirectory ? entries[0] : null;
    if (single) {
      // One folder: paths relative to it, as a folder input gives them.
      for (const child of await readEntries(single as FileSystemDirectoryEntry)) await walkEntry(child, '', out);
      return out.length ? { files: out, name: single.name } : null;
    }
    if (entries.some((e) => e)) {
      for (const e of entries) if (e) await walkEntry(e, '', out);
    } else {
      for (const file of plain) out.push({ path: file.name, file });
    }
    return out.length ? { files: out, name: 'dropped files' } : null;
  })();
}
