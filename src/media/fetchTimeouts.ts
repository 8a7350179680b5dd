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

/** An AbortController that follows the caller's signal; `release` stops following it. */
function followingController(outer: AbortSignal | undefined): { ctl: AbortController; release: () => void } {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(abortReason(outer!));
  outer?.addEventListener('abort', onAbort, { once: true });
  return { ctl, release: () => outer?.removeEventListener('abort', onAbort) };
}

/** The response, or MediaError 'timeout' when it has not started within `fetchMs`. */
async function responseWithin(
  url: string,
  init: RequestInit,
  fetchFn: typeof fetch | undefined,
  ctl: AbortController,
  release: () => void,
  fetchMs: number,
  label: string,
): Promise<Response> {
  let expired: MediaError | null = null;
  const timer = setTimeout(() => {
    expired = new MediaError(
      'timeout',
      `no response from ${label} within ${seconds(fetchMs)}: the server did not answer; check the address, or allow more time (fetch timeout)`,
    );
    ctl.abort(expired);
  }, fetchMs);
  try {
    return await (fetchFn ?? fetch)(url, { ...init, signal: ctl.signal });
  } catch (e) {
    release();
    if (expired) throw expired;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The stall bookkeeping of one body. Both clocks count only time spent waiting for the server, not
 * for the consumer: `sinceByte` since the last bytes came, `window` in the current stall window (with
 * `windowBytes` received in it).
 */
class StallClock {
  got = 0;
  sinceByte = 0;
  window = 0;
  windowBytes = 0;

  constructor(
    private readonly label: string,
    readonly stallMs: number,
    private readonly declared: number,
  ) {}

  private progress(): string {
    return `got ${formatBytes(this.got)}${this.declared > 0 ? ` of ${formatBytes(this.declared)}` : ' so far'}`;
  }

  /** Too few bytes in the window is the reason whenever it holds (so a late timer cannot change the message). */
  stalled(): MediaError {
    const { label, stallMs, windowBytes } = this;
    return windowBytes === 0 || windowBytes >= MIN_BYTES_PER_STALL_WINDOW
      ? new MediaError(
          'timeout',
          `${label} sent nothing for ${seconds(stallMs)} (${this.progress()}): the download stalled; try again later, or allow more time (stall timeout)`,
        )
      : new MediaError(
          'timeout',
          `${label} sent only ${formatBytes(windowBytes)} in ${seconds(stallMs)} (${this.progress()}): the download is too slow (under ${formatBytes(MIN_BYTES_PER_STALL_WINDOW)} per stall timeout); try again later, or allow more time (stall timeout)`,
        );
  }

  /** At the end of a window: too few bytes fail the download, else a new window starts. */
  endWindow(): void {
    if (this.windowBytes < MIN_BYTES_PER_STALL_WINDOW) throw this.stalled();
    this.window = 0;
    this.windowBytes = 0;
  }
}

/** The result of `read`, counted on `clock`; throws the stall error when the server is too slow. */
async function readWithinStall(
  read: Promise<ReadableStreamReadResult<Uint8Array>>,
  clock: StallClock,
): Promise<ReadableStreamReadResult<Uint8Array>> {
  const { stallMs } = clock;
  for (;;) {
    const t0 = Date.now();
    const wait = Math.max(0, stallMs - Math.max(clock.sinceByte, clock.window));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<null>((r) => (timer = setTimeout(() => r(null), wait)));
    const r = await Promise.race([read, expired]);
    clearTimeout(timer);
    // A timer may fire a millisecond "early" by the clock: it still means `wait` has passed.
    const dt = r === null ? Math.max(wait, Date.now() - t0) : Date.now() - t0;
    clock.sinceByte += dt;
    clock.window += dt;
    if (r === null) {
      if (clock.sinceByte >= stallMs) throw clock.stalled();
      clock.endWindow();
      continue; // still waiting for the same read, in a new window
    }
    if (r.done) return r;
    clock.got += r.value.length;
    clock.windowBytes += r.value.length;
    clock.sinceByte = 0;
    if (clock.window >= stallMs) clock.endWindow();
    return r;
  }
}

/** `res`'s body as a stream that errors with MediaError 'timeout' when the server stalls. */
function stallWatchedBody(
  body: ReadableStream<Uint8Array>,
  clock: StallClock,
  ctl: AbortController,
  release: () => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  // highWaterMark 0: pulled only when the reader asks, so a consumer that pauses is not a stalled server.
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const read = reader.read();
        try {
          const r = await readWithinStall(read, clock);
          if (r.done) {
            release();
            controller.close();
            return;
          }
          controller.enqueue(r.value);
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
  const { ctl, release } = followingController(outer);
  const res = await responseWithin(url, init, opts.fetchFn, ctl, release, fetchMs, label);
  // No body, or one these statuses may not carry: nothing to stall on.
  if (!res.body || [101, 204, 205, 304].includes(res.status)) {
    release();
    return res;
  }
  const clock = new StallClock(label, stallMs, Number(res.headers.get('content-length')));
  const body = stallWatchedBody(res.body, clock, ctl, release);
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
