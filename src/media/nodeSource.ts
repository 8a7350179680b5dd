// Where a media reference points, in Node: a path relative to the request's folder, an absolute path,
// a file:// URL, an http(s) URL, a data URL, or bare base64 (a Sift extension: the reference would
// treat it as a file name), or an in-memory object (bytes, or decoded RawPixels).
import { lstat, open, readFile, readlink, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeBase64, parseDataUrl } from './base64.ts';
import { MediaError } from './errors.ts';
import { fetchWithTimeouts, type FetchTimeouts } from './fetchTimeouts.ts';
import { detectImageFormat } from './imageHeader.ts';
import type { RawPixels } from './pixels.ts';

export type Located =
  | { kind: 'file'; path: string; label: string }
  | { kind: 'url'; url: string; label: string }
  | { kind: 'bytes'; bytes: Uint8Array; label: string }
  | { kind: 'pixels'; pixels: RawPixels; label: string };

export interface SourceOptions extends FetchTimeouts {
  /** Largest download / file read, default 512 MiB. */
  maxBytes?: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

const DEFAULT_MAX_BYTES = 512 * 2 ** 20;
const BASE64_RE = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

function short(s: string): string {
  return s.length > 80 ? `${s.slice(0, 60)}…(${s.length} chars)` : s;
}

function isRawPixels(o: object): o is RawPixels {
  const p = o as Partial<RawPixels>;
  return (
    typeof p.width === 'number' && typeof p.height === 'number' && (p.channels === 3 || p.channels === 4) && p.data instanceof Uint8Array
  );
}

/** Resolves a reference to a file, a URL, bytes or pixels, without reading a file. */
export async function locate(ref: unknown, baseDir: string): Promise<Located> {
  if (ref instanceof Uint8Array) return { kind: 'bytes', bytes: ref, label: `${ref.length} bytes` };
  if (ref instanceof ArrayBuffer) return { kind: 'bytes', bytes: new Uint8Array(ref), label: `${ref.byteLength} bytes` };
  if (ref !== null && typeof ref === 'object' && isRawPixels(ref))
    return { kind: 'pixels', pixels: ref, label: `${ref.width}×${ref.height} pixels` };
  if (typeof ref !== 'string') {
    throw new MediaError(
      'bad-argument',
      `a media reference must be a path, URL, data URL or base64 string, got ${ref === null ? 'null' : typeof ref}`,
    );
  }
  if (ref.length === 0) throw new MediaError('bad-argument', 'empty media path');
  if (/^data:/i.test(ref)) {
    const { bytes } = parseDataUrl(ref);
    return { kind: 'bytes', bytes, label: 'data URL' };
  }
  if (/^https?:\/\//i.test(ref)) return { kind: 'url', url: ref, label: ref };
  if (/^file:\/\//i.test(ref)) {
    let path: string;
    try {
      path = fileURLToPath(ref);
    } catch (e) {
      throw new MediaError('bad-argument', `bad file URL ${short(ref)}: ${(e as Error).message}`);
    }
    const problem = await notAFile(path);
    if (problem && problem !== 'missing') throw new MediaError('bad-argument', `${short(ref)} ${problem}`);
    return { kind: 'file', path, label: ref };
  }
  const path = isAbsolute(ref) ? ref : resolve(baseDir, ref);
  const problem = await notAFile(path);
  if (problem === null) return { kind: 'file', path, label: ref };
  // Bare base64 only when the string is long, base64 throughout and decodes to a known image.
  if (ref.length >= 64 && BASE64_RE.test(ref)) {
    let bytes: Uint8Array | null = null;
    try {
      bytes = decodeBase64(ref);
    } catch {
      bytes = null;
    }
    if (bytes && detectImageFormat(bytes)) return { kind: 'bytes', bytes, label: 'base64 image' };
  }
  const where = isAbsolute(ref) ? '' : ` (looked in ${baseDir})`;
  if (problem !== 'missing') throw new MediaError('bad-argument', `${short(ref)}${where} ${problem}`);
  throw new MediaError('bad-argument', `no such file: ${short(ref)}${where}`);
}

/**
 * Why `path` is not a readable regular file (a phrase that completes "<path> …"), 'missing' when nothing
 * is there, or null when it is a file.
 */
async function notAFile(path: string): Promise<string | 'missing' | null> {
  try {
    const st = await stat(path);
    if (st.isFile()) return null;
    if (st.isDirectory()) return 'is a directory, not a file: name a file inside it';
    return 'is not a regular file (a device, socket or pipe): name an image or video file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'is a symlink loop (links that point back to each other), not a file: fix or remove the link';
    if (code === 'EACCES' || code === 'EPERM') return 'cannot be read: permission denied';
    if (code === 'ENOTDIR') return 'is not a file: part of the path is a file, not a folder';
    if (code === 'ENAMETOOLONG') return 'is too long for a file name (nor is it base64 of an image)';
    if (code !== 'ENOENT') return `cannot be opened (${(e as Error).message})`;
    // A link whose target is gone.
    try {
      if ((await lstat(path)).isSymbolicLink()) return `is a broken symlink: its target ${await readlink(path)} does not exist`;
    } catch {
      // nothing at all there
    }
    return 'missing';
  }
}

async function download(url: string, opts: SourceOptions, limit: number): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchWithTimeouts(url, {}, { ...opts, fetchFn: opts.fetch, label: short(url) });
  } catch (e) {
    if (e instanceof MediaError || opts.signal?.aborted) throw e;
    const cause = (e as Error & { cause?: Error }).cause?.message;
    throw new MediaError(
      'unreachable',
      `cannot download ${short(url)}: ${(e as Error).message}${cause ? ` (${cause})` : ''}; check the address and your connection`,
    );
  }
  if (!res.ok)
    throw new MediaError(
      'unreachable',
      `cannot download ${short(url)}: the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
    );
  const declared = Number(res.headers.get('content-length'));
  if (declared > limit) throw new MediaError('too-large', `${short(url)} is ${declared} bytes, above the ${limit}-byte limit`);
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(await res.arrayBuffer());
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let chunk: ReadableStreamReadResult<Uint8Array>;
    try {
      chunk = await reader.read();
    } catch (e) {
      if (e instanceof MediaError || opts.signal?.aborted) throw e;
      throw new MediaError(
        'unreachable',
        `the download of ${short(url)} broke off after ${size} bytes: ${(e as Error).message}; try again`,
      );
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel();
      throw new MediaError('too-large', `${short(url)} is above the ${limit}-byte download limit`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** All bytes of a located file / URL / byte source. */
export async function readAll(loc: Located, opts: SourceOptions = {}): Promise<Uint8Array> {
  const limit = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  switch (loc.kind) {
    case 'bytes':
      return loc.bytes;
    case 'url':
      return download(loc.url, opts, limit);
    case 'file': {
      const size = (await stat(loc.path)).size;
      if (size > limit) throw new MediaError('too-large', `${loc.label} is ${size} bytes, above the ${limit}-byte limit`);
      return new Uint8Array(await readFile(loc.path));
    }
    default:
      throw new MediaError('bad-argument', `${loc.label} are not encoded bytes`);
  }
}

/** The first `n` bytes of a file (all of it when shorter): enough for a header without reading a 50 MB photo. */
export async function readHead(path: string, n: number): Promise<{ bytes: Uint8Array; complete: boolean }> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const len = Math.min(size, n);
    const buf = new Uint8Array(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await fh.read(buf, got, len - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { bytes: buf.subarray(0, got), complete: got >= size };
  } finally {
    await fh.close();
  }
}
