// Errors the model store raises. Each message is meant to be shown to the user as is (it survives a
// comlink hop, where only name and message are kept), so it says what happened, the sizes involved
// and what to do next.

export type StoreErrorKind = 'quota' | 'integrity' | 'network' | 'http' | 'manifest' | 'missing';

export class ModelStoreError extends Error {
  override name = 'ModelStoreError';
  constructor(
    readonly kind: StoreErrorKind,
    message: string,
    /** Bytes still to be stored and bytes the browser reported free (quota errors only). */
    readonly neededBytes?: number,
    readonly availableBytes?: number,
  ) {
    super(message);
  }

  /** The stable code of the public API's errors (src/lib/errors.ts): the kind. */
  get code(): StoreErrorKind {
    return this.kind;
  }
}

/** Decimal megabytes with one decimal, as storage UIs show them. */
export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function quotaError(
  label: string,
  neededBytes: number,
  availableBytes: number | undefined,
  midDownload: boolean,
  totalBytes = neededBytes,
): ModelStoreError {
  const advice = 'Free disk space or delete other models, then download again (what is already stored is kept).';
  // Chromium's estimate() may report a padded quota (usage + 10 GiB), so when a write was refused an
  // "available" figure larger than the need would only contradict the error: leave it out.
  const room =
    availableBytes !== undefined && (!midDownload || availableBytes < neededBytes)
      ? `only ${megabytes(availableBytes)} is available to this site`
      : 'the storage this site may use is full';
  const head = midDownload ? 'The browser refused to store more of model' : 'Not enough storage for model';
  const need = `${megabytes(neededBytes)} more${totalBytes > neededBytes ? ` (of ${megabytes(totalBytes)} in all)` : ''}`;
  return new ModelStoreError('quota', `${head} ${label}: it needs ${need}, and ${room}. ${advice}`, neededBytes, availableBytes);
}

/** IndexedDB reports a full quota as a QuotaExceededError DOMException (legacy code 22). */
export function isQuotaExceeded(err: unknown): boolean {
  const e = err as { name?: string; code?: number } | null;
  return !!e && (e.name === 'QuotaExceededError' || e.code === 22);
}

export function isAbort(err: unknown, signal?: AbortSignal): boolean {
  return (err as { name?: string } | null)?.name === 'AbortError' || !!signal?.aborted;
}

/** A failure worth retrying: network errors, dropped connections, overloaded servers. */
export class TransientError extends Error {
  override name = 'TransientError';
}
