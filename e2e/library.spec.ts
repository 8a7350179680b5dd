// The library (search your own folder) in real Chromium: a generated folder — images, a text, an
// image with its caption, a video long enough to be indexed by segments, a broken file — is picked
// through a real `webkitdirectory` input, indexed by the public Library (the built-in tiny embedding
// model in its worker, IndexedDB), searched (query embedded, exact cosine, the tiny reranker orders
// the candidates), re-indexed after changes, and interrupted by a reload. The same folder is indexed
// and searched by the Node CLI (sift index / sift search, LanceDB) with the same model, and the
// nearest entries are compared. The models have random weights: which file "matches" means nothing,
// agreement between paths and exact self-matches do.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Browser, type BrowserContext, type Page } from '@playwright/test';
import type { LibraryTestApi } from './pages/library.ts';

test.describe.configure({ mode: 'serial' });

const ROOT = new URL('..', import.meta.url).pathname;
/** The model the browser runs on WASM for { kind: 'builtin-tiny-embed' }. */
const NODE_MODEL = join(ROOT, 'public/models/tiny-embed-int8');
const QUERY = 'red things by the sea';
/** Short segments keep the test quick (the default is 10 s). */
const SEGMENT_SECONDS = 4;
/**
 * Node (LanceDB, float16) and the browser (int8 here) may differ in similarity by the vectors' storage
 * (int8: ≤ 1/254 per value, ≈ 2e-3 on a cosine; f16 ≈ 1e-4) and by decoding: video frames come from
 * ffmpeg in Node and WebCodecs in the browser (their YUV→RGB conversions differ by a level or so).
 */
const SIMILARITY_TOLERANCE = 0.01;

let dir: string;
let folder: string;
let page: Page;
let context: BrowserContext;
let node: Promise<{ results: { path: string; start?: number; similarity: number }[] }>;

function ffmpeg(...args: string[]) {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
}

