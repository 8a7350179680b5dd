// Storage quota and persistence. The quota is checked before the first byte is fetched so a model
// that cannot fit fails at once with the sizes, rather than after minutes of downloading.
import { isQuotaExceeded, quotaError } from './errors.ts';

export interface StorageRoom {
  /** Bytes this site may still store, or undefined when the browser does not say. */
  availableBytes: number | undefined;
  quotaBytes: number | undefined;
  usageBytes: number | undefined;
}

export async function storageRoom(): Promise<StorageRoom> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.estimate) return { availableBytes: undefined, quotaBytes: undefined, usageBytes: undefined };
  const { quota, usage } = await storage.estimate();
  const available = quota === undefined ? undefined : Math.max(0, quota - (usage ?? 0));
  return { availableBytes: available, quotaBytes: quota, usageBytes: usage };
}

/**
 * Throws a quota ModelStoreError when `neededBytes` more will not fit. Best effort: Chromium may
 * report a padded quota (StaticStorageQuota), in which case the write that overflows reports it.
 */
export async function assertRoomFor(label: string, neededBytes: number, totalBytes: number): Promise<void> {
  const { availableBytes } = await storageRoom();
  if (availableBytes !== undefined && neededBytes > availableBytes) throw quotaError(label, neededBytes, availableBytes, false, totalBytes);
}

/** Turns an IndexedDB QuotaExceededError into a ModelStoreError with the sizes; other errors pass through. */
export async function explainQuotaError(err: unknown, label: string, neededBytes: number, totalBytes: number): Promise<unknown> {
  if (!isQuotaExceeded(err)) return err;
  const room = await storageRoom().catch(() => undefined);
  return quotaError(label, neededBytes, room?.availableBytes, true, totalBytes);
}

/**
 * Asks the browser not to evict the models under storage pressure. Browsers may say no (headless
 * Chromium does unless the permission is granted); the download goes on either way.
 */
export async function requestPersistentStorage(): Promise<boolean> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  try {
    if (await storage?.persisted?.()) return true;
    return (await storage?.persist?.()) ?? false;
  } catch {
    return false;
  }
}
