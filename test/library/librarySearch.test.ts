// The library search end to end on real parts: a generated folder of 48 files (images, texts, image +
// caption pairs, short videos, a three-minute video, broken files, hidden and foreign files), a tiny
// generated Qwen3-VL-Embedding model on onnxruntime-web, ffmpeg, and LanceDB tables on disk.
// `sift index` / `sift search` run in this process through the CLI's entry point, or as child
// processes where a process must die (SIGKILL mid-index) or two must write at once (--shard i/N);
// the rest calls the CLI's own functions with a model loaded once.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as lancedb from '@lancedb/lancedb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { indexFolder } from '../../src/cli/index.ts';
import { searchLibrary, DEFAULT_QUERY_INSTRUCTION } from '../../src/cli/search.ts';
import { loadModelDir, type NodeModel } from '../../src/cli/nodeModel.ts';
import { EmbedSession } from '../../src/engine/embed.ts';
import type { IndexProgress, IndexSummary } from '../../src/engine/library/indexer.ts';
import { shardOf } from '../../src/engine/library/libraryFiles.ts';
import { videoSegments } from '../../src/engine/library/segments.ts';
import { topKByDot } from '../../src/engine/library/topK.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import { DEFAULT_EMBED_INSTRUCTION, type EmbedInput } from '../../src/prompt/index.ts';
import { LibraryError } from '../../src/store/libraryIndex.ts';
import { decodeVector } from '../../src/store/vectorCodec.ts';
import { report } from '../helpers/report.ts';
import { expectedItems, makeLibrary, makeSmallLibrary, shapeImage, type LibraryFixture } from './libraryFixture.ts';
import { encodeJpeg, encodePng } from '../media/fixtures.ts';
import { tinyModelDir } from './tinyModels.ts';

const SIFT = join(process.cwd(), 'bin/sift.mjs');
const LONG_SEGMENT = 60; // the main library: the 180-second video is 5 segments
const SMALL_SEGMENT = 16; // the small library: the 30-second video is 3 segments

interface Row {
  path: string;
  kind: string;
  hash: string;
  mtimeMs: number;
  segment: number;
  segments: number;
  start: number | null;
  end: number | null;
  duration: number | null;
  thumbnail: Uint8Array | null;
  /** The stored float16 values, as raw bits. */
  halves: Uint16Array;
}

/** Every stored row of an index, ordered by path and segment (read with LanceDB directly). */
async function rowsOf(index: string): Promise<Row[]> {
  const db = await lancedb.connect(index);
  const table = await db.openTable('items');
  const raw = await table.query().toArray();
  const rows = raw.map((r): Row => ({
    path: String(r.path),
    kind: String(r.kind),
    hash: String(r.hash),
    mtimeMs: Number(r.mtime_ms),
    segment: Number(r.segment),
    segments: Number(r.segments),
    start: r.start ?? null,
    end: r.end ?? null,
    duration: r.duration ?? null,
    thumbnail: r.thumbnail ? new Uint8Array(r.thumbnail) : null,
    halves: Uint16Array.from(r.vector.toArray() as Uint16Array),
  }));
  return rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.segment - b.segment));
}

const keyOf = (r: { path: string; segment?: number; start?: number | null }) => `${r.path}#${r.segment ?? r.start ?? ''}`;
function byPath(rows: Row[]): Map<string, Row[]> {
  const out = new Map<string, Row[]>();
  for (const r of rows) out.set(r.path, [...(out.get(r.path) ?? []), r]);
  return out;
}

/** Each file's rows are all there: segments 0 … n−1 once each, all saying n. */
function expectWholeFiles(rows: Row[]): void {
  for (const [path, list] of byPath(rows)) {
    expect(
      list.map((r) => r.segment),
      path,
    ).toEqual(list.map((_, i) => i));
    for (const r of list) expect(r.segments, path).toBe(list.length);
  }
}

