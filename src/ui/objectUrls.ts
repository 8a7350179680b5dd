// Object URLs for thumbnails, reference-counted: a candidate holds one reference, and a results run
// that shows the candidate's thumbnail holds another, so removing a candidate after a rerank does not
// blank its thumbnail in the results. The URL (and any frame thumbnails attached to it) is revoked
// when the last holder lets go. http(s) URLs pass through untouched.

interface Entry {
  count: number;
  /** Further object URLs owned by this one (video frame thumbnails). */
  extras: string[];
}

const entries = new Map<string, Entry>();

export function createObjectUrl(blob: Blob): string {
  const url = URL.createObjectURL(blob);
  entries.set(url, { count: 1, extras: [] });
  return url;
}

/** Makes `extra` (e.g. a frame thumbnail) live and die with `owner`. Returns false if the owner is gone. */
export function attachExtra(owner: string, extra: string): boolean {
  const e = entries.get(owner);
  if (!e) {
    URL.revokeObjectURL(extra);
    return false;
  }
  e.extras.push(extra);
  return true;
}

export function retainUrl(url: string): void {
  const e = entries.get(url);
  if (e) e.count++;
}

export function releaseUrl(url: string): void {
  const e = entries.get(url);
  if (!e) return;
  if (--e.count > 0) return;
  entries.delete(url);
  URL.revokeObjectURL(url);
  for (const x of e.extras) URL.revokeObjectURL(x);
}

export function isLive(url: string): boolean {
  return entries.has(url);
}

/** How many object URLs are live (owner URLs and their extras); for tests and diagnostics. */
export function liveObjectUrlCount(): number {
  let n = 0;
  for (const e of entries.values()) n += 1 + e.extras.length;
  return n;
}
