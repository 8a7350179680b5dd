// Media URLs in Node against a real local HTTP server that misbehaves: one that accepts the connection
// and never answers, one that sends its headers and then a byte every 2 s, one that trickles fast enough.
// Each must end with a MediaError 'timeout' naming the URL and what happened, within the configured time.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaError } from '../../src/media/errors.ts';
import { readAll } from '../../src/media/nodeSource.ts';

let server: Server;
let origin: string;
const open = new Set<ServerResponse>();

beforeAll(async () => {
  server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => open.delete(res));
    const path = req.url ?? '/';
    if (path === '/hang.png') return; // accepted, never answered
    if (path.startsWith('/trickle')) {
      // Headers at once, then one byte every `gap` ms of a 1000-byte body.
      const gap = path.includes('fast') ? 50 : 2000;
      const count = path.includes('fast') ? 20 : 1000;
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(count) });
      let sent = 0;
      const tick = setInterval(() => {
        if (res.destroyed) return clearInterval(tick);
        res.write(Buffer.from([sent & 0xff]));
        if (++sent === count) {
          clearInterval(tick);
          res.end();
        }
      }, gap);
      res.write(Buffer.from([0]));
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
    await new Promise((r) => setTimeout(r, 100));
    expect(open.size).toBe(0);
  });

  it('a server that sends a byte every 2 s fails after the stall timeout, saying how much came', { timeout: 10_000 }, async () => {
    const url = `${origin}/trickle.png`;
    const { err, ms } = await failure(() => readAll({ kind: 'url', url, label: url }, { stallTimeoutMs: 1000 }));
    expect(err.code).toBe('timeout');
    expect(err.message).toMatch(new RegExp(`^${url.replace(/[.?/]/g, '\\$&')} sent nothing for 1 s \\(got 1 byte of 1\\.0 KB\\)`));
    expect(ms).toBeLessThan(3000);
  });

  it('a slow but steady server is read to the end (the stall timer restarts with every chunk)', { timeout: 10_000 }, async () => {
    const url = `${origin}/trickle-fast.png`;
    const bytes = await readAll({ kind: 'url', url, label: url }, { stallTimeoutMs: 500, fetchTimeoutMs: 500 });
    expect(bytes.length).toBe(20);
  });

  it("the caller's cancel still ends a hanging request at once, as an AbortError", { timeout: 10_000 }, async () => {
    const url = `${origin}/hang.png`;
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new DOMException('cancelled by the test', 'AbortError')), 200);
    const t0 = performance.now();
    const err = await readAll({ kind: 'url', url, label: url }, { signal: ctl.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
