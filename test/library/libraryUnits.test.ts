// The library search's pure parts: which files are items (kinds, hidden files, image + caption), video
// segments, shards, the stored vector formats, exact top-K and the index's model check.
import { describe, expect, it } from 'vitest';
import { fileKind, libraryItems, parseShard, shardOf, type ListedFile } from '../../src/engine/library/libraryFiles.ts';
import { DEFAULT_SEGMENT_SECONDS, videoSegments } from '../../src/engine/library/segments.ts';
import { topKByDot } from '../../src/engine/library/topK.ts';
import { checkMeta, LibraryError, type LibraryMeta } from '../../src/store/libraryIndex.ts';
import { decodeVector, encodeVector, fromHalf, toHalf } from '../../src/store/vectorCodec.ts';

const listed = (...paths: string[]): ListedFile[] => paths.map((path, i) => ({ path, size: 100 + i, mtimeMs: 1000 + i }));

/** A deterministic generator (mulberry32). */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function unitVector(dims: number, rand: () => number): Float32Array {
  const v = Float32Array.from({ length: dims }, () => rand() * 2 - 1);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

describe('libraryItems', () => {
  it('gives each file its kind by extension (any case) and leaves other files out', () => {
    expect(fileKind('a/b.JPG')).toBe('image');
    expect(fileKind('x.webp')).toBe('image');
    expect(fileKind('x.MOV')).toBe('video');
    expect(fileKind('notes.md')).toBe('text');
    expect(fileKind('doc.pdf')).toBeNull();
    expect(fileKind('Makefile')).toBeNull();
    const items = libraryItems(listed('z.mp4', 'b.png', 'a.txt', 'doc.pdf', 'data.json', 'c.webm', 'sub/d.jpeg', 'noext'));
    expect(items.map((i) => [i.path, i.kind])).toEqual([
      ['a.txt', 'text'],
      ['b.png', 'image'],
      ['c.webm', 'video'],
      ['sub/d.jpeg', 'image'],
      ['z.mp4', 'video'],
    ]);
  });

  it('skips hidden files and everything under a hidden folder', () => {
    const items = libraryItems(listed('.DS_Store', '.hidden.png', '.git/x.txt', 'a/.cache/b.jpg', 'a/visible.jpg', 'a/b.c/d.txt'));
    expect(items.map((i) => i.path)).toEqual(['a/b.c/d.txt', 'a/visible.jpg']);
  });

  it('pairs an image with the text file of the same name: one item, the caption not indexed alone', () => {
    const files: ListedFile[] = [
      { path: 'cat.jpg', size: 1000, mtimeMs: 5000 },
      { path: 'cat.txt', size: 40, mtimeMs: 7000 },
      { path: 'dog.png', size: 800, mtimeMs: 3000 },
      { path: 'dog.md', size: 10, mtimeMs: 1000 },
      { path: 'other/cat.txt', size: 5, mtimeMs: 1 }, // another folder: not the caption of ./cat.jpg
      { path: 'story.txt', size: 9, mtimeMs: 2 },
      { path: 'clip.mp4', size: 9, mtimeMs: 2 },
      { path: 'clip.txt', size: 9, mtimeMs: 2 }, // videos take no caption: both are items
    ];
    const items = libraryItems(files);
    expect(items.map((i) => [i.path, i.kind, i.caption])).toEqual([
      ['cat.jpg', 'image+caption', 'cat.txt'],
      ['clip.mp4', 'video', undefined],
      ['clip.txt', 'text', undefined],
      ['dog.png', 'image+caption', 'dog.md'],
      ['other/cat.txt', 'text', undefined],
      ['story.txt', 'text', undefined],
    ]);
    // The pair changes when either file does: size is the sum, time the later one.
    expect(items[0]).toMatchObject({ size: 1040, mtimeMs: 7000 });
    expect(items[3]).toMatchObject({ size: 810, mtimeMs: 3000 });
  });

  it('a hidden caption is no caption', () => {
    const items = libraryItems(listed('cat.jpg', '.cat.txt'));
    expect(items.map((i) => [i.path, i.kind])).toEqual([['cat.jpg', 'image']]);
  });
});

describe('videoSegments', () => {
  it('keeps a video not much longer than one segment whole', () => {
    expect(videoSegments(3)).toBeNull();
    expect(videoSegments(DEFAULT_SEGMENT_SECONDS)).toBeNull();
    expect(videoSegments(DEFAULT_SEGMENT_SECONDS * 1.5)).toBeNull();
    expect(videoSegments(40, { seconds: 30 })).toBeNull();
  });

  it('cuts a long video into overlapping windows of the segment length, the last ending at the duration', () => {
    for (const [duration, seconds] of [
      [180, 10],
      [180, 60],
      [30, 16],
      [16, 10],
      [3600.4, 10],
      [61.7, 7],
    ]) {
      const w = videoSegments(duration, { seconds })!;
      expect(w.length, `${duration}/${seconds}`).toBeGreaterThan(1);
      expect(w[0].start).toBe(0);
      expect(w[w.length - 1].end).toBeCloseTo(duration, 9);
      for (const s of w) expect(s.end - s.start).toBeCloseTo(seconds, 9);
      for (let i = 1; i < w.length; i++) {
        expect(w[i].start).toBeGreaterThan(w[i - 1].start);
        expect(w[i].start).toBeLessThan(w[i - 1].end); // overlapping: no moment between two windows
        expect(w[i].start - w[i - 1].start).toBeLessThanOrEqual(seconds / 2 + 1e-9);
      }
    }
    expect(videoSegments(180, { seconds: 60 })).toEqual([
      { start: 0, end: 60 },
      { start: 30, end: 90 },
      { start: 60, end: 120 },
      { start: 90, end: 150 },
      { start: 120, end: 180 },
    ]);
    expect(videoSegments(16)).toEqual([
      { start: 0, end: 10 },
      { start: 5, end: 15 },
      { start: 6, end: 16 },
    ]);
    expect(videoSegments(180)!.length).toBe(35);
  });

  it('takes a stride and refuses a stride longer than the segment', () => {
    expect(videoSegments(40, { seconds: 10, stride: 10 })).toEqual([
      { start: 0, end: 10 },
      { start: 10, end: 20 },
      { start: 20, end: 30 },
      { start: 30, end: 40 },
    ]);
    expect(() => videoSegments(100, { seconds: 10, stride: 11 })).toThrow(/stride/);
    expect(() => videoSegments(100, { seconds: 0 })).toThrow(/stride/);
  });
});

describe('shards', () => {
  it('parses --shard i/N', () => {
    expect(parseShard('0/1')).toEqual({ index: 0, count: 1 });
    expect(parseShard('3/8')).toEqual({ index: 3, count: 8 });
    for (const bad of ['2/2', '0/0', '-1/2', '1', '1/2/3', 'a/b', ' 0/2', '0.5/2', ''])
      expect(() => parseShard(bad), bad).toThrow(/--shard must be i\/N/);
  });

  it('gives every path one stable shard, spread evenly', () => {
    // FNV-1a 32-bit: "a" → 0xe40c292c, "" → 0x811c9dc5 (the published test vectors).
    expect(shardOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(shardOf('', 1000)).toBe(0x811c9dc5 % 1000);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const s = shardOf(`photos/${i}.jpg`, 4);
      expect(s).toBe(shardOf(`photos/${i}.jpg`, 4));
      counts[s]++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(shardOf('x/ÿ.png', 1)).toBe(0);
  });
});

describe('vectorCodec', () => {
  it('rounds to the nearest half (ties to even), with infinities, subnormals and NaN', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0)).toBe(0);
    expect(toHalf(-0)).toBe(0x8000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(65520)).toBe(0x7c00);
    expect(toHalf(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(fromHalf(toHalf(NaN)))).toBe(true);
    expect(toHalf(2 ** -24)).toBe(1);
    expect(toHalf(2 ** -26)).toBe(0);
    expect(toHalf(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and 1 + 2^-10: the even one
    expect(toHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    // Every result is the nearest of its neighbours, across the range (of float32 inputs, as vectors are).
    const rand = rng(1);
    for (let i = 0; i < 20000; i++) {
      const x = Math.fround((rand() * 2 - 1) * 2 ** (Math.floor(rand() * 40) - 26));
      const h = toHalf(x);
      const err = Math.abs(fromHalf(h) - x);
      for (const n of [h - 1, h + 1]) if ((n & 0x7fff) < 0x7c00 && n >= 0) expect(err).toBeLessThanOrEqual(Math.abs(fromHalf(n) - x));
    }
  });

  it('float16 keeps each value of a unit vector to 2^-11 relative, its dot product with itself to 1e-4', () => {
    const rand = rng(2);
    for (const dims of [64, 2048]) {
      const v = unitVector(dims, rand);
      const bytes = encodeVector(v, 'f16');
      expect(bytes.length).toBe(dims * 2);
      const back = decodeVector(bytes, 'f16');
      let dot = 0;
      let norm = 0;
      for (let i = 0; i < dims; i++) {
        expect(Math.abs(back[i] - v[i])).toBeLessThanOrEqual(Math.max(Math.abs(v[i]) * 2 ** -11, 2 ** -25));
        dot += back[i] * v[i];
        norm += back[i] * back[i];
      }
      // What a search sees (stored · query), and the angle itself.
      expect(Math.abs(1 - dot)).toBeLessThan(1e-4);
      expect(1 - dot / Math.sqrt(norm)).toBeLessThan(1e-6);
    }
  });

  it('int8 keeps each value to half a step of 1/127', () => {
    const rand = rng(3);
    const v = unitVector(256, rand);
    v[0] = 1; // clamped at ±127
    v[1] = -1;
    const bytes = encodeVector(v, 'i8');
    expect(bytes.length).toBe(256);
    const back = decodeVector(bytes, 'i8');
    for (let i = 0; i < 256; i++) expect(Math.abs(back[i] - v[i])).toBeLessThanOrEqual(0.5 / 127 + 1e-7);
    // Decoding does not depend on the bytes' alignment in a larger buffer.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeVector(shifted.subarray(3), 'i8')).toEqual(back);
    const half = encodeVector(v, 'f16');
    const odd = new Uint8Array(half.length + 1);
    odd.set(half, 1);
    expect(decodeVector(odd.subarray(1), 'f16')).toEqual(decodeVector(half, 'f16'));
  });
});

describe('topKByDot', () => {
  it('is exactly what sorting every dot product gives', () => {
    const rand = rng(4);
    const items = Array.from({ length: 2000 }, (_, i) => ({ item: i, vector: unitVector(32, rand) }));
    const query = unitVector(32, rand);
    const dot = (v: Float32Array) => v.reduce((s, x, i) => s + x * query[i], 0);
    const sorted = items.map((x) => ({ item: x.item, similarity: dot(x.vector) })).sort((a, b) => b.similarity - a.similarity);
    for (const k of [1, 10, 100, 2000, 5000]) {
      const top = topKByDot(query, items, k);
      expect(top.map((t) => t.item)).toEqual(sorted.slice(0, k).map((t) => t.item));
      for (let i = 0; i < top.length; i++) expect(top[i].similarity).toBeCloseTo(sorted[i].similarity, 6);
    }
    expect(topKByDot(query, items, 0)).toEqual([]);
    expect(topKByDot(query, [], 5)).toEqual([]);
  });

  it('keeps input order among equal scores, also at the cut', () => {
    const q = Float32Array.of(1, 0);
    const items = [0.5, 0.9, 0.5, 0.9, 0.5].map((x, i) => ({ item: i, vector: [x, 0] }));
    expect(topKByDot(q, items, 3).map((t) => t.item)).toEqual([1, 3, 0]);
    expect(topKByDot(q, items, 5).map((t) => t.item)).toEqual([1, 3, 0, 2, 4]);
  });
});

describe('checkMeta', () => {
  const meta: LibraryMeta = {
    modelId: 'qwen3-vl-embedding',
    modelVersion: 'v1',
    dims: 2048,
    format: 'f16',
    instruction: "Represent the user's input.",
    segmentSeconds: 10,
    segmentStride: 5,
    root: '/data/library',
    modelPath: '/models/embed',
  };

  it('accepts a new index and the same settings (where the folder and model are is not compared)', () => {
    expect(() => checkMeta(null, meta)).not.toThrow();
    expect(() => checkMeta(meta, { ...meta, root: '/mnt/library', modelPath: '/elsewhere' })).not.toThrow();
  });

  it("refuses another model or layout with 'model-changed', naming what differs", () => {
    for (const change of [
      { modelVersion: 'v2' },
      { modelId: 'other' },
      { dims: 1024 },
      { format: 'i8' as const },
      { instruction: 'Find photos.' },
      { segmentSeconds: 20, segmentStride: 10 },
    ]) {
      let err: unknown;
      try {
        checkMeta(meta, { ...meta, ...change });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LibraryError);
      expect((err as LibraryError).code).toBe('model-changed');
      for (const key of Object.keys(change)) expect((err as Error).message).toContain(key);
      expect((err as Error).message).toMatch(/--reindex/);
    }
  });
});
