// `sift rank` with media URLs whose server never answers or stalls: with --fetch-timeout / --stall-timeout
// those documents fail alone, each with a message naming the URL and what happened, and the text
// document is scored; the run ends in about the timeout, not in Node's 300 s. Real local HTTP server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const MODEL = 'public/models/tiny';
let server: Server;
let origin: string;
let dir: string;

beforeAll(async () => {
  const r = spawnSync(process.execPath, ['scripts/prepare-tiny.mjs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prepare-tiny: ${r.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'sift-timeouts-'));
  server = createServer((req, res) => {
    if (req.url?.startsWith('/hang')) return; // accepted, never answered
    // Headers, then one byte every 2 s of a 1 MB body.
    res.writeHead(200, { 'Content-Length': String(2 ** 20) });
    const tick = setInterval(() => (res.destroyed ? clearInterval(tick) : res.write(Buffer.from([0]))), 2000);
    res.write(Buffer.from([0x89]));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function rank(request: unknown, args: string[]): Promise<{ code: number; out: Record<string, unknown> }> {
  const path = join(dir, 'request.json');
  writeFileSync(path, JSON.stringify(request));
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(['rank', '--model', MODEL, ...args, path]);
  } finally {
    process.stdout.write = write;
  }
  return { code, out: JSON.parse(chunks.join('').trim()) };
}

it('hanging and stalling media URLs fail their documents after the timeouts; the text is scored', { timeout: 30_000 }, async () => {
  const documents = [
    { text: 'a photo of a cat' },
    { image: `${origin}/hang/cat.png` },
    { image: `${origin}/trickle/cat.png` },
    { video: `${origin}/hang/clip.mp4` },
  ];
  const t0 = performance.now();
  const r = await rank({ query: { text: 'a photo' }, documents }, ['--fetch-timeout', '1', '--stall-timeout', '1.5']);
  const ms = performance.now() - t0;
  expect(r.code).toBe(0);
  const scores = r.out.scores as (number | null)[];
  expect(typeof scores[0]).toBe('number');
  expect(scores.slice(1)).toEqual([null, null, null]);
  const errors = r.out.errors as { index: number; message: string }[];
  expect(errors.map((e) => e.index)).toEqual([1, 2, 3]);
  expect(errors[0].message).toContain(`no response from ${origin}/hang/cat.png within 1 s`);
  expect(errors[1].message).toContain(`${origin}/trickle/cat.png sent only 1 byte in 1.5 s (got 1 byte of 1.0 MB)`);
  expect(errors[2].message).toContain(`no response from ${origin}/hang/clip.mp4 within 1 s`);
  expect(ms).toBeLessThan(15_000);
});

it('a timeout that is not a positive number of seconds is a usage error', async () => {
  const r = await rank({ query: { text: 'a' }, documents: [] }, ['--fetch-timeout', '0']);
  expect(r.code).toBe(2);
  expect(r.out.error).toMatch(/--fetch-timeout must be a positive number of seconds, got 0/);
});
