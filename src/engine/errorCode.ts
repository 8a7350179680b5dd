// The stable code of a failure, as the public API reports it (RerankResult.errors, thrown errors).

/**
 * The stable code of a thrown value (the public API's `code`): its own string `code` (MediaError's,
 * ModelStoreError's kind, …), 'bad-request' for a request of the wrong shape, 'cancelled' for an
 * abort, else 'internal' (Sift's own failure).
 */
export function errorCode(err: unknown): string {
  const e = err as { code?: unknown; name?: unknown } | null;
  if (e && typeof e.code === 'string' && e.code) return e.code;
  if (e?.name === 'RequestError') return 'bad-request';
  if (e?.name === 'AbortError') return 'cancelled';
  return 'internal';
}
