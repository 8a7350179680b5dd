// Node-only: checkpoint files on the local disk. Kept apart so browser bundles never import node:fs.

import { type FileHandle, mkdir, open, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type CheckpointLocation, checkRelativeName } from './locations.ts';
import type { ChunkedFile } from './safetensorsWriter.ts';
import { type ByteSource, checkRange } from './sources.ts';

/** A local file read with positioned reads through one lazily opened handle. */
export class NodeFileSource implements ByteSource {
  private handle: Promise<FileHandle> | null = null;
  private fileSize: number | null = null;

  constructor(readonly name: string) {}

  private fh(): Promise<FileHandle> {
    this.handle ??= open(this.name, 'r');
    return this.handle;
  }

  async size(): Promise<number> {
    this.fileSize ??= (await (await this.fh()).stat()).size;
    return this.fileSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, offset, length, await this.size());
    const fh = await this.fh();
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await fh.read(out, done, length - done, offset + done);
      if (bytesRead === 0) throw new Error(`${this.name}: unexpected end of file at byte ${offset + done} (truncated?)`);
      done += bytesRead;
    }
    return out;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = null;
    if (h) await (await h).close();
  }
}

/** A directory on disk holding config.json, *.safetensors, tokenizer files. */
export class NodeDirLocation implements CheckpointLocation {
  constructor(readonly dir: string) {}

  get description(): string {
    return this.dir;
  }

  async has(name: string): Promise<boolean> {
    checkRelativeName(name);
    try {
      return (await stat(join(this.dir, name))).isFile();
    } catch {
      return false;
    }
  }

  async list(): Promise<string[]> {
    const entries = await readdir(this.dir, { withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => e.name);
  }

  async open(name: string): Promise<ByteSource> {
    if (!(await this.has(name))) throw new Error(`${this.dir}: file "${name}" not found`);
    return new NodeFileSource(join(this.dir, name));
  }
}

/**
 * Writes files into `dir` chunk by chunk. Each file is written under a temporary name and renamed
 * when complete, so an interrupted run never leaves a plausible-looking truncated checkpoint.
 */
export async function writeFilesToDir(
  dir: string,
  files: Iterable<ChunkedFile>,
  onFile?: (name: string, bytes: number) => void,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const file of files) {
    checkRelativeName(file.name);
    const target = join(dir, file.name);
    const temp = `${target}.partial`;
    const fh = await open(temp, 'w');
    let written = 0;
    try {
      for (const chunk of file.chunks()) {
        let done = 0;
        while (done < chunk.byteLength) {
          const { bytesWritten } = await fh.write(chunk, done, chunk.byteLength - done);
          done += bytesWritten;
        }
        written += chunk.byteLength;
      }
    } finally {
      await fh.close();
    }
    if (written !== file.byteLength) throw new Error(`${file.name}: wrote ${written} bytes, expected ${file.byteLength}`);
    await rename(temp, target);
    onFile?.(file.name, written);
  }
}
