// Retries transient failures with exponential backoff. An attempt that made progress (stored more
// chunks) resets the count, so a long download over a flaky link keeps going while a dead link
// gives up after a few quick tries.
import { TransientError } from './errors.ts';

export interface RetryOptions {
  /** Attempts after the first one without progress. */
  retries: number;
  /** First wait; doubles each time, capped at 30 s. */
  baseDelayMs: number;
  signal?: AbortSignal;
  /** True if the attempt that just failed moved the download forward. */
  progressed?: () => boolean;
  onRetry?: (err: TransientError, attempt: number, delayMs: number) => void;
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs `attempt` until it succeeds, retrying only TransientErrors; rethrows the last one. */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  let failures = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof TransientError) || options.signal?.aborted) throw err;
      failures = options.progressed?.() ? 1 : failures + 1;
      if (failures > options.retries) throw err;
      const delayMs = Math.min(options.baseDelayMs * 2 ** (failures - 1), 30_000);
      options.onRetry?.(err, failures, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}
