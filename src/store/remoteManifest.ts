// Fetching a model's manifest.json and checking the parts the store relies on (id, version, the file
// list with sizes and hashes). The model layer checks the rest when it loads the model.
import type { Manifest } from './manifest.ts';
import { isAbort, ModelStoreError, TransientError } from './errors.ts';

export interface RemoteManifest {
  manifest: Manifest;
  /** Absolute URL of manifest.json; file URLs are resolved against it. */
  url: string;
}

/** Absolute form of a manifest URL given relative to the page (or worker) location. */
export function absoluteUrl(url: string): string {
  return new URL(url, (globalThis as { location?: { href: string } }).location?.href).href;
}

/** Checks what the store needs and throws a manifest ModelStoreError naming the first problem. */
export function checkStoreFields(json: unknown, url: string): Manifest {
  const m = json as Partial<Manifest> | null;
  const bad = (what: string) => new ModelStoreError('manifest', `${url} is not a usable Sift model manifest: ${what}`);
  if (!m || typeof m !== 'object' || m.format !== 'sift-model') throw bad('"format" must be "sift-model"');
  if (typeof m.id !== 'string' || !m.id) throw bad('"id" is missing');
  if (typeof m.version !== 'string' || !m.version) throw bad('"version" is missing');
  if (!Array.isArray(m.shards) || m.shards.length === 0) throw bad('"shards" (the file list) is missing');
  const seen = new Set<string>();
  for (const s of m.shards) {
    // Plain names only: a manifest must not make the store fetch or key anything outside its directory.
    if (typeof s?.file !== 'string' || !/^[\w.-]+$/.test(s.file) || s.file === '.' || s.file === '..') {
      throw bad(`file name ${JSON.stringify(s?.file)} is not a plain file name`);
    }
    if (seen.has(s.file)) throw bad(`${s.file} is listed twice`);
    seen.add(s.file);
    if (!Number.isSafeInteger(s.bytes) || s.bytes < 0) throw bad(`${s.file} has no valid size`);
    if (typeof s.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(s.sha256)) throw bad(`${s.file} has no valid sha256`);
  }
  return m as Manifest;
}

/** Downloads and checks manifest.json. Network failures are TransientErrors (the caller retries). */
export async function fetchManifest(manifestUrl: string, fetchFn: typeof fetch, signal?: AbortSignal): Promise<RemoteManifest> {
  const url = absoluteUrl(manifestUrl);
  let res: Response;
  try {
    res = await fetchFn(url, { signal, cache: 'no-cache' });
  } catch (err) {
    if (isAbort(err, signal)) throw err;
    throw new TransientError(`manifest.json: ${(err as Error).message || 'network error'}`);
  }
  if (!res.ok) {
    const what = `${url}: HTTP ${res.status}`;
    if (res.status >= 500 || res.status === 408 || res.status === 429) throw new TransientError(what);
    throw new ModelStoreError('http', `Could not download the model manifest ${what}`);
  }
  // Reading the body and parsing it fail differently: a connection dropped mid-body is worth a retry,
  // a body that is not JSON is not.
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    if (isAbort(err, signal)) throw err;
    throw new TransientError(`manifest.json: the connection dropped (${(err as Error).message || 'read error'})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ModelStoreError('manifest', `${url} is not valid JSON (${(err as Error).message})`);
  }
  return { manifest: checkStoreFields(json, url), url };
}

/** URL of one model file, next to manifest.json. */
export function fileUrl(manifestUrl: string, file: string): string {
  return new URL(file, manifestUrl).href;
}
