import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ChunkHasher, hashStoredChunks, type HashProgress } from '../../src/store/fileHash.ts';

const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed * 7) & 0xff);
const nodeSha = (parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('ChunkHasher', () => {
  it('equals the sha256 of the whole file, also when resumed from a saved state after every chunk', async () => {
    const chunks = [bytes(1000, 1), bytes(4096, 2), bytes(17, 3), bytes(0, 4), bytes(333, 5)];
    let saved: HashProgress | undefined;
    for (const c of chunks) {
      const h = await ChunkHasher.resume(saved); // a new hasher each time, as after a reload
      saved = h.add(c);
    }
    expect(saved!.chunks).toBe(chunks.length);
    expect((await ChunkHasher.resume(saved)).hex()).toBe(nodeSha(chunks));
  });

  it('hashes stored chunks one read at a time, and a missing chunk is an integrity error', async () => {
    const chunks = [bytes(64, 1), bytes(64, 2), bytes(10, 3)];
    const reads: number[][] = [];
    const read = async (idx: number[]) => {
      reads.push(idx);
      return idx.map((i) => (i < chunks.length ? new Blob([chunks[i]]) : undefined));
    };
    const h = await ChunkHasher.resume();
    h.add(chunks[0]);
    await hashStoredChunks(h, 'f.bin', 3, read);
    expect(reads).toEqual([[1], [2]]);
    expect(h.hex()).toBe(nodeSha(chunks));
    await expect(hashStoredChunks(await ChunkHasher.resume(), 'f.bin', 4, read)).rejects.toMatchObject({ kind: 'integrity' });
  });

  it('the empty file', async () => {
    expect((await ChunkHasher.resume()).hex()).toBe(nodeSha([]));
  });
});
