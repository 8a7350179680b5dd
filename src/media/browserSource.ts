// Where a media reference points, in the browser (page or worker): an http(s) / blob: / relative URL,
// a data: URL, bare base64, a File / Blob, raw bytes, or already decoded pixels. Network failures become
// MediaErrors that say what to do, since a bare "Failed to fetch" (often CORS) helps nobody.
import { BlobSource, BufferSource, UrlSource, type Source } from 'mediabunny';
import { decodeBase64, parseDataUrl } from './base64.ts';
import { withArticle } from './article.ts';
import { MediaError } from './errors.ts';
import { fetchWithTimeouts, type FetchTimeouts } from './fetchTimeouts.ts';
import { detectImageFormat } from './imageHeader.ts';
import type { RawPixels } from './pixels.ts';

export type BrowserLocated =
  | { kind: 'url'; url: string; label: string }
  | { kind: 'blob'; blob: Blob; label: string }
  | { kind: 'bytes'; bytes: Uint8Array; label: string }
  | { kind: 'pixels'; pixels: RawPixels; label: string }
  | { kind: 'bitmap'; bitmap: ImageBitmap; label: string };

/** Largest download accepted (the whole body is held in memory). */
export const DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 2 ** 20;
const BASE64_RE = /^[A-Za-z0-9+/\s]+={0,2}\s*$/;

export function shortRef(s: string): string {
  return s.length > 80 ? `${s.slice(0, 60)}…(${s.length} chars)` : s;
}

function isRawPixels(o: object): o is RawPixels {
  const p = o as Partial<RawPixels>;
  return (
    typeof p.width === 'number' &&
    typeof p.height === 'number' &&
    (p.channels === 3 || p.channels === 4) &&
    (p.data instanceof Uint8Array || p.data instanceof Uint8ClampedArray)
  );
}

/** The page / worker location relative URLs resolve against (workers: the worker script's URL). */
function baseUrl(): string {
  return (globalThis as { location?: { href: string } }).location?.href ?? 'http://localhost/';
}

/** Resolves a reference without reading it. */
export function locate(ref: unknown): BrowserLocated {
  if (typeof Blob !== 'undefined' && ref instanceof Blob) {
    const name = (ref as File).name;
    return { kind: 'blob', blob: ref, label: name ? `"${name}"` : withArticle(`${ref.size}-byte ${ref.type || 'file'}`) };
  }
  if (typeof ImageBitmap !== 'undefined' && ref instanceof ImageBitmap)
    return { kind: 'bitmap', bitmap: ref, label: withArticle(`${ref.width}×${ref.height} ImageBitmap`) };
  if (ref instanceof Uint8Array) return { kind: 'bytes', bytes: ref, label: `${ref.length} bytes` };
  if (ref instanceof ArrayBuffer) return { kind: 'bytes', bytes: new Uint8Array(ref), label: `${ref.byteLength} bytes` };
  if (ref !== null && typeof ref === 'object' && isRawPixels(ref))
    return { kind: 'pixels', pixels: ref, label: `${ref.width}×${ref.height} pixels` };
  if (typeof ref !== 'string') {
    throw new MediaError(
      'bad-argument',
      `a media reference must be a URL, data URL, base64 string, File or Blob, got ${ref === null ? 'null' : typeof ref}`,
    );
  }
  const s = ref.trim();
  if (s.length === 0) throw new MediaError('bad-argument', 'empty media URL');
  if (/^data:/i.test(s)) return { kind: 'bytes', bytes: parseDataUrl(s).bytes, label: 'data URL' };
  if (/^file:/i.test(s)) {
    throw new MediaError(
      'bad-argument',
      `the browser cannot open local paths (${shortRef(s)}): add the file with the file picker or drag and drop instead`,
    );
  }
  // Bare base64 (a Sift extension, as in Node): long, base64 throughout, and decodes to a known image.
  if (s.length >= 64 && BASE64_RE.test(s)) {
    let bytes: Uint8Array | null = null;
    try {
      bytes = decodeBase64(s);
    } catch {
      bytes = null;
    }
    if (bytes && detectImageFormat(bytes)) return { kind: 'bytes', bytes, label: 'base64 image' };
  }
  let url: URL;
  try {
    url = new URL(s, baseUrl());
  } catch {
    throw new MediaError('bad-argument', `not a URL: ${shortRef(s)}`);
  }
  if (!/^(https?|blob):$/.test(url.protocol)) {
    throw new MediaError(
      'bad-argument',
      `unsupported URL scheme "${url.protocol}" in ${shortRef(s)}: use http(s), blob: or data: URLs, or add the file directly`,
    );
  }
  return { kind: 'url', url: url.href, label: shortRef(s) };
}

function crossOrigin(url: string): boolean {
  try {
    return new URL(url).origin !== new URL(baseUrl()).origin;
  } catch {
    return false;
  }
}

/** A fetch that failed before any response: offline, DNS, refused connection, or CORS. */
export function unreachable(url: string, label: string, cause: unknown): MediaError {
  const why = cause instanceof Error ? cause.message : String(cause);
  const hint = url.startsWith('blob:')
    ? 'the blob: URL was revoked or belongs to another page; add the file again'
    : crossOrigin(url)
      ? 'the server is unreachable, or it does not allow cross-origin reads (no Access-Control-Allow-Origin header, so the browser blocks it). Download the file and add it from disk, or serve it with CORS enabled'
      : 'the server is unreachable; check the address and your connection';
  return new MediaError('unreachable', `cannot fetch ${label} (${why}): ${hint}`);
}