/** Two indexes hold the same (path, segment) rows with the same vectors (float16 bits within one unit in the last place). */
function expectSameRows(a: Row[], b: Row[]): void {
  expect(b.map(keyOf)).toEqual(a.map(keyOf));
  let maxUlp = 0;
  a.forEach((r, i) => {
    expect(b[i].hash).toBe(r.hash);
    expect([b[i].start, b[i].end]).toEqual([r.start, r.end]);
    for (let k = 0; k < r.halves.length; k++) maxUlp = Math.max(maxUlp, Math.abs(r.halves[k] - b[i].halves[k]));
  });
  expect(maxUlp).toBeLessThanOrEqual(1);
}

/** `sift …` in this process: exit code, stdout (parsed when JSON), stderr. */
async function sift(args: string[]): Promise<{ code: number; json: Record<string, unknown>; stderr: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c) => ((err += String(c)), true));
  try {
    const code = await main(args);
    return { code, json: out.trim() ? JSON.parse(out) : {}, stderr: err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/** `node bin/sift.mjs …` as a child process; `onLine` sees each stderr line (and may kill it). */
function siftChild(args: string[], onLine?: (line: string, kill: () => void) => void) {
  const p = spawn(process.execPath, [SIFT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let pending = '';
  p.stdout.on('data', (c: Buffer) => (out += c));
  p.stderr.on('data', (c: Buffer) => {
    err += c;
    pending += c;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) onLine?.(line, () => p.kill('SIGKILL'));
  });
  return new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve, reject) => {
    p.on('error', reject);
    p.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
}

const progressOf = (line: string) => {
  const m = /^indexed (\d+)\/(\d+) new or changed items, ([\d.]+) items\/s/.exec(line);
  return m ? { done: Number(m[1]), total: Number(m[2]), rate: Number(m[3]) } : null;
};

/** What EmbedSession.run is asked to embed while `fn` runs: image/video paths (relative to `root`) and texts. */
async function embeddedDuring<T>(root: string, fn: () => Promise<T>): Promise<{ result: T; media: string[]; texts: string[] }> {
  const run = vi.spyOn(EmbedSession.prototype, 'run');
  try {
    const result = await fn();
    const inputs = run.mock.calls.flatMap((c) => c[0].inputs as EmbedInput[]);
    const rel = (p: unknown) => String(p).slice(root.length + 1);
    return {
      result,
      media: inputs.flatMap((i) => [i.image, i.video].filter(Boolean).map((p) => rel(p) + (i.clip ? `@${i.clip.start}` : ''))).sort(),
      texts: inputs.flatMap((i) => (typeof i.text === 'string' ? [i.text] : [])),
    };
  } finally {
    run.mockRestore();
  }
}

describe('library search (sift index / sift search)', () => {
  let work: string;
  let fx: LibraryFixture;
  let small: ReturnType<typeof makeSmallLibrary>;
  let embedDir: string;
  let otherDir: string;
  let rerankDir: string;
  let embedder: NodeModel;
  let index: string;
  let first: IndexSummary;
  let smallRef: { summary: IndexSummary; rows: Row[] };
  let concurrentShards: Promise<Awaited<ReturnType<typeof siftChild>>[]>;
  let killedRun: Promise<Awaited<ReturnType<typeof siftChild>> & { seen: { done: number; total: number } | null }>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'sift-library-'));
    [embedDir, otherDir, rerankDir] = await Promise.all([
      tinyModelDir('embedding', 7),
      tinyModelDir('embedding', 8),
      tinyModelDir('reranker', 7),
    ]);
    fx = makeLibrary(join(work, 'library'));
    small = makeSmallLibrary(join(work, 'small'));
    // The two shard processes start now and run beside the tests before theirs, which awaits them.
    const args = (i: number) => [
      'index',
      small.root,
      '--model',
      embedDir,
      '--out',
      join(work, 'small-concurrent'),
      '--segment-seconds',
      String(SMALL_SEGMENT),
      '--shard',
      `${i}/2`,
    ];
    concurrentShards = Promise.all([siftChild(args(0)), siftChild(args(1))]);
    // And one to be killed (SIGKILL) once its progress shows some items done, not all.
    let seen: { done: number; total: number } | null = null;
    killedRun = siftChild(
      ['index', small.root, '--model', embedDir, '--out', join(work, 'small-killed'), '--segment-seconds', String(SMALL_SEGMENT)],
      (line, kill) => {
        const p = progressOf(line);
        if (p && p.done > 0 && p.done < p.total && !seen) {
          seen = p;
          kill();
        }
      },
    ).then((r) => ({ ...r, seen }));
    embedder = await loadModelDir(embedDir);
    index = join(work, 'index');
  });

  afterAll(async () => {
    await Promise.all([concurrentShards?.catch(() => undefined), killedRun?.catch(() => undefined)]);
    await embedder?.model.release();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('indexes every item of the folder; each broken file fails alone with its reason; the long video by segments', async () => {
    expect(fx.fileCount).toBeGreaterThanOrEqual(40);
    const progress: IndexProgress[] = [];
    const started = performance.now();
    first = await indexFolder(embedder, {
      folder: fx.root,
      modelDir: embedDir,
      out: index,
      segmentSeconds: LONG_SEGMENT,
      onProgress: (p) => progress.push(p),
    });
    const seconds = (performance.now() - started) / 1000;
    const items = expectedItems(fx);
    expect(first).toMatchObject({ added: items.length, updated: 0, removed: 0, unchanged: 0 });
    expect(first.failed.map((f) => f.path).sort()).toEqual(fx.broken);
    const reason = Object.fromEntries(first.failed.map((f) => [f.path, f.message]));
    expect(reason['broken/empty.png']).toMatch(/empty \(0 bytes\)/);
    expect(reason['broken/truncated.jpg']).toMatch(/truncated|damaged/);
    expect(reason['broken/not-a-video.mp4']).toMatch(/cannot read this video/);
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ done: items.length + fx.broken.length, total: items.length + fx.broken.length, etaSeconds: 0 });
    for (let i = 1; i < progress.length; i++) expect(progress[i].done).toBeGreaterThanOrEqual(progress[i - 1].done);

    const rows = await rowsOf(index);
    expect(first.items).toBe(rows.length); // entries: a segmented video counts once per segment
    expect([...byPath(rows).keys()]).toEqual(items);
    expectWholeFiles(rows);
    const long = rows.filter((x) => x.path === fx.longVideo);
    expect(long.map((x) => ({ start: x.start, end: x.end }))).toEqual(videoSegments(180, { seconds: LONG_SEGMENT }));
    for (const x of long) expect(x.duration).toBeCloseTo(180, 0);
    for (const x of rows.filter((x) => x.path !== fx.longVideo)) expect([x.segments, x.start, x.end]).toEqual([1, null, null]);
    const kinds = Object.fromEntries(rows.map((x) => [x.path, x.kind]));
    for (const c of fx.captioned) expect(kinds[c.image]).toBe('image+caption');
    for (const t of fx.texts) expect(kinds[t]).toBe('text');
    for (const v of fx.videos) expect(kinds[v]).toBe('video');
    for (const x of rows) {
      if (x.kind === 'text') expect(x.thumbnail).toBeNull();
      else expect([...x.thumbnail!.subarray(0, 2)], x.path).toEqual([0xff, 0xd8]); // a JPEG
    }
    report(
      `${items.length + fx.broken.length} items (${rows.length} entries, the 180 s video as ${long.length} segments) in ${seconds.toFixed(1)} s:`,
      `${last.itemsPerSecond.toFixed(2)} items/s`,
    );
  });

  it('search by text: best first, with the exact cosine similarity of every stored vector', async () => {
    const { results } = await searchLibrary({ indexDir: index, query: { text: 'a red disc on a blue background' }, top: 12 }, { embedder });
    expect(results.map((x) => x.rank)).toEqual(results.map((_, i) => i + 1));
    expect(results).toHaveLength(12);
    for (let i = 1; i < results.length; i++) expect(results[i].similarity).toBeLessThanOrEqual(results[i - 1].similarity);
    // The same query against every stored vector, by brute force.
    const session = new EmbedSession(embedder.model, embedder.tokenizer, nodeMediaDecoder(work));
    const q = await session.run({ instruction: DEFAULT_QUERY_INSTRUCTION, inputs: [{ text: 'a red disc on a blue background' }] });
    const rows = await rowsOf(index);
    const all = rows.map((row) => ({ item: row, vector: decodeVector(new Uint8Array(row.halves.buffer), 'f16') }));
    const exact = topKByDot(q.embeddings[0]!, all, rows.length);
    const similarity = new Map(exact.map((e) => [`${e.item.path}#${e.item.start ?? ''}`, e.similarity]));
    for (const x of results) expect(similarity.get(`${x.path}#${x.start ?? ''}`)).toBeCloseTo(x.similarity, 3);
    expect(results[0].similarity).toBeCloseTo(exact[0].similarity, 3);
    expect(results[11].similarity).toBeCloseTo(exact[11].similarity, 3);
    const segments = results.filter((x) => x.path === fx.longVideo);
    for (const s of segments) expect(videoSegments(180, { seconds: LONG_SEGMENT })).toContainEqual({ start: s.start, end: s.end });
  });

  it('search by image: the image itself comes first with similarity ≈ 1 (same model, same pixels, same instruction)', async () => {
    for (const path of [fx.images[0], fx.images[7]]) {
      const outside = join(work, `query-${path.replace(/\//g, '_')}`);
      copyFileSync(join(fx.root, path), outside);
      const { results } = await searchLibrary(
        { indexDir: index, query: { image: outside }, instruction: DEFAULT_EMBED_INSTRUCTION, top: 5 },
        { embedder },
      );
      expect(results[0].path).toBe(path);
      expect(results[0].similarity).toBeGreaterThan(0.999);
      expect(results[1].similarity).toBeLessThan(results[0].similarity);
    }
    const { results } = await searchLibrary(
      { indexDir: index, query: { video: join(fx.root, 'videos/green.mp4') }, instruction: DEFAULT_EMBED_INSTRUCTION, top: 3 },
      { embedder },
    );
    expect(results[0]).toMatchObject({ path: 'videos/green.mp4' });
    expect(results[0].similarity).toBeGreaterThan(0.999);
  });

  it('re-indexes only what was added, changed or deleted; a touched file is unchanged', async () => {
    const before = await rowsOf(index);
    const root = fx.root;
    writeFileSync(join(root, 'photos/new-disc.png'), encodePng(64, 64, shapeImage(64, 'disc', [255, 0, 255], [0, 0, 0])));
    writeFileSync(join(root, 'notes/new.txt'), 'A brand new note about kites.');
    const changed = fx.images[2];
    writeFileSync(join(root, changed), encodePng(64, 64, shapeImage(64, 'ring', [0, 0, 0], [255, 255, 0])));
    writeFileSync(join(root, 'captioned/cat.txt'), 'A black cat on a round cushion.'); // the caption changes its pair
    const deleted = ['poem.txt', fx.images[11]];
    for (const d of deleted) unlinkSync(join(root, d));
    const touched = fx.images[3];
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, touched), later, later);

    const {
      result: s,
      media,
      texts,
    } = await embeddedDuring(root, () =>
      indexFolder(embedder, { folder: root, modelDir: embedDir, out: index, segmentSeconds: LONG_SEGMENT }),
    );
    const items = expectedItems(fx).length + 2 - deleted.length;
    expect(s).toMatchObject({ added: 2, updated: 2, removed: 2, unchanged: items - 4 });
    expect(s.failed.map((f) => f.path).sort()).toEqual(fx.broken); // broken files are tried again, in case they were fixed
    // Only the new and changed files (and the broken ones) were embedded: no video, no untouched file.
    expect(media).toEqual(
      ['broken/empty.png', 'broken/truncated.jpg', 'captioned/cat.png', changed, 'photos/new-disc.png'].sort(), // not-a-video.mp4 fails at its probe
    );
    expect(texts.sort()).toEqual(['A black cat on a round cushion.', 'A brand new note about kites.']);

    const after = await rowsOf(index);
    expect(s.items).toBe(after.length);
    const old = byPath(before);
    const now = byPath(after);
    for (const d of deleted) expect(now.has(d)).toBe(false);
    for (const [path, rows] of now) {
      if (path === 'photos/new-disc.png' || path === 'notes/new.txt') continue;
      const was = old.get(path)!;
      if (path === changed || path === 'captioned/cat.png') {
        expect(rows[0].hash).not.toBe(was[0].hash);
        expect(rows[0].halves).not.toEqual(was[0].halves);
      } else if (path === touched) {
        expect(rows[0].mtimeMs).toBe(Math.floor(statSync(join(root, touched)).mtimeMs));
        expect(rows[0].mtimeMs).toBeGreaterThan(was[0].mtimeMs);
        expect({ ...rows[0], mtimeMs: 0 }).toEqual({ ...was[0], mtimeMs: 0 });
      } else expect(rows).toEqual(was); // untouched: the very same rows
    }

    // Touching files (the long video, a caption, a text) without changing them re-embeds nothing.
    const stamp = new Date(Date.now() + 120_000);
    for (const p of [fx.longVideo, 'captioned/boat.txt', 'notes/garden.txt']) utimesSync(join(root, p), stamp, stamp);
    const again = await embeddedDuring(root, () =>
      indexFolder(embedder, { folder: root, modelDir: embedDir, out: index, segmentSeconds: LONG_SEGMENT }),
    );
    expect(again.result).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: items, items: after.length });
    expect(again.media).toEqual(['broken/empty.png', 'broken/truncated.jpg']);
    expect(again.texts).toEqual([]);
    const touchedRows = await rowsOf(index);
    expect(touchedRows.map((r) => ({ ...r, mtimeMs: 0 }))).toEqual(after.map((r) => ({ ...r, mtimeMs: 0 })));
  });

  it("other settings than the index's: 'model-changed', the index untouched", async () => {
    const before = await rowsOf(index);
    const err = await indexFolder(embedder, { folder: fx.root, modelDir: embedDir, out: index, segmentSeconds: 30 }).catch((e) => e);
    expect(err).toBeInstanceOf(LibraryError);
    expect((err as LibraryError).code).toBe('model-changed');
    expect(await rowsOf(index)).toEqual(before);
  });

  it('the small library, indexed once for reference', async () => {
    const summary = await indexFolder(embedder, {
      folder: small.root,
      modelDir: embedDir,
      out: join(work, 'small-ref'),
      segmentSeconds: SMALL_SEGMENT,
    });
    expect(summary).toMatchObject({ added: small.items.length, updated: 0, removed: 0, unchanged: 0 });
    expect(summary.failed.map((f) => f.path)).toEqual(small.broken);
    const rows = await rowsOf(join(work, 'small-ref'));
    expect([...byPath(rows).keys()]).toEqual(small.items);
    expect(rows.filter((r) => r.path === small.segmented)).toHaveLength(3);
    smallRef = { summary, rows };
  });

  it('--shard 0/2 then 1/2 into one table: the same rows and vectors as one run', async () => {
    const out = join(work, 'small-seq');
    const s0 = await indexFolder(embedder, {
      folder: small.root,
      modelDir: embedDir,
      out,
      segmentSeconds: SMALL_SEGMENT,
      shard: { index: 0, count: 2 },
    });
    const s1 = await indexFolder(embedder, {
      folder: small.root,
      modelDir: embedDir,
      out,
      segmentSeconds: SMALL_SEGMENT,
      shard: { index: 1, count: 2 },
    });
    const mine = (i: number) => small.items.filter((p) => shardOf(p, 2) === i).length;
    expect([s0.added, s1.added]).toEqual([mine(0), mine(1)]);
    expect(mine(0)).toBeGreaterThan(0);
    expect(mine(1)).toBeGreaterThan(0);
    expect(s1.removed).toBe(0); // shard 1 leaves shard 0's files alone
    expect(s1.items).toBe(smallRef.rows.length);
    expectSameRows(smallRef.rows, await rowsOf(out));
  });

  it('--shard 0/2 and 1/2 as two processes at once into one table: the same rows and vectors as one run', async () => {
    const out = join(work, 'small-concurrent');
    const [a, b] = await concurrentShards;
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const [s0, s1] = [JSON.parse(a.stdout), JSON.parse(b.stdout)] as IndexSummary[];
    expect(s0.added + s1.added).toBe(small.items.length);
    expectSameRows(smallRef.rows, await rowsOf(out));
  });

  it('killed mid-index (SIGKILL), a rerun completes: no file half-written, the same index as a clean run', async () => {
    const out = join(work, 'small-killed');
    const { seen, ...killed } = await killedRun;
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const partial = await rowsOf(out);
    expectWholeFiles(partial);
    const complete = new Set(partial.map((r) => r.path)).size;
    expect(complete).toBeGreaterThanOrEqual(seen!.done - small.broken.length);
    expect(complete).toBeLessThan(small.items.length);
    report(`killed after ${seen!.done}/${seen!.total} items; ${complete} files stored whole, ${partial.length} entries`);

    const rerun = await indexFolder(embedder, { folder: small.root, modelDir: embedDir, out, segmentSeconds: SMALL_SEGMENT });
    expect(rerun).toMatchObject({ added: small.items.length - complete, unchanged: complete, updated: 0, removed: 0 });
    expect(rerun.items).toBe(smallRef.summary.items);
    expectSameRows(smallRef.rows, await rowsOf(out));
  });

  it('sift search --rerank: the reranker orders the candidates by its score; each keeps its similarity', async () => {
    const folder = join(work, 'mixed');
    const out = join(work, 'mixed-index');
    mkdirSync(folder);
    writeFileSync(join(folder, 'kites.txt'), 'Kites fly high on a windy beach.');
    writeFileSync(join(folder, 'soup.txt'), 'A recipe for tomato soup.');
    writeFileSync(join(folder, 'square.png'), encodePng(64, 64, shapeImage(64, 'square', [0, 0, 200], [250, 250, 250])));
    writeFileSync(join(folder, 'cat.jpg'), encodeJpeg(64, 64, shapeImage(64, 'disc', [200, 120, 40], [240, 240, 230])));
    writeFileSync(join(folder, 'cat.txt'), 'An orange cat asleep on a round cushion.');
    expect(await indexFolder(embedder, { folder, modelDir: embedDir, out })).toMatchObject({ added: 4, items: 4, failed: [] });
    const plain = await searchLibrary({ indexDir: out, query: { text: 'an orange cat' }, top: 4 }, { embedder });
    const similarity = new Map(plain.results.map((x) => [x.path, x.similarity]));
    const r = await sift(['search', out, '--query', 'an orange cat', '--rerank', rerankDir, '--candidates', '4', '--top', '3']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.errors).toBeUndefined(); // every candidate read back, the image + caption pair with its caption
    const results = r.json.results as { rank: number; path: string; similarity: number; score: number }[];
    expect(results.map((x) => x.rank)).toEqual([1, 2, 3]);
    for (let i = 0; i < results.length; i++) {
      expect(results[i].score).toBeGreaterThanOrEqual(0);
      expect(results[i].score).toBeLessThanOrEqual(1);
      if (i) expect(results[i].score).toBeLessThanOrEqual(results[i - 1].score);
      expect(results[i].similarity).toBe(similarity.get(results[i].path));
    }
    report('reranked:', results.map((x) => `${x.path} score ${x.score.toFixed(4)} similarity ${x.similarity.toFixed(4)}`).join(', '));
  });

  it('--reindex rebuilds an index with another model', async () => {
    const folder = join(work, 'mixed');
    const out = join(work, 'mixed-index');
    const before = await rowsOf(out);
    const refused = await sift(['index', folder, '--model', otherDir, '--out', out]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/this index was built with modelVersion .*Re-index the library \(sift index --reindex\)/s);
    expect(await rowsOf(out)).toEqual(before);
    const r = await sift(['index', folder, '--model', otherDir, '--out', out, '--reindex']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json).toEqual({ items: 4, added: 4, updated: 0, removed: 0, unchanged: 0, failed: [] });
    const db = await lancedb.connect(out);
    const meta = JSON.parse(String((await (await db.openTable('meta')).query().toArray())[0].json));
    expect(meta.modelVersion).toBe(JSON.parse(readFileSync(join(otherDir, 'manifest.json'), 'utf8')).version);
    const after = await rowsOf(out);
    expect(after.map(keyOf)).toEqual(before.map(keyOf));
    expect(after[0].halves).not.toEqual(before[0].halves);
  });
});
