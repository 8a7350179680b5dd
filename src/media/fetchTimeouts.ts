// fetch() with the two timeouts a media URL needs (Node and browser alike): one for the response to
// start (connection + status + headers), and one for the body to keep moving (no bytes, or under 1 KB,
// in N s). Without
// them a server that accepts the connection and never answers holds a whole ranking: Node waits its own
// 300 s header timeout, a browser waits forever. Each expiry is a MediaError 'timeout' naming the URL.
import { MediaError } from './errors.ts';

export interface FetchTimeouts {
  /** Longest wait for the response to start (status and headers), in ms; default 30 000. */
  fetchTimeoutMs?: number;
  /** Longest wait for the next bytes of the body, in ms; default 15 000. Less than 1 KB in that time fails too. */
  stallTimeoutMs?: number;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 30_000;
export const DEFAULT_STALL_TIMEOUT_MS = 15_000;
/**
 * Less than this in one stall timeout counts as stalled too: a server that trickles a byte every few
 * seconds never goes quiet for the whole timeout, yet would take days for one image.
 */
export const MIN_BYTES_PER_STALL_WINDOW = 1024;

/** "1 byte", "840 bytes", "12.3 KB", "1.2 MB". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} byte${n === 1 ? '' : 's'}`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} KB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

function timeoutOf(ms: number | undefined, fallback: number, name: string): number {
  const v = ms ?? fallback;
  if (!(v > 0) || !Number.isFinite(v)) throw new MediaError('bad-argument', `${name} must be a positive number of milliseconds, got ${ms}`);
  return v;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('cancelled', 'AbortError');
}

export interface TimedFetchOptions extends FetchTimeouts {
  /** The caller's cancel signal: aborting it aborts the request (and its body) as plain fetch would. */
  signal?: AbortSignal | null;
  fetchFn?: typeof fetch;
  /** How the URL is named in messages (default: the URL). */
  label?: string;
}

/**
 * fetch(url, init) that rejects with MediaError 'timeout' when no response starts within the fetch
 * timeout; the returned Response's body errors with one when no bytes arrive for the stall timeout.
 */
export async function fetchWithTimeouts(url: string, init: RequestInit = {}, opts: TimedFetchOptions = {}): Promise<Response> {
  const fetchMs = timeoutOf(opts.fetchTimeoutMs, DEFAULT_FETCH_TIMEOUT_MS, 'the fetch timeout');
  const stallMs = timeoutOf(opts.stallTimeoutMs, DEFAULT_STALL_TIMEOUT_MS, 'the stall timeout');
  const label = opts.label ?? url;
  const outer = opts.signal ?? init.signal ?? undefined;
  if (outer?.aborted) throw abortReason(outer);
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(abortReason(outer!));
  outer?.addEventListener('abort', onAbort, { once: true });
  const release = () => outer?.removeEventListener('abort', onAbort);

  let expired: MediaError | null = null;
  const timer = setTimeout(() => {
    expired = new MediaError(
      'timeout',
      `no response from ${label} within ${seconds(fetchMs)}: the server did not answer; check the address, or allow more time (fetch timeout)`,
    );
    ctl.abort(expired);
  }, fetchMs);
  let res: Response;
  try {
    res = await (opts.fetchFn ?? fetch)(url, { ...init, signal: ctl.signal });
  } catch (e) {
    release();
    if (expired) throw expired;
    throw e;
  } finally {
    clearTimeout(timer);
  }
  // No body, or one these statuses may not carry: nothing to stall on.
  if (!res.body || [101, 204, 205, 304].includes(res.status)) {
    release();
    return res;
  }

  const reader = res.body.getReader();
  const declared = Number(res.headers.get('content-length'));
  let got = 0;
  // Both clocks count only time spent waiting for the server, not for the consumer: `sinceByte` since
  // the last bytes came, `window` in the current stall window (with `windowBytes` received in it).
  let sinceByte = 0;
  let window = 0;
  let windowBytes = 0;
  const progress = () => `got ${formatBytes(got)}${declared > 0 ? ` of ${formatBytes(declared)}` : ' so far'}`;
  // Too few bytes in the window is the reason whenever it holds (so a late timer cannot change the message).
  const stalled = () =>
    windowBytes === 0 || windowBytes >= MIN_BYTES_PER_STALL_WINDOW
      ? new MediaError(
          'timeout',
          `${label} sent nothing for ${seconds(stallMs)} (${progress()}): the download stalled; try again later, or allow more time (stall timeout)`,
        )
      : new MediaError(
          'timeout',
          `${label} sent only ${formatBytes(windowBytes)} in ${seconds(stallMs)} (${progress()}): the download is too slow (under ${formatBytes(MIN_BYTES_PER_STALL_WINDOW)} per stall timeout); try again later, or allow more time (stall timeout)`,
        );
  /** At the end of a window: too few bytes fail the download, else a new window starts. */
  const endWindow = () => {
    if (windowBytes < MIN_BYTES_PER_STALL_WINDOW) throw stalled();
    window = 0;
    windowBytes = 0;
  };
  // highWaterMark 0: pulled only when the reader asks, so a consumer that pauses is not a stalled server.
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const read = reader.read();
        try {
          for (;;) {
            const t0 = Date.now();
            const wait = Math.max(0, stallMs - Math.max(sinceByte, window));
            let timer: ReturnType<typeof setTimeout> | undefined;
            const expired = new Promise<null>((r) => (timer = setTimeout(() => r(null), wait)));
            const r = await Promise.race([read, expired]);
            clearTimeout(timer);
            // A timer may fire a millisecond "early" by the clock: it still means `wait` has passed.
            const dt = r === null ? Math.max(wait, Date.now() - t0) : Date.now() - t0;
            sinceByte += dt;
            window += dt;
            if (r === null) {
              if (sinceByte >= stallMs) throw stalled();
              endWindow();
              continue; // still waiting for the same read, in a new window
            }
            if (r.done) {
              release();
              controller.close();
              return;
            }
            got += r.value.length;
            windowBytes += r.value.length;
            sinceByte = 0;
            if (window >= stallMs) endWindow();
            controller.enqueue(r.value);
            return;
          }
        } catch (e) {
          release();
          // Closes the connection: the server stops sending to nobody.
          ctl.abort(e);
          reader.cancel(e).catch(() => {});
          controller.error(e);
        }
      },
      cancel(reason) {
        release();
        ctl.abort(reason);
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