function httpError(label: string, res: Response): MediaError {
  return new MediaError(
    'unreachable',
    `cannot fetch ${label}: the server answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
  );
}

function rethrowAbort(err: unknown, signal?: AbortSignal): void {
  if (signal?.aborted) throw signal.reason ?? new DOMException('cancelled', 'AbortError');
  if (err instanceof DOMException && err.name === 'AbortError') throw err;
}

async function download(
  url: string,
  label: string,
  signal: AbortSignal | undefined,
  limit: number,
  timeouts: FetchTimeouts,
): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetchWithTimeouts(url, {}, { ...timeouts, signal, label });
  } catch (e) {
    rethrowAbort(e, signal);
    if (e instanceof MediaError) throw e;
    throw unreachable(url, label, e);
  }
  if (!res.ok) throw httpError(label, res);
  const declared = Number(res.headers.get('content-length'));
  if (declared > limit) {
    await res.body?.cancel();
    throw new MediaError('too-large', `${label} is ${declared} bytes, above the ${limit}-byte download limit`);
  }
  // Read chunk by chunk, not with arrayBuffer(): Chromium reports any body error there as "Failed to
  // fetch", which would hide a stall timeout; this also stops at the limit instead of after it.
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > limit) {
        await reader.cancel();
        throw new MediaError('too-large', `${label} is above the ${limit}-byte download limit`);
      }
      parts.push(value);
    }
  } catch (e) {
    if (e instanceof MediaError) throw e;
    rethrowAbort(e, signal);
    throw unreachable(url, label, e);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

/** All bytes of a URL / Blob / byte reference; http(s) URLs under the fetch and stall timeouts. */
export async function readAllBytes(
  loc: BrowserLocated,
  signal?: AbortSignal,
  limit = DEFAULT_MAX_DOWNLOAD_BYTES,
  timeouts: FetchTimeouts = {},
): Promise<Uint8Array> {
  switch (loc.kind) {
    case 'bytes':
      return loc.bytes;
    case 'url':
      return download(loc.url, loc.label, signal, limit, timeouts);
    case 'blob':
      if (loc.blob.size > limit) throw new MediaError('too-large', `${loc.label} is ${loc.blob.size} bytes, above the ${limit}-byte limit`);
      try {
        return new Uint8Array(await loc.blob.arrayBuffer());
      } catch (e) {
        // A File whose disk copy changed or vanished since it was picked.
        throw new MediaError('unreachable', `cannot read ${loc.label} (${(e as Error).message}); add the file again`);
      }
    default:
      throw new MediaError('bad-argument', `${loc.label} are not encoded bytes`);
  }
}

function urlOf(input: string | URL | Request): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/**
 * A mediabunny Source for a video. http(s) URLs are read with Range requests (only the index and the
 * sampled GOPs are downloaded); a first small request turns 404 / CORS / offline into clear errors,
 * because mediabunny's own retry loop would otherwise keep retrying. Every request is under the fetch
 * and stall timeouts, and a timeout is not retried. blob: URLs are fetched whole.
 */
export async function openVideoSource(
  loc: BrowserLocated,
  signal?: AbortSignal,
  timeouts: FetchTimeouts = {},
): Promise<{ source: Source; size: number | null }> {
  switch (loc.kind) {
    case 'bytes':
      return { source: new BufferSource(loc.bytes), size: loc.bytes.length };
    case 'blob':
      return { source: new BlobSource(loc.blob), size: loc.blob.size };
    case 'url': {
      if (loc.url.startsWith('blob:')) {
        let blob: Blob;
        try {
          blob = await (await fetch(loc.url, { signal })).blob();
        } catch (e) {
          rethrowAbort(e, signal);
          throw unreachable(loc.url, loc.label, e);
        }
        return { source: new BlobSource(blob), size: blob.size };
      }
      let res: Response;
      try {
        res = await fetchWithTimeouts(loc.url, { headers: { Range: 'bytes=0-0' } }, { ...timeouts, signal, label: loc.label });
      } catch (e) {
        rethrowAbort(e, signal);
        if (e instanceof MediaError) throw e;
        throw unreachable(loc.url, loc.label, e);
      }
      await res.body?.cancel().catch(() => {});
      if (!res.ok) throw httpError(loc.label, res);
      const range = /\/(\d+)\s*$/.exec(res.headers.get('content-range') ?? '');
      const size = range ? Number(range[1]) : res.status === 200 ? Number(res.headers.get('content-length') ?? NaN) : NaN;
      const source = new UrlSource(loc.url, {
        fetchFn: (input, init) => fetchWithTimeouts(urlOf(input), init, { ...timeouts, label: loc.label }),
        // Two quick retries for a flaky connection, then give up with the error; a timeout already waited.
        getRetryDelay: (attempts, error) => (error instanceof MediaError || attempts >= 2 ? null : 0.5),
      });
      return { source, size: Number.isFinite(size) ? size : null };
    }
    default:
      throw new MediaError('bad-argument', `${loc.label} cannot be read as a video file`);
  }
}
