// Vectors holding values too small for float16 are stored (as 0) and searched, not turned into −Infinity
// by apache-arrow's float16 converter (which made LanceDB refuse every search of the table).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { LanceLibraryStore } from '../../src/cli/library/lanceStore.ts';
import type { LibraryEntry } from '../../src/store/libraryIndex.ts';

const dir = mkdtempSync(join(tmpdir(), 'sift-lance-f16-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function unit(values: number[]): Float32Array {
  const n = Math.hypot(...values);
  return Float32Array.from(values, (x) => x / n);
}

test('a vector with values below float16 range is stored as 0 there and the table stays searchable', async () => {
  const store = await LanceLibraryStore.open(join(dir, 'idx'));
  const dims = 64;
  await store.setMeta({ modelId: 't', modelVersion: '1', dims, format: 'f16', instruction: '', segmentSeconds: 10, segmentStride: 5 });
  const tiny = unit(Array.from({ length: dims }, (_, i) => (i === 3 ? 1e-9 : i === 5 ? -2e-8 : Math.cos(i))));
  const other = unit(Array.from({ length: dims }, (_, i) => Math.sin(i)));
  const entry = (path: string, vector: Float32Array): LibraryEntry => ({
    path,
    kind: 'text',
    size: 1,
    mtimeMs: 0,
    hash: 'h',
    segment: 0,
    segments: 1,
    vector,
  });
  await store.putFile('tiny.txt', [entry('tiny.txt', tiny)]);
  await store.putFile('other.txt', [entry('other.txt', other)]);
  const hits = await store.search(tiny, 2);
  expect(hits.map((h) => h.entry.path)).toEqual(['tiny.txt', 'other.txt']);
  expect(hits[0].similarity).toBeGreaterThan(0.999);
  expect(Number.isFinite(hits[1].similarity)).toBe(true);
});
