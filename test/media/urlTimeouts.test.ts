// Media URLs in Node against a real local HTTP server that misbehaves: one that accepts the connection
// and never answers, one that sends its headers and then a byte every 2 s (or every 0.2 s: never quiet
// for the whole stall timeout, yet far too slow), and one that is slow but fast enough.
// Each must end with a MediaError 'timeout' naming the URL and what happened, within the configured time.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.ts';
import { readAll } from '../../src/media/nodeSource.ts';

let server: Server;
let origin: string;
const open = new Set<ServerResponse>();
/** Requests for /hang.png the server has received (and holds). */
let hangs = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const path = req.url ?? '/';
    if (path === '/hang.png') return void hangs++; // accepted, never answered
    if (path === '/silent.png') {
      // Status and headers, then not one byte of the body.
      res.writeHead(200, { 'Content-Type': 'image/png', 'Content-Length': '1000' });
      res.flushHeaders();
      return;
    }
    if (path.startsWith('/trickle')) {
      // Headers at once, then `count` chunks of `size` bytes, one every `gap` ms.
      const [gap, size, count] = path.includes('fast') ? [50, 128, 20] : path.includes('slow') ? [200, 1, 1000] : [2000, 1, 1000];
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(size * count) });
      let sent = 0;
      const tick = setInterval(() => {
        if (res.destroyed) return clearInterval(tick);
        res.write(Buffer.alloc(size, sent));
        if (++sent === count) {
          clearInterval(tick);
          res.end();
        }
      }, gap);
      res.write(Buffer.alloc(size, 0));
      sent++;
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function failure(work: () => Promise<unknown>): Promise<{ err: MediaError; ms: number }> {
  const t0 = performance.now();
  const err = await work().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MediaError);
  return { err: err as MediaError, ms: performance.now() - t0 };
}

describe('media URL timeouts in Node', () => {
  it('a server that never answers fails after the first-byte timeout, naming the URL', { timeout: 10_000 }, async () => {
    const url = `${origin}/hang.png`;
    const { err, ms } = await failure(() => readAll({ kind: 'url', url, label: url }, { fetchTimeoutMs: 800 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(new RegExp(`^no response from ${url.replace(/[.?/]/g, '\\$&')} within 0\\.8 s`));
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(3000);
    // The server saw its client go away (no socket left open).
    await expect.poll(() => open.size).toBe(0);
  });

  it('a server that sends its headers and then nothing fails after the stall timeout', { timeout: 10_000 }, async () => {
    const url = `${origin}/silent.png`;
    const { err, ms } = await failure(() => readAll({ kind: 'url', url, label: url }, { stallTimeoutMs: 1000 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(
      new RegExp(`^${url.replace(/[.?/]/g, '\\$&')} sent nothing for 1 s \\(got 0 bytes of 1\\.0 KB\\): the download stalled`),
    );
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(3000);
  });

  it('a server that sends a byte every 2 s fails after the stall timeout, saying how much came', { timeout: 10_000 }, async () => {
    const url = `${origin}/trickle.png`;
    const { err, ms } = await failure(() => readAll({ kind: 'url', url, label: url }, { stallTimeoutMs: 1000 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(new RegExp(`^${url.replace(/[.?/]/g, '\\$&')} sent only 1 byte in 1 s \\(got 1 byte of 1\\.0 KB\\)`));
    expect(ms).toBeLessThan(3000);
  });

  it('a server that is never quiet for the stall timeout but sends under 1 KB in it fails too', { timeout: 10_000 }, async () => {
    const url = `${origin}/trickle-slow.png`;
    const { err, ms } = await failure(() => readAll({ kind: 'url', url, label: url }, { stallTimeoutMs: 1000 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(
      /trickle-slow\.png sent only [4-7] bytes in 1 s \(got [4-7] bytes of 1\.0 KB\): the download is too slow \(under 1\.0 KB per stall timeout\)/,
    );
    expect(ms).toBeLessThan(3000);
  });

  it('a slow but steady server is read to the end; the fetch timeout does not limit the whole download', { timeout: 10_000 }, async () => {
    const url = `${origin}/trickle-fast.png`;
    const bytes = await readAll({ kind: 'url', url, label: url }, { stallTimeoutMs: 500, fetchTimeoutMs: 500 });
    expect(bytes.length).toBe(20 * 128);
  });

  it("the caller's cancel still ends a hanging request at once, as an AbortError", { timeout: 10_000 }, async () => {
    const url = `${origin}/hang.png`;
    const ctl = new AbortController();
    const before = hangs;
    const read = readAll({ kind: 'url', url, label: url }, { signal: ctl.signal }).catch((e: unknown) => e);
    await expect.poll(() => hangs).toBe(before + 1); // cancelled once the server holds the request
    const t0 = performance.now();
    ctl.abort(new DOMException('cancelled by the test', 'AbortError'));
    const err = await read;
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
