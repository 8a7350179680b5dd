// `sift rank` refuses what it cannot usefully score, with one JSON {"error"} and exit 1: a request file
// above --max-request-mb (checked before the file is read), and a query that the token budget would
// cut (a 100 KB instruction used to push it out of every prompt and give every document one score).
// A document text above --max-text-chars fails only that document. Uses the built-in tiny model.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';

const MODEL = 'public/models/tiny';
let dir: string;

beforeAll(() => {
  const r = spawnSync(process.execPath, ['scripts/prepare-tiny.mjs'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prepare-tiny: ${r.stderr}`);
  dir = mkdtempSync(join(tmpdir(), 'sift-limits-'));
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

async function rank(body: string, options: string[] = []): Promise<{ code: number; out: Record<string, unknown> }> {
  const path = join(dir, 'request.json');
  writeFileSync(path, body);
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((s: string) => (chunks.push(String(s)), true)) as typeof process.stdout.write;
  let code: number;
  try {
    code = await main(['rank', '--model', MODEL, path, ...options]);
  } finally {
    process.stdout.write = write;
  }
  return { code, out: JSON.parse(chunks.join('').trim()) };
}

const lorem = (chars: number) => 'the quick brown fox jumps over the lazy dog. '.repeat(Math.ceil(chars / 45)).slice(0, chars);
const QUERY = { text: 'a dog on a beach' };

describe('sift rank: sizes', () => {
  it('refuses a request file above --max-request-mb before parsing it, saying the size, the limit and what to do', async () => {
    const body = JSON.stringify({ query: QUERY, documents: [{ text: lorem(1_600_000) }] }).replace(/\}$/, ' garbage');
    const r = await rank(body, ['--max-request-mb', '1']);
    expect(r.code).toBe(1);
    expect(r.out.error).toMatch(
      /request\.json is 1\.5 MB, above the 1 MB limit \(--max-request-mb\)\. Split its documents over several requests.*raise --max-request-mb\.$/,
    );
  });

  it('fails the request with query-truncated when a 100 KB instruction leaves the query no room', async () => {
    const r = await rank(JSON.stringify({ instruction: lorem(100_000), query: QUERY, documents: [{ text: 'a dog' }, { text: 'a cat' }] }));
    expect(r.code).toBe(1);
    expect(r.out).toEqual({
      error: expect.stringMatching(/^the query does not fit in the 10,240-token prompt \(maxLength\)/),
      code: 'query-truncated',
    });
  });

  it('fails only the document above --max-text-chars', async () => {
    const r = await rank(JSON.stringify({ query: QUERY, documents: [{ text: 'a dog' }, { text: lorem(30_000) }] }), [
      '--max-text-chars',
      '20000',
    ]);
    expect(r.code).toBe(0);
    expect(r.out.scores).toEqual([expect.any(Number), null]);
    expect(r.out.errors).toEqual([
      expect.objectContaining({
        index: 1,
        code: 'text-too-long',
        message: expect.stringMatching(/^the document text is 30,000 characters long, above the limit of 20,000/),
      }),
    ]);
  });
});