/** The folder: 5 items that embed, and one that does not. */
function makeFolder(at: string) {
  mkdirSync(join(at, 'sub'), { recursive: true });
  ffmpeg('-f', 'lavfi', '-i', 'color=c=red:s=96x64', '-frames:v', '1', join(at, 'red.jpg'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=128x96', '-frames:v', '1', join(at, 'sub/test.png'));
  ffmpeg('-f', 'lavfi', '-i', 'color=c=blue:s=80x80', '-frames:v', '1', join(at, 'cat.jpg'));
  writeFileSync(join(at, 'cat.txt'), 'a blue cat sitting on a mat\n');
  writeFileSync(join(at, 'notes.md'), '# Notes\n\nRed things, and a trip to the sea.\n');
  // 9 s in 4 s segments (SEGMENT_SECONDS): [0, 4), [2, 6), [4, 8), [5, 9).
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=s=96x64:r=5:d=9', '-pix_fmt', 'yuv420p', '-c:v', 'libx264', join(at, 'clip.mp4'));
  writeFileSync(join(at, 'broken.jpg'), 'this is not a JPEG');
}

function sift(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(ROOT, 'bin/sift.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (c) => (out += c));
    p.stderr.on('data', (c) => (err += c));
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sift ${args[0]} exited ${code}: ${err.slice(-2000)}`))));
  });
}

async function openPage(browser: Browser, options: Parameters<LibraryTestApi['open']>[0]): Promise<Page> {
  const p = await (context ?? (context = await browser.newContext())).newPage();
  p.on('pageerror', (e) => console.log(`pageerror: ${e.message}`));
  await p.goto('/e2e/pages/library.html');
  await p.waitForSelector('body[data-ready="true"]');
  await p.evaluate((o) => window.libraryTest.open(o), options);
  return p;
}

async function pick(p: Page) {
  await p.setInputFiles('#folder', folder);
  return p.evaluate(() => window.libraryTest.addPicked());
}

declare global {
  interface Window {
    libraryTest: LibraryTestApi;
  }
}

test.beforeAll(async ({ browser }) => {
  dir = mkdtempSync(join(tmpdir(), 'sift-library-'));
  folder = join(dir, 'photos');
  makeFolder(folder);
  // The Node CLI on a copy (the tests below change the folder), in the background meanwhile.
  const nodeFolder = join(dir, 'node-photos');
  cpSync(folder, nodeFolder, { recursive: true });
  const index = join(dir, 'node-index');
  node = sift('index', nodeFolder, '--model', NODE_MODEL, '--backend', 'wasm', '--out', index, '--segment-seconds', String(SEGMENT_SECONDS))
    .then(() => sift('search', index, '--backend', 'wasm', '--query', QUERY, '--top', '20'))
    .then((out) => JSON.parse(out));
  node.catch(() => {});
  page = await openPage(browser, { name: 'main', settings: { segmentSeconds: SEGMENT_SECONDS } });
});

test.afterAll(async () => {
  await context?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a picked folder is indexed: progress, every kind, segments, the broken file fails alone', async () => {
  test.setTimeout(120_000); // the first test loads both models into IndexedDB
  const added = await pick(page);
  expect(added).toMatchObject({ ok: true, value: { kind: 'files', name: 'photos', files: 7, access: 'ready' } });
  const loaded = await page.evaluate(() => window.libraryTest.load());
  expect(loaded.ok).toBe(true);
  const r = await page.evaluate(() => window.libraryTest.index());
  if (!r.ok) throw new Error(`${r.name} (${r.code}): ${r.message}`);
  console.log(`both models loaded in ${loaded.ms.toFixed(0)} ms; indexed in ${r.ms.toFixed(0)} ms`);
  expect(r.value).toMatchObject({ items: 8, added: 5, updated: 0, removed: 0, unchanged: 0 });
  expect(r.value.failed).toEqual([{ path: 'broken.jpg', message: expect.stringMatching(/image/) }]);

  const progress = await page.evaluate(() => window.libraryTest.progress());
  expect(progress[0].phase).toBe('listing');
  const indexing = progress.filter((p) => p.phase === 'indexing');
  expect(indexing.every((p) => p.total === 6)).toBe(true);
  expect(indexing.map((p) => p.done)).toEqual([...indexing.map((p) => p.done)].sort((a, b) => a - b));
  expect(indexing.at(-1)!.done).toBe(6);
  expect(indexing.some((p) => p.current === 'clip.mp4')).toBe(true);

  const raw = await page.evaluate(() => window.libraryTest.rawIndex('main'));
  const byPath = Object.fromEntries(raw.files.map((f) => [f.path, f]));
  expect(Object.keys(byPath).sort()).toEqual(['cat.jpg', 'clip.mp4', 'notes.md', 'red.jpg', 'sub/test.png']);
  expect(byPath['cat.jpg']).toMatchObject({ kind: 'image+caption', caption: 'cat.txt', segments: 1 });
  expect(byPath['clip.mp4']).toMatchObject({ kind: 'video', segments: 4, entries: 4, thumbnails: 4 });
  expect(byPath['notes.md']).toMatchObject({ kind: 'text', thumbnails: 0 });
  expect(byPath['red.jpg'].thumbnails).toBe(1);
  for (const f of raw.files) expect(f.vectorBytes).toBe(f.segments * f.bytesPerVector);
  expect(raw.files[0].bytesPerVector).toBe(128); // int8, the tiny model's 128 dimensions

  const status = await page.evaluate(() => window.libraryTest.status());
  expect(status).toMatchObject({
    ok: true,
    value: { files: 5, entries: 8, needsReindex: false, failed: [{ path: 'broken.jpg' }], settings: { format: 'i8', dims: 128 } },
  });
});

test('search by text and by image: candidates by similarity, streamed in the reranker’s order', async () => {
  const r = await page.evaluate((q) => window.libraryTest.search(q, { top: 20 }), QUERY);
  if (!r.ok) throw new Error(`${r.name} (${r.code}): ${r.message}`);
  console.log(`searched and reranked 8 candidates in ${r.ms.toFixed(0)} ms`);
  const { results, failed } = r.value;
  expect(failed).toEqual([]);
  expect(results).toHaveLength(8);
  expect(results.map((x) => x.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  for (let i = 1; i < results.length; i++) expect(results[i - 1].score!).toBeGreaterThanOrEqual(results[i].score!);
  expect(results.filter((x) => x.path === 'clip.mp4').map((x) => [x.start, x.end])).toEqual(
    expect.arrayContaining([
      [0, 4],
      [2, 6],
      [4, 8],
      [5, 9],
    ]),
  );
  expect(results.find((x) => x.path === 'red.jpg')!.thumbnail).toMatchObject({ type: 'image/jpeg' });
  // One event per candidate as it was scored, the last one carrying the final order.
  expect(r.events).toHaveLength(8);
  expect(r.events.at(-1)!.ranking).toEqual(results.map((x) => x.path));

  // The image with the documents' own instruction embeds to its own stored vector.
  const own = await page.evaluate(() =>
    window.libraryTest.search({ image: 'red.jpg' }, { top: 8, candidates: 8, instruction: "Represent the user's input." }),
  );
  if (!own.ok) throw new Error(`${own.name} (${own.code}): ${own.message}`);
  const bySimilarity = [...own.value.results].sort((a, b) => b.similarity - a.similarity);
  expect(own.value.results).toHaveLength(8);
  expect(bySimilarity[0].path).toBe('red.jpg');
  expect(bySimilarity[0].similarity).toBeGreaterThan(0.99);
});

test('the same nearest entries as the Node CLI on the same folder and model', async () => {
  test.setTimeout(120_000);
  const r = await page.evaluate((q) => window.libraryTest.search(q, { top: 20 }), QUERY);
  if (!r.ok) throw new Error(r.message);
  const browser = [...r.value.results].sort((a, b) => b.similarity - a.similarity);
  const fromNode = (await node).results;
  const key = (x: { path: string; start?: number }) => `${x.path}@${x.start ?? ''}`;
  expect(browser.map(key).sort()).toEqual(fromNode.map(key).sort());
  const nodeSim = new Map(fromNode.map((x) => [key(x), x.similarity]));
  const diffs = browser.map((x) => Math.abs(x.similarity - nodeSim.get(key(x))!));
  console.log(`browser (int8) vs Node (LanceDB f16): max |Δ similarity| ${Math.max(...diffs).toFixed(5)} over ${diffs.length} entries`);
  for (const d of diffs) expect(d).toBeLessThanOrEqual(SIMILARITY_TOLERANCE);
  // Same order, except between entries whose similarities lie within the tolerance of each other.
  for (let i = 0; i < browser.length; i++)
    for (let j = i + 1; j < browser.length; j++)
      expect(nodeSim.get(key(browser[i]))!).toBeGreaterThanOrEqual(nodeSim.get(key(browser[j]))! - 2 * SIMILARITY_TOLERANCE);
});

test('an unreadable file is listed with its reason while the others are still ranked; re-indexing catches up with changes', async () => {
  rmSync(join(folder, 'sub/test.png'));
  const s = await page.evaluate((q) => window.libraryTest.search(q, { top: 20 }), QUERY);
  if (!s.ok) throw new Error(s.message);
  expect(s.value.failed.map((x) => x.path)).toEqual(['sub/test.png']);
  expect(s.value.failed[0].error!.message).toBeTruthy();
  expect(s.value.results).toHaveLength(7);
  expect(s.events.find((e) => e.path === 'sub/test.png')!.error).toBeTruthy();

  // Changed, added, removed (above), and touched without a change.
  writeFileSync(join(folder, 'notes.md'), '# Notes\n\nBlue things now, and mountains.\n');
  ffmpeg('-f', 'lavfi', '-i', 'color=c=green:s=64x64', '-frames:v', '1', join(folder, 'green.png'));
  const later = new Date(Date.now() + 60_000);
  utimesSync(join(folder, 'red.jpg'), later, later);
  await pick(page);
  const r = await page.evaluate(() => window.libraryTest.index());
  if (!r.ok) throw new Error(r.message);
  expect(r.value).toMatchObject({ items: 8, added: 1, updated: 1, removed: 1, unchanged: 3 });
  expect(r.value.failed.map((f) => f.path)).toEqual(['broken.jpg']);
  const raw = await page.evaluate(() => window.libraryTest.rawIndex('main'));
  expect(raw.files.map((f) => f.path).sort()).toEqual(['cat.jpg', 'clip.mp4', 'green.png', 'notes.md', 'red.jpg']);
  expect(raw).toMatchObject({ orphanVectors: 0, orphanEntries: 0 });
  // Nothing changed since: a third run embeds nothing.
  const again = await page.evaluate(() => window.libraryTest.index());
  expect(again).toMatchObject({ ok: true, value: { added: 0, updated: 0, removed: 0, unchanged: 5 } });
});

test('each model kind refuses the other’s call, saying which model it needs', async () => {
  const { rerank, embed } = await page.evaluate(() => window.libraryTest.kindErrors());
  expect(rerank).toMatchObject({
    ok: false,
    code: 'wrong-model-kind',
    message: expect.stringMatching(/embedding model.*needs a reranker/),
  });
  expect(embed).toMatchObject({
    ok: false,
    code: 'wrong-model-kind',
    message: expect.stringMatching(/reranker.*needs an embedding model/),
  });
});

test('a directory handle is walked recursively and kept: after a reload the folder re-opens and nothing is re-embedded', async () => {
  await page.evaluate(() => window.libraryTest.open({ name: 'handle', reranker: null }));
  const added = await page.evaluate(() =>
    window.libraryTest.addOpfsFolder('lib', { 'red.jpg': 'red.jpg', 'notes.md': 'notes.md', 'green.png': 'sub/green.png' }),
  );
  expect(added).toMatchObject({ ok: true, value: { kind: 'handle', name: 'lib', access: 'ready' } });
  const first = await page.evaluate(() => window.libraryTest.index());
  expect(first).toMatchObject({ ok: true, value: { items: 3, added: 3, failed: [] } });
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  await page.evaluate(() => window.libraryTest.open({ name: 'handle', reranker: null }));
  expect(await page.evaluate(() => window.libraryTest.folder())).toMatchObject({
    ok: true,
    value: { kind: 'handle', name: 'lib', access: 'ready' },
  });
  const again = await page.evaluate(() => window.libraryTest.index());
  expect(again).toMatchObject({ ok: true, value: { items: 3, added: 0, unchanged: 3 } });
  // Without a reranker: the nearest entries by similarity, unscored.
  const s = await page.evaluate(() => window.libraryTest.search('green', { top: 3 }));
  if (!s.ok) throw new Error(s.message);
  expect(s.value.results.map((r) => r.path).sort()).toEqual(['notes.md', 'red.jpg', 'sub/green.png']);
  expect(s.value.results.every((r) => r.score === null)).toBe(true);
  const sims = s.value.results.map((r) => r.similarity);
  expect(sims).toEqual([...sims].sort((a, b) => b - a));
});

test('a reload in the middle of indexing loses nothing written and half-writes nothing; indexing again resumes', async ({ browser }) => {
  test.setTimeout(120_000);
  const p = await openPage(browser, { name: 'reload', settings: { batchInputs: 1, segmentSeconds: SEGMENT_SECONDS } });
  await pick(p);
  await p.evaluate(() => window.libraryTest.startIndex());
  await expect
    .poll(() =>
      p.evaluate(
        () =>
          window.libraryTest
            .progress()
            .filter((x) => x.phase === 'indexing')
            .at(-1)?.done ?? 0,
      ),
    )
    .toBeGreaterThanOrEqual(2);
  await p.reload();
  await p.waitForSelector('body[data-ready="true"]');
  // Batches are not part of what the index is built with: the resumed run embeds 8 inputs per call.
  await p.evaluate((segmentSeconds) => window.libraryTest.open({ name: 'reload', settings: { segmentSeconds } }), SEGMENT_SECONDS);

  const raw = await p.evaluate(() => window.libraryTest.rawIndex('reload'));
  const stored = raw.files.length;
  console.log(`after the reload: ${stored} of 5 files stored (${raw.files.map((f) => f.path).join(', ')})`);
  expect(stored).toBeGreaterThanOrEqual(1);
  expect(stored).toBeLessThan(5);
  for (const f of raw.files) {
    expect(f.entries).toBe(f.segments);
    expect(f.vectorBytes).toBe(f.segments * f.bytesPerVector);
  }
  expect(raw).toMatchObject({ orphanVectors: 0, orphanEntries: 0 });
  // Picked files are not kept across a reload: the API says so, and the folder is picked again.
  expect(await p.evaluate(() => window.libraryTest.folder())).toMatchObject({ ok: true, value: { kind: 'files', access: 'needs-pick' } });
  expect(await p.evaluate(() => window.libraryTest.index())).toMatchObject({ ok: false, code: 'needs-pick' });
  await pick(p);
  const r = await p.evaluate(() => window.libraryTest.index());
  if (!r.ok) throw new Error(`${r.name} (${r.code}): ${r.message}`);
  console.log(`resumed: ${r.value.added} files added in ${r.ms.toFixed(0)} ms`);
  expect(r.value).toMatchObject({ items: 8, unchanged: stored, added: 5 - stored, updated: 0 });
  await p.close();
});
