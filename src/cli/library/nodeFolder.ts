// A library folder on disk as the indexer sees it: its listing, each file's hash, a video's length,
// a thumbnail (ffmpeg), and a file (or a video's window) as an embedding input.
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { spawn } from 'node:child_process';
import { createSHA256 } from 'hash-wasm';
import { libraryItems, type LibraryFile, type ListedFile } from '../../engine/library/libraryFiles.ts';
import type { LibraryEntry } from '../../store/libraryIndex.ts';
import type { LibrarySource } from '../../engine/library/indexer.ts';
import { FFMPEG_MISSING, findFfTools, probeVideo, type FfTools } from '../../media/nodeFfmpeg.ts';

/** Every regular file under `root` (symlinks not followed), paths relative and '/'-separated. */
export async function listFolder(root: string): Promise<ListedFile[]> {
  const out: ListedFile[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path);
      else if (e.isFile()) {
        const s = await stat(join(root, path));
        out.push({ path, size: s.size, mtimeMs: Math.floor(s.mtimeMs) });
      }
    }
  };
  await walk('');
  return out;
}

async function sha256OfFiles(paths: string[]): Promise<string> {
  const h = await createSHA256();
  h.init();
  for (const p of paths) for await (const chunk of createReadStream(p)) h.update(chunk as Uint8Array);
  return h.digest('hex');
}

/** A JPEG of the frame at `at` seconds (0 for images), at most 256 px wide. */
function thumbnailJpeg(tools: FfTools, path: string, at = 0): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const args = ['-v', 'error', ...(at > 0 ? ['-ss', String(at)] : []), '-i', path, '-frames:v', '1'];
    const p = spawn(tools.ffmpeg, [...args, '-vf', "scale='min(256,iw)':-2", '-f', 'image2pipe', '-c:v', 'mjpeg', '-q:v', '5', '-'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => p.kill('SIGKILL'), 30_000); // a thumbnail is never worth a hang
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', () => resolve(undefined));
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 && chunks.length ? new Uint8Array(Buffer.concat(chunks)) : undefined);
    });
  });
}

/** The folder as the indexer's source; texts longer than `maxTextBytes` fail alone. */
export async function nodeFolderSource(root: string, opts: { maxTextBytes?: number } = {}): Promise<LibrarySource> {
  const tools = await findFfTools();
  const abs = (p: string) => join(root, p);
  const maxText = opts.maxTextBytes ?? 4 * 1024 * 1024;
  const readText = async (path: string) => {
    const size = (await stat(abs(path))).size;
    if (size > maxText) throw new Error(`${path} is ${(size / 1048576).toFixed(1)} MB of text, above the ${maxText / 1048576} MB limit`);
    const text = await readFile(abs(path), 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  };
  return {
    hash: (f: LibraryFile) => sha256OfFiles([abs(f.path), ...(f.caption ? [abs(f.caption)] : [])]),
    async videoSeconds(f) {
      if (!tools) throw new Error(FFMPEG_MISSING);
      const probe = await probeVideo(tools, abs(f.path));
      return probe.frames / probe.fps;
    },
    thumbnail: async (f, at) => (tools ? thumbnailJpeg(tools, abs(f.path), at) : undefined),
    async input(f, clip) {
      if (f.kind === 'text') return { text: await readText(f.path) };
      if (f.kind === 'image+caption') return { image: abs(f.path), text: await readText(f.caption!) };
      if (f.kind === 'image') return { image: abs(f.path) };
      return clip ? { video: abs(f.path), clip } : { video: abs(f.path) };
    },
  };
}

/**
 * An indexed entry as a library file again (for the reranker): an image's caption is found as the
 * index found it, a text file of the same name beside it.
 */
export async function libraryFileAt(root: string, entry: Pick<LibraryEntry, 'path' | 'kind' | 'size' | 'mtimeMs'>): Promise<LibraryFile> {
  const file: LibraryFile = { path: entry.path, kind: entry.kind, size: entry.size, mtimeMs: entry.mtimeMs };
  if (entry.kind !== 'image+caption') return file;
  const dir = dirname(entry.path) === '.' ? '' : dirname(entry.path);
  const names = await readdir(join(root, dir));
  const listed = names.map((name) => ({ path: dir ? `${dir}/${name}` : name, size: 0, mtimeMs: 0 }));
  const caption = libraryItems(listed).find((f) => f.path === entry.path)?.caption;
  if (!caption) throw new Error(`${entry.path}: its caption file is gone since it was indexed`);
  return { ...file, caption };
}
