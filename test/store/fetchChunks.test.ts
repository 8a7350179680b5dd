// fetchFileIntoChunks against a fake server (no IndexedDB needed): chunking, Range resume, servers
// that ignore Range, dropped connections and oversized bodies.
import { describe, expect, it } from 'vitest';
import { ModelStoreError, TransientError } from '../../src/store/errors.ts';
import { contentRangeStart, fetchFileIntoChunks, type ChunkSink } from '../../src/store/fetchChunks.ts';

const FILE = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7) % 251);

/** An in-memory sink that records what was written. */
function memorySink(initial: Uint8Array[] = []) {
  const chunks = [...initial];
  let restarts = 0;
  const sink: ChunkSink = {
    storedChunks: () => chunks.length,
    async write(index, data) {
      expect(index).toBe(chunks.length);
      chunks.push(data.slice());
      // Every chunk gets its own buffer (it must not be reused for the next chunk).
      expect(data.byteOffset).toBe(0);
    },
    async restart() {
      chunks.length = 0;
      restarts++;
    },
  };
  return { sink, chunks, restarts: () => restarts, joined: () => Uint8Array.from(chunks.flatMap((c) => [...c])) };
}

interface FakeServer {
  honourRange?: boolean;
  /** Bytes of the body to send before the connection drops. */
  dropAfter?: number;
  extra?: number;
  status?: number;
}

function fakeFetch(server: FakeServer, seen: (string | null)[]): typeof fetch {
  return (async (_url: string, init?: RequestInit) => {
    const range = new Headers(init?.headers).get('range');
    seen.push(range);
    if (server.status) return new Response('nope', { status: server.status });
    let start = 0;
    let status = 200;
    const headers = new Headers();
    if (range && server.honourRange !== false) {
      start = Number(/bytes=(\d+)-/.exec(range)![1]);
      status = 206;
      headers.set('content-range', `bytes ${start}-${FILE.length - 1}/${FILE.length}`);
    }
    let body = FILE.subarray(start);
    if (server.extra) body = Uint8Array.from([...body, ...new Uint8Array(server.extra)]);
    const drop = server.dropAfter;
    const end = drop === undefined ? body.length : Math.min(drop, body.length);
    let at = 0;
    // Small network reads, one per pull, as a real body arrives; then the end or a dropped connection.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at < end) {
          controller.enqueue(body.slice(at, Math.min(at + 64, end)));
          at += 64;
        } else if (drop !== undefined) controller.error(new TypeError('network error'));
        else controller.close();
      },
    });
    return new Response(stream, { status, headers });
  }) as typeof fetch;
}

const job = (server: FakeServer, seen: (string | null)[]) => ({
  url: 'http://x/f.bin',
  file: 'f.bin',
  bytes: FILE.length,
  chunkBytes: 300,
  fetch: fakeFetch(server, seen),
});

describe('fetchFileIntoChunks', () => {
  it('stores a file as whole chunks plus a short last one', async () => {
    const m = memorySink();
    const seen: (string | null)[] = [];
    expect(await fetchFileIntoChunks(job({}, seen), m.sink)).toBe(1000);
    expect(m.chunks.map((c) => c.length)).toEqual([300, 300, 300, 100]);
    expect(m.joined()).toEqual(FILE);
    expect(seen).toEqual([null]);
  });

  it('keeps whole chunks when the connection drops, then resumes with Range', async () => {
    const m = memorySink();
    const seen: (string | null)[] = [];
    await expect(fetchFileIntoChunks(job({ dropAfter: 700 }, seen), m.sink)).rejects.toBeInstanceOf(TransientError);
    expect(m.chunks.length).toBe(2); // 600 bytes kept, the partial third chunk dropped
    expect(await fetchFileIntoChunks(job({}, seen), m.sink)).toBe(400);
    expect(seen).toEqual([null, 'bytes=600-']);
    expect(m.joined()).toEqual(FILE);
  });

  it('treats a body that ends early as a dropped connection', async () => {
    const m = memorySink();
    const fetchShort = (async () => new Response(FILE.slice(0, 650))) as unknown as typeof fetch;
    await expect(fetchFileIntoChunks({ ...job({}, []), fetch: fetchShort }, m.sink)).rejects.toThrow(/ended after 650 of 1000 bytes/);
    expect(m.chunks.length).toBe(2);
  });

  it('starts over when the server ignores Range', async () => {
    const m = memorySink([FILE.slice(0, 300)]);
    const seen: (string | null)[] = [];
    expect(await fetchFileIntoChunks(job({ honourRange: false }, seen), m.sink)).toBe(1000);
    expect(seen).toEqual(['bytes=300-']);
    expect(m.restarts()).toBe(1);
    expect(m.joined()).toEqual(FILE);
  });

  it('does not fetch a file whose chunks are all stored', async () => {
    const m = memorySink([FILE.slice(0, 300), FILE.slice(300, 600), FILE.slice(600, 900), FILE.slice(900)]);
    const seen: (string | null)[] = [];
    expect(await fetchFileIntoChunks(job({}, seen), m.sink)).toBe(0);
    expect(seen).toEqual([]);
  });

  it('rejects a body longer than the manifest size as an integrity problem', async () => {
    const m = memorySink();
    const err = await fetchFileIntoChunks(job({ extra: 10 }, []), m.sink).catch((e) => e);
    expect(err).toBeInstanceOf(ModelStoreError);
    expect(err.kind).toBe('integrity');
  });

  it('retries server errors but not missing files', async () => {
    await expect(fetchFileIntoChunks(job({ status: 503 }, []), memorySink().sink)).rejects.toBeInstanceOf(TransientError);
    const err = await fetchFileIntoChunks(job({ status: 404 }, []), memorySink().sink).catch((e) => e);
    expect(err).toBeInstanceOf(ModelStoreError);
    expect(err.message).toMatch(/Could not download f\.bin from http:\/\/x\/f\.bin: HTTP 404/);
  });
});

describe('contentRangeStart', () => {
  it('reads the start of a byte range', () => {
    expect(contentRangeStart('bytes 600-999/1000')).toBe(600);
    expect(contentRangeStart('bytes 0-9/*')).toBe(0);
    expect(contentRangeStart('bytes */1000')).toBeUndefined();
    expect(contentRangeStart(null)).toBeUndefined();
  });
});
