// A small HTTP server for e2e/downloadFaults.spec.ts and e2e/badInput.spec.ts: serves a converted model directory (the tiny model
// in public/models/tiny) with Range support and the CORS / CORP headers a cross-origin-isolated page
// needs to read it, and injects faults on request: dropped connections at given byte offsets, bodies
// shorter than their Content-Length, bodies that end early, HTTP errors, wrong Content-Range, extra
// bytes, flipped bytes, servers that never answer and servers that trickle. Each fault fires once; the server logs what it sent for every request.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type Fault =
  /** Sends the body up to file offset `at`, then resets the connection. */
  | { kind: 'drop'; file: string; at: number }
  /** Content-Length promises the whole range; the body stops at `at` and the connection closes cleanly. */
  | { kind: 'truncate'; file: string; at: number }
  /** No Content-Length (chunked): the body ends cleanly at `at`, as a server that gave up would. */
  | { kind: 'short'; file: string; at: number }
  | { kind: 'status'; file: string; status: number }
  /** 206 for a range that does not start where the (resume) request asked. */
  | { kind: 'wrong-range'; file: string }
  /** The whole file plus 1000 bytes more than the manifest lists. */
  | { kind: 'extra'; file: string }
  /** Sends the body up to file offset `at`, then holds the connection open until the client goes away. */
  | { kind: 'stall'; file: string; at: number }
  /** The connection is accepted and never answered (no status, no headers). */
  | { kind: 'hang'; file: string }
  /** Status and headers at once, then the body one byte every `everyMs`. */
  | { kind: 'trickle'; file: string; everyMs: number }
  /** The byte at file offset `at` is flipped (the response is otherwise normal; combines with the others). */
  | { kind: 'corrupt'; file: string; at: number };

export interface Served {
  file: string;
  start: number;
  status: number;
  /** Body bytes written. */
  sent: number;
  faults: Fault[];
}

export interface FaultServer {
  /** Manifest URL, e.g. http://127.0.0.1:PORT/manifest.json. */
  manifestUrl: string;
  origin: string;
  /** Faults still waiting for a request they apply to. */
  pending(): Fault[];
  /** Faults that fired, in order. */
  fired(): Fault[];
  log(): Served[];
  /** Adds faults; each fires at most once. */
  inject(...faults: Fault[]): void;
  /** Makes every response wait `ms` before its body (to keep downloads in flight). */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': 'Range',
  'Access-Control-Expose-Headers': 'Content-Range, Content-Length, Accept-Ranges',
  'Cross-Origin-Resource-Policy': 'cross-origin',
  'Cache-Control': 'no-store',
};

/** Offset faults apply to a request whose body covers their offset; the others to the file's next request. */
function applies(f: Fault, file: string, start: number, end: number): boolean {
  if (f.file !== file) return false;
  if (f.kind === 'wrong-range') return start > 0; // an answer to a resume request
  return 'at' in f ? f.at >= start && f.at < end : true;
}

/** `cors: false` leaves out the CORS and CORP headers: a server whose files a page may not read. */
export async function startFaultServer(dir: string, { cors = true } = {}): Promise<FaultServer> {
  const CORS = cors ? CORS_HEADERS : { 'Cache-Control': 'no-store' };
  const files = new Map(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
  const pending: Fault[] = [];
  const fired: Fault[] = [];
  const log: Served[] = [];
  let delayMs = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(204, CORS).end();
      return;
    }
    const file = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname.slice(1));
    const data = files.get(file);
    const entry: Served = { file, start: 0, status: 200, sent: 0, faults: [] };
    log.push(entry);
    if (!data) {
      entry.status = 404;
      res.writeHead(404, { ...CORS, 'Content-Type': 'text/plain' }).end(`${file}: no such file`);
      return;
    }
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const last = m && m[2] ? Math.min(Number(m[2]), data.length - 1) : data.length - 1;
    if (m && start >= data.length) {
      entry.status = 416;
      res.writeHead(416, { ...CORS, 'Content-Range': `bytes */${data.length}` }).end();
      return;
    }
    // Which faults this request triggers: at most one flipped byte and one other fault.
    const mine = pending.filter((f) => applies(f, file, start, last + 1));
    const corrupt = mine.filter((f) => f.kind === 'corrupt').slice(0, 1); // one bad copy per response
    // The earliest cut in the body fires (a later one is reached by a later request).
    const at = (f: Fault) => ('at' in f ? f.at : -1);
    const other = mine.filter((f) => f.kind !== 'corrupt').sort((a, b) => at(a) - at(b))[0];
    for (const f of other ? [...corrupt, other] : corrupt) {
      pending.splice(pending.indexOf(f), 1);
      fired.push(f);
      entry.faults.push(f);
    }
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs)); // kept: the deliberate delay of setDelay()
    if (other?.kind === 'hang') return; // the client's abort (or close()) closes the socket

    if (other?.kind === 'status') {
      entry.status = other.status;
      res.writeHead(other.status, { ...CORS, 'Content-Type': 'text/plain' }).end(`injected HTTP ${other.status}`);
      return;
    }
    let body = Buffer.from(data.subarray(start, last + 1));
    for (const c of corrupt) body[(c as { at: number }).at - start] ^= 0x5a;
    const headers: Record<string, string> = { ...CORS, 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
    let status = m ? 206 : 200;
    if (status === 206) headers['Content-Range'] = `bytes ${start}-${last}/${data.length}`;
    if (other?.kind === 'wrong-range') {
      // Claims (and sends) a range that starts one byte later than asked.
      body = body.subarray(1);
      status = 206;
      headers['Content-Range'] = `bytes ${start + 1}-${last}/${data.length}`;
    }
    if (other?.kind === 'extra') body = Buffer.concat([body, Buffer.alloc(1000, 7)]);
    entry.start = start;
    entry.status = status;
    const cut = other && 'at' in other ? other.at - start : body.length;
    if (other?.kind === 'short') {
      res.writeHead(status, headers); // no Content-Length: chunked, so ending early is a clean end
      entry.sent = cut;
      res.end(body.subarray(0, cut));
      return;
    }
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    if (other?.kind === 'trickle') {
      let k = 0;
      const next = () => {
        if (res.destroyed) return;
        res.write(body.subarray(k, k + 1));
        entry.sent = ++k;
        if (k >= body.length) res.end();
        else setTimeout(next, other.everyMs);
      };
      next();
      return;
    }
    if (other?.kind === 'stall') {
      entry.sent = cut;
      res.write(body.subarray(0, cut));
      return; // never ends: the client's abort (or close()) closes the socket
    }
    if (other?.kind === 'drop' || other?.kind === 'truncate') {
      entry.sent = cut;
      const socket = res.socket!;
      // Flush what is sent, then reset (drop) or close cleanly with bytes still owed (truncate).
      res.write(body.subarray(0, cut), () => (other.kind === 'drop' ? socket.resetAndDestroy() : socket.end()));
      return;
    }
    entry.sent = body.length;
    res.end(body);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.destroy(err as Error);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    manifestUrl: `${origin}/manifest.json`,
    origin,
    pending: () => [...pending],
    fired: () => [...fired],
    log: () => [...log],
    inject: (...faults) => void pending.push(...faults),
    setDelay: (ms) => void (delayMs = ms),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
