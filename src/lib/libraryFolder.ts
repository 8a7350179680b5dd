// A library's folder on the page's side: what was added (a directory handle, kept in the library's
// IndexedDB database so a later visit re-opens it once the user grants read access again; or files
// picked this visit, which a reload forgets), whether it can be read now, and the files of a search's
// hits (read from the handle by path, or from the picked list).
import { pickedFiles, type PickedFile } from '../media/browserLibrarySource.ts';
import type { IdbLibraryStore } from '../store/libraryDb.ts';
import type { LibraryFolder } from './types.ts';
import { SiftError } from './errors.ts';

/** What a library's folder is and whether it can be read now. */
export interface LibraryFolderState {
  kind: 'handle' | 'files';
  /** The folder's name (the handle's, or the picked folder's top directory). */
  name: string;
  /**
   * 'ready': it can be indexed and searched. 'needs-permission': a kept directory handle whose read
   * access this visit has not granted yet: call `reopenFolder()` from a click. 'needs-pick': files
   * picked on an earlier visit (a folder input or a drop) are not kept by the browser: pick them again.
   */
  access: 'ready' | 'needs-permission' | 'needs-pick';
  /** Files picked (file lists only). */
  files?: number;
}

type FolderRecord = { kind: 'handle'; handle: FileSystemDirectoryHandle; name: string } | { kind: 'files'; name: string; files: number };

type PermissionHandle = FileSystemHandle & {
  queryPermission?(d: { mode: 'read' }): Promise<PermissionState>;
  requestPermission?(d: { mode: 'read' }): Promise<PermissionState>;
};

const isHandle = (v: unknown): v is FileSystemDirectoryHandle =>
  typeof FileSystemDirectoryHandle !== 'undefined' && v instanceof FileSystemDirectoryHandle;

export type FolderInput = FileSystemDirectoryHandle | FileList | File[] | PickedFile[];

export class LibraryFolderKeeper {
  /** Files picked this visit (lost on reload). */
  private picked: PickedFile[] | null = null;

  constructor(private store: () => Promise<IdbLibraryStore>) {}

  async set(folder: FolderInput): Promise<LibraryFolderState> {
    const store = await this.store();
    if (isHandle(folder)) {
      this.picked = null;
      await store.setValue('folder', { kind: 'handle', handle: folder, name: folder.name } satisfies FolderRecord);
    } else {
      const list = Array.from(folder as ArrayLike<File | PickedFile>);
      const files = list.every((f) => f instanceof File) ? pickedFiles(list as File[]) : (list as PickedFile[]);
      if (!files.length) throw new SiftError('no-folder', 'the picked folder holds no files');
      this.picked = files;
      const first = (list[0] instanceof File ? list[0].webkitRelativePath : '') || '';
      const name = first.includes('/') ? first.slice(0, first.indexOf('/')) : 'picked files';
      await store.setValue('folder', { kind: 'files', name, files: files.length } satisfies FolderRecord);
    }
    return (await this.state())!;
  }

  async state(): Promise<LibraryFolderState | null> {
    const record = await (await this.store()).getValue<FolderRecord>('folder');
    if (!record) return null;
    if (record.kind === 'files')
      return { kind: 'files', name: record.name, files: record.files, access: this.picked ? 'ready' : 'needs-pick' };
    const h = record.handle as PermissionHandle;
    const permission = h.queryPermission ? await h.queryPermission({ mode: 'read' }) : 'granted';
    return { kind: 'handle', name: record.name, access: permission === 'granted' ? 'ready' : 'needs-permission' };
  }

  /** Asks the user for read access to the kept directory handle again (call it from a click). */
  async reopen(): Promise<LibraryFolderState | null> {
    const record = await (await this.store()).getValue<FolderRecord>('folder');
    if (record?.kind === 'handle') await (record.handle as PermissionHandle).requestPermission?.({ mode: 'read' });
    return this.state();
  }

  async forget(): Promise<void> {
    this.picked = null;
    await (await this.store()).setValue('folder', undefined);
  }

  /** The folder as the worker reads it; a clear error when it cannot be read now. */
  async readable(): Promise<LibraryFolder> {
    const state = await this.state();
    if (!state) throw new SiftError('no-folder', 'this library has no folder yet: add one with addFolder()');
    if (state.access === 'needs-pick')
      throw new SiftError(
        'needs-pick',
        `the files of "${state.name}" were picked on an earlier visit, and the browser does not keep picked files: pick the folder again`,
      );
    if (state.access === 'needs-permission')
      throw new SiftError('needs-permission', `read access to "${state.name}" has to be granted again: call reopenFolder() from a click`);
    if (state.kind === 'files') return { kind: 'files', files: this.picked! };
    const record = (await (await this.store()).getValue<FolderRecord>('folder')) as Extract<FolderRecord, { kind: 'handle' }>;
    return { kind: 'handle', handle: record.handle };
  }

  /** The files at `paths` (each, or the reason it cannot be read: a folder that cannot be read now fails them all). */
  async filesAt(paths: string[]): Promise<Map<string, File | Error>> {
    const out = new Map<string, File | Error>();
    let folder: LibraryFolder;
    try {
      folder = await this.readable();
    } catch (err) {
      for (const path of paths) out.set(path, err as Error);
      return out;
    }
    const byPath = folder.kind === 'files' ? new Map(folder.files.map((f) => [f.path, f.file])) : null;
    for (const path of new Set(paths)) {
      try {
        if (byPath) {
          const file = byPath.get(path);
          if (!file) throw new Error('it is not among the picked files any more');
          out.set(path, file);
          continue;
        }
        let dir = (folder as Extract<LibraryFolder, { kind: 'handle' }>).handle;
        const parts = path.split('/');
        for (const part of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(part);
        out.set(path, await (await dir.getFileHandle(parts[parts.length - 1])).getFile());
      } catch (err) {
        const e = err as Error;
        out.set(path, new Error(e.name === 'NotFoundError' ? 'the file is no longer in the folder (re-index to drop it)' : e.message));
      }
    }
    return out;
  }
}
