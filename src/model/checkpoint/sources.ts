// Random-access byte sources behind one small interface, so the safetensors reader works the
// same on a browser File, an in-memory buffer or an HTTP server that honours Range requests.
// (The Node file source lives in nodeFiles.ts so browser bundles never pull in node:fs.)

export interface ByteSource {
  /** A name for error messages (file name or URL). */
  readonly name: string;
  size(): Promise<number>;
  /** Exactly `length` bytes starting at `offset`; throws when the range is outside the source. */
  read(offset: number, length: number): Promise<Uint8Array>;
  close?(): Promise<void>;
}

export function checkRange(name: string, offset: number, length: number, size: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new Error(`${name}: invalid byte range offset=${offset} length=${length}`);
  }
  if (offset + length > size) {
    throw new Error(`${name}: bytes ${offset}–${offset + length} requested but the file is only ${size} bytes (truncated?)`);
  }
}

/** Bytes already in memory (tests, generated checkpoints). */
export class MemorySource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly bytes: Uint8Array,
  ) {}

  async size(): Promise<number> {
    return this.bytes.byteLength;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, offset, length, this.bytes.byteLength);
    return this.bytes.subarray(offset, offset + length);
  }
}

/** A browser Blob or File: slices are read lazily, so a 4 GB file never sits in memory. */
export class BlobSource implements ByteSource {
  constructor(
    readonly name: string,
    private readonly blob: Blob,
  ) {}

  async size(): Promise<number> {
    return this.blob.size;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.name, offset, length, this.blob.size);
    const buf = await this.blob.slice(offset, offset + length).arrayBuffer();
    if (buf.byteLength !== length) {
      throw new Error(`${this.name}: read ${buf.byteLength} of ${length} bytes at offset ${offset} (file changed?)`);
    }
    return new Uint8Array(buf);
  }
}

export interface HttpOptions {
  /** Extra request headers (e.g. Authorization for gated repositories). */
  headers?: Record<string, string>;
  /** Attempts per request on network errors and 5xx/429 answers (default 3). */
  attempts?: number;
  /** Delay before the first retry, doubled each time (default 300 ms). */
  retryDelayMs?: number;
  fetch?: typeof fetch;
}

/** An HTTP error whose status tells whether retrying can help. */
class HttpStatusError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

/** The server does not do range requests properly; retrying cannot help. */
export class RangeNotHonouredError extends Error {}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Parses `bytes a-b/total` (total may be `*`). */
function parseContentRange(value: string | null): { start: number; end: number; total: number | null } | null {
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value?.trim() ?? '');
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

/**
 * A file behind a URL, read with `Range: bytes=a-b` requests. A server that answers 200 to a
 * partial range would make us download the whole file for every tensor, so that is an error.
 */
export class HttpRangeSource implements ByteSource {
  private knownSize: number | null = null;
  private readonly fetchFn: typeof fetch;

  constructor(
    readonly url: string,
    private readonly options: HttpOptions = {},
  ) {
    this.fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  get name(): string {
    return this.url;
  }

  /** Runs `attempt`, retrying on network failures and retriable statuses. */
  private async withRetries<T>(what: string, attempt: () => Promise<T>): Promise<T> {
    const attempts = Math.max(1, this.options.attempts ?? 3);
    let delay = this.options.retryDelayMs ?? 300;
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        const retriable = err instanceof HttpStatusError ? err.retriable : !(err instanceof RangeNotHonouredError);
        if (!retriable || i >= attempts) {
          if (err instanceof HttpStatusError || err instanceof RangeNotHonouredError) throw err;
          throw new Error(`${this.url}: ${what} failed after ${i} attempt(s): ${(err as Error).message}`, { cause: err });
        }
        await sleep(delay);
        delay *= 2;
      }
    }
  }

  private async get(range: string): Promise<Response> {
    const res = await this.fetchFn(this.url, { headers: { ...this.options.headers, Range: range } });
    if (res.status === 404) {
      await res.body?.cancel();
      throw new HttpStatusError(`${this.url}: HTTP 404 (file not found)`, false);
    }
    if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      const retriable = res.status >= 500 || res.status === 429 || res.status === 408;
      throw new HttpStatusError(`${this.url}: HTTP ${res.status} ${res.statusText} for Range ${range}`, retriable);
    }
    return res;
  }

  async size(): Promise<number> {
    if (this.knownSize !== null) return this.knownSize;
    this.knownSize = await this.withRetries('size request', async () => {
      const res = await this.get('bytes=0-0');
      const range = parseContentRange(res.headers.get('content-range'));
      await res.body?.cancel();
      if (res.status === 206 && range?.total != null) return range.total;
      const length = Number(res.headers.get('content-length'));
      if (res.status === 200 && Number.isSafeInteger(length) && length >= 0 && res.headers.has('content-length')) {
        return length; // Range ignored; whole-file reads still work, partial ones will fail clearly.
      }
      throw new Error(`could not learn the file size (status ${res.status}, Content-Range "${res.headers.get('content-range')}")`);
    });
    return this.knownSize;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this.url, offset, length, await this.size());
    if (length === 0) return new Uint8Array(0);
    const end = offset + length - 1;
    return this.withRetries(`read of bytes ${offset}-${end}`, async () => {
      const res = await this.get(`bytes=${offset}-${end}`);
      const whole = offset === 0 && length === this.knownSize;
      if (res.status === 200 && !whole) {
        await res.body?.cancel();
        throw new RangeNotHonouredError(
          `${this.url}: the server ignored the Range header (answered 200 to bytes=${offset}-${end}); ` +
            'Sift needs a server that supports HTTP range requests (206 Partial Content)',
        );
      }
      if (res.status === 206) {
        const range = parseContentRange(res.headers.get('content-range'));
        if (!range || range.start !== offset || range.end !== end) {
          await res.body?.cancel();
          throw new RangeNotHonouredError(
            `${this.url}: asked for bytes ${offset}-${end} but the server sent Content-Range "${res.headers.get('content-range')}"`,
          );
        }
        if (range.total !== null && range.total !== this.knownSize) {
          await res.body?.cancel();
          throw new RangeNotHonouredError(`${this.url}: the file changed on the server (${this.knownSize} → ${range.total} bytes)`);
        }
      }
      const body = new Uint8Array(await res.arrayBuffer());
      // A short body is a broken transfer: retry it.
      if (body.byteLength !== length) throw new Error(`received ${body.byteLength} of ${length} bytes`);
      return body;
    });
  }
}
