// The model store in real Chromium with real IndexedDB: download, verification, offline reload,
// resume after a dropped network, corrupt files and storage quota. The tiny model (~18 MB) is served
// by the vite dev server from public/models/tiny.
import { expect, test } from '@playwright/test';
import {
  deleteModel,
  download,
  writeFromServer,
  listModels,
  openStorePage,
  overrideQuota,
  rawStoreView,
  recordFiles,
  readBackHashes,
  readyVersion,
  rewriteChunksAsBytes,
  servedManifest,
  storageEstimate,
  watchModelRequests,
} from './helpers/storePage.ts';
import { measure } from './helpers/measure.ts';

const MiB = 1024 * 1024;

test('downloads the tiny model, verifies every file, and reloads it with no network', async ({ page }) => {
  await openStorePage(page);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const manifest = await servedManifest(page);

  const result = await download(page);
  expect(result.ok, JSON.stringify(result)).toBe(true);
  if (!result.ok) return;
  expect(result.model).toMatchObject({ id: 'sift-tiny', version: manifest.version, bytes: manifest.totalBytes });
  expect(result.fetchedBytes).toBe(manifest.totalBytes);
  expect(result.resumedBytes).toBe(0);
  const last = result.progress.at(-1)!;
  expect(last).toMatchObject({
    phase: 'ready',
    bytesDone: manifest.totalBytes,
    bytesTotal: manifest.totalBytes,
    fileCount: manifest.shards.length,
  });
  expect(result.progress.some((p) => p.phase === 'verifying')).toBe(true);
  expect(result.progress.every((p, i, all) => i === 0 || p.fileIndex >= all[i - 1].fileIndex)).toBe(true);
  measure(`downloaded ${(manifest.totalBytes / 1e6).toFixed(1)} MB in ${result.seconds.toFixed(2)} s`);

  // What IndexedDB holds, counted without the store: every byte once, one ready record.
  const raw = await rawStoreView(page);
  expect(raw.chunkBytes).toBe(manifest.totalBytes);
  expect(raw.bytesChunks).toBe(0); // chunks are written as Blobs
  expect(raw.blobChunks).toBe(raw.chunkKeys.length);
  expect(raw.records).toEqual([expect.objectContaining({ state: 'ready', version: manifest.version })]);
  expect(await listModels(page)).toEqual([
    {
      id: 'sift-tiny',
      version: manifest.version,
      label: 'sift-tiny',
      bytes: manifest.totalBytes,
      storedBytes: manifest.totalBytes,
      state: 'ready',
      randomWeights: true,
    },
  ]);

  // After a reload the model comes from IndexedDB alone.
  await page.reload();
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  const watch = watchModelRequests(page);
  const hashes = await readBackHashes(page);
  expect(hashes?.version).toBe(manifest.version);
  for (const s of manifest.shards) expect(hashes?.files[s.file]).toEqual({ bytes: s.bytes, sha256: s.sha256 });
  // The same bytes written into buffers of the files' size, each way the store has: by the reader Worker
  // into shared memory (as loads fill onnxruntime's heap), here through a BYOB reader, and here where
  // Blob streams are not byte streams (each chunk read whole).
  const readAllWays = async (blobChunks: number) => {
    for (const way of ['reader-into-shared', 'into-here', 'into-no-byob'] as const) {
      const got = await readBackHashes(page, 'sift-tiny', way);
      for (const s of manifest.shards) expect(got?.files[s.file], `${way}: ${s.file}`).toEqual({ bytes: s.bytes, sha256: s.sha256 });
      if (way !== 'reader-into-shared') expect(got?.byobReaders, way).toBe(way === 'into-no-byob' ? 0 : blobChunks);
    }
  };
  await readAllWays(raw.blobChunks);
  expect(await watch.requests()).toEqual([]);

  // A store written before chunks were Blobs (Uint8Array values) reads back the same, every way.
  expect(await rewriteChunksAsBytes(page)).toBe(raw.chunkKeys.length);
  expect((await rawStoreView(page)).bytesChunks).toBe(raw.chunkKeys.length);
  const legacy = await readBackHashes(page);
  for (const s of manifest.shards) expect(legacy?.files[s.file]).toEqual({ bytes: s.bytes, sha256: s.sha256 });
  await readAllWays(0); // no Blob chunk left: no BYOB reader is asked for
  expect(await watch.requests()).toEqual([]);

  // Downloading a version that is already ready only fetches the manifest.
  const again = await download(page);
  expect(again.ok && again.fetchedBytes).toBe(0);
  expect((await watch.requests()).map((r) => r.file)).toEqual(['manifest.json']);
  watch.stop();
});

test('resumes a download cut mid-file: keeps whole chunks, asks for the rest with Range', async ({ page, context }) => {
  await openStorePage(page);
  const manifest = await servedManifest(page);
  const size = (f: string) => manifest.shards.find((s) => s.file === f)!.bytes;
  const cutAt = 5.5 * MiB; // inside tokenizer.json (11.4 MB): 5 whole 1 MiB chunks survive
  let cut = false;
  await page.route('**/models/tiny/tokenizer.json', async (route) => {
    if (cut) return route.continue();
    cut = true;
    // The connection drops mid-body, then the network goes away altogether.
    const full = await route.fetch();
    const body = (await full.body()).subarray(0, cutAt);
    await route.fulfill({ status: 200, headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body });
    await context.setOffline(true);
  });
  const watch1 = watchModelRequests(page);
  const first = await download(page, { chunkBytes: MiB, retries: 2, retryDelayMs: 100 });
  expect(first.ok).toBe(false);
  if (first.ok) return;
  expect(first.kind).toBe('network');
  expect(first.message).toMatch(/download again to resume/);
  measure(`first attempt: ${first.message}`);
  const filesBefore = manifest.shards
    .slice(
      0,
      manifest.shards.findIndex((s) => s.file === 'tokenizer.json'),
    )
    .map((s) => s.file);
  const storedBefore = filesBefore.reduce((n, f) => n + size(f), 0) + 5 * MiB;
  expect((await rawStoreView(page)).chunkBytes).toBe(storedBefore);
  expect(await readyVersion(page)).toBeUndefined();
  // The cut file's sha256 so far is kept with its chunks: the resumed download hashes only the rest.
  const [cutRecord] = await recordFiles(page);
  expect(cutRecord.files['tokenizer.json']).toMatchObject({ chunks: 5, verified: false, hash: { chunks: 5 } });
  watch1.stop();

  await context.setOffline(false);
  await page.unroute('**/models/tiny/tokenizer.json');
  const watch2 = watchModelRequests(page);
  const second = await download(page, { chunkBytes: MiB });
  expect(second.ok, JSON.stringify(second)).toBe(true);
  if (!second.ok) return;
  const requests = await watch2.requests();
  watch2.stop();
  // Finished files are not fetched again; the cut file continues from its last whole chunk.
  for (const f of filesBefore) expect(requests.map((r) => r.file)).not.toContain(f);
  const tok = requests.filter((r) => r.file === 'tokenizer.json');
  expect(tok).toEqual([{ file: 'tokenizer.json', range: `bytes=${5 * MiB}-`, bodyBytes: size('tokenizer.json') - 5 * MiB }]);
  expect(second.resumedBytes).toBe(storedBefore);
  expect(second.fetchedBytes).toBe(manifest.totalBytes - storedBefore);
  const modelBytes = requests.filter((r) => r.file !== 'manifest.json').reduce((n, r) => n + (r.bodyBytes ?? 0), 0);
  expect(modelBytes).toBe(manifest.totalBytes - storedBefore);
  measure(`resumed: ${(storedBefore / 1e6).toFixed(1)} MB kept, ${(modelBytes / 1e6).toFixed(1)} MB fetched`);

  expect((await rawStoreView(page)).chunkBytes).toBe(manifest.totalBytes);
  const hashes = await readBackHashes(page);
  for (const s of manifest.shards) expect(hashes?.files[s.file].sha256).toBe(s.sha256);
});

test('a reload mid-download resumes without fetching finished files again', async ({ page }) => {
  await openStorePage(page);
  const manifest = await servedManifest(page);
  // Hold the last file so the download is surely in flight when the page goes away.
  const held = new Promise<void>((resolve) => {
    void page.route('**/models/tiny/embed-000.bin', () => resolve());
  });
  void download(page).catch(() => undefined);
  await held;
  // The route is let go only after the reload: let go before it, the held request went on to the server
  // and could finish the file before the page went away (seen once in CI).
  await page.reload();
  await page.unrouteAll({ behavior: 'ignoreErrors' });
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  expect((await rawStoreView(page)).chunkBytes).toBe(manifest.totalBytes - manifest.shards.find((s) => s.file === 'embed-000.bin')!.bytes);

  const watch = watchModelRequests(page);
  const result = await download(page);
  expect(result.ok, JSON.stringify(result)).toBe(true);
  expect((await watch.requests()).map((r) => `${r.file} ${r.range ?? ''}`.trim())).toEqual(['manifest.json', 'embed-000.bin']);
  watch.stop();
  expect(await readyVersion(page)).toBe(manifest.version);
});

test('a server that ignores Range gets the whole file again, stored from its start', async ({ page, context }) => {
  await openStorePage(page);
  const manifest = await servedManifest(page);
  const tokBytes = manifest.shards.find((s) => s.file === 'tokenizer.json')!.bytes;
  await page.route('**/models/tiny/tokenizer.json', async (route) => {
    const full = await route.fetch();
    const body = (await full.body()).subarray(0, 3.5 * MiB);
    await route.fulfill({ status: 200, headers: { 'content-length': String(body.length) }, body });
    await context.setOffline(true);
  });
  const first = await download(page, { chunkBytes: MiB, retries: 1, retryDelayMs: 50 });
  expect(first.ok).toBe(false);
  await context.setOffline(false);
  await page.unroute('**/models/tiny/tokenizer.json');

  // This server answers every request with the full file and 200.
  const ranges: (string | undefined)[] = [];
  await page.route('**/models/tiny/tokenizer.json', async (route) => {
    const { range, ...headers } = route.request().headers();
    ranges.push(range);
    const full = await route.fetch({ headers });
    await route.fulfill({ response: full, status: 200 });
  });
  const second = await download(page, { chunkBytes: MiB });
  expect(second.ok, JSON.stringify(second)).toBe(true);
  expect(ranges).toEqual([`bytes=${3 * MiB}-`]);
  if (second.ok) expect(second.fetchedBytes).toBe(manifest.totalBytes - second.resumedBytes + 3 * MiB);
  expect((await rawStoreView(page)).chunkBytes).toBe(manifest.totalBytes);
  const hashes = await readBackHashes(page);
  expect(hashes?.files['tokenizer.json']).toEqual({
    bytes: tokBytes,
    sha256: manifest.shards.find((s) => s.file === 'tokenizer.json')!.sha256,
  });
});

test('a corrupt file is fetched once more, then fails clearly and the model is never ready', async ({ page }) => {
  await openStorePage(page);
  let served = 0;
  await page.route('**/models/tiny/decoder-000.bin', async (route) => {
    served++;
    const full = await route.fetch();
    const body = Buffer.from(await full.body());
    body[1000] ^= 0x40;
    await route.fulfill({ response: full, body });
  });
  const result = await download(page);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.kind).toBe('integrity');
  expect(result.message).toMatch(/decoder-000\.bin of model sift-tiny is corrupt even after downloading it again/);
  measure(`${result.message}`);
  expect(served).toBe(2);
  expect(await readyVersion(page)).toBeUndefined();
  expect((await listModels(page)).map((m) => m.state)).toEqual(['downloading']);
  expect((await rawStoreView(page)).chunkKeys.filter((k) => k.includes('decoder-000.bin'))).toEqual([]);
  await page.unroute('**/models/tiny/decoder-000.bin');

  // Corrupt only on the first fetch: the second copy verifies and the model becomes ready.
  served = 0;
  await page.route('**/models/tiny/embed-000.bin', async (route) => {
    served++;
    const full = await route.fetch();
    const body = Buffer.from(await full.body());
    if (served === 1) body[7] ^= 1;
    await route.fulfill({ response: full, body });
  });
  const retried = await download(page);
  expect(retried.ok, JSON.stringify(retried)).toBe(true);
  expect(served).toBe(2);
  expect(await readyVersion(page)).toBeTruthy();
});

test('quota exceeded mid-download keeps the ready version; the new one replaces it once ready', async ({ page, context }) => {
  await openStorePage(page);
  const manifest = await servedManifest(page);
  // Room for one copy of the model but not two (chunks are Blobs, stored as they are: one copy takes
  // the model's size). Set before any write: Chromium's IndexedDB caches the remaining space for a few seconds.
  await overrideQuota(context, page, (await storageEstimate(page)).usage + 1.5 * manifest.totalBytes);
  const v1 = await download(page);
  expect(v1.ok, JSON.stringify(v1)).toBe(true);

  // A new version of the same model (same files, new version string).
  await page.route('**/models/tiny/manifest.json', async (route) => {
    const full = await route.fetch();
    await route.fulfill({ response: full, json: { ...(await full.json()), version: 'v2-e2e' } });
  });
  const failed = await download(page, { chunkBytes: MiB });
  expect(failed.ok).toBe(false);
  if (failed.ok) return;
  expect(failed.kind).toBe('quota');
  expect(failed.message).toMatch(/^The browser refused to store more of model sift-tiny: it needs \d+\.\d MB more/);
  measure(`${failed.message}`);
  expect(failed.neededBytes).toBeGreaterThan(0);
  // The previous version is still ready and readable.
  expect(await readyVersion(page)).toBe(manifest.version);
  const hashes = await readBackHashes(page);
  for (const s of manifest.shards) expect(hashes?.files[s.file].sha256).toBe(s.sha256);
  expect((await listModels(page)).map((m) => `${m.version}:${m.state}`)).toEqual([`v2-e2e:downloading`, `${manifest.version}:ready`]);

  await overrideQuota(context, page, undefined);
  const done = await download(page, { chunkBytes: MiB });
  expect(done.ok, JSON.stringify(done)).toBe(true);
  if (done.ok) expect(done.resumedBytes).toBeGreaterThan(0);
  expect(await readyVersion(page)).toBe('v2-e2e');
  expect((await listModels(page)).map((m) => `${m.version}:${m.state}`)).toEqual(['v2-e2e:ready']);
  const raw = await rawStoreView(page);
  expect(raw.chunkBytes).toBe(manifest.totalBytes);
  expect(raw.chunkKeys.every((k) => k.includes('/v2-e2e/'))).toBe(true);
});

test('deleteModel removes every stored byte', async ({ page }) => {
  await openStorePage(page);
  expect((await download(page)).ok).toBe(true);
  await deleteModel(page, 'sift-tiny');
  expect(await listModels(page)).toEqual([]);
  expect(await rawStoreView(page)).toEqual({ chunkKeys: [], chunkBytes: 0, blobChunks: 0, bytesChunks: 0, records: [], staging: [] });
});

test('a model converted on the device is stored through a writer, and an abandoned one is swept', async ({ page }) => {
  await openStorePage(page);
  const manifest = await servedManifest(page);
  expect((await download(page)).ok).toBe(true);

  // A conversion that dies half-way (the page goes away, releasing its lock) leaves its chunks and a
  // staging mark, and no model.
  expect(await writeFromServer(page, { stopAfter: 3 })).toMatchObject({ ok: false });
  await page.reload();
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  let raw = await rawStoreView(page);
  expect(raw.staging).toHaveLength(1);
  expect(await readyVersion(page)).toBe(manifest.version);

  // A file that does not match the manifest: nothing becomes ready, the partial copy is dropped.
  const tampered = await writeFromServer(page, { tamper: 'embed-000.bin' });
  expect(tampered.ok).toBe(false);
  expect(tampered.ok ? '' : tampered.message).toMatch(/embed-000\.bin does not match its manifest entry/);
  raw = await rawStoreView(page);
  expect(raw.staging).toEqual([]);
  expect(raw.chunkBytes).toBe(manifest.totalBytes);

  const written = await writeFromServer(page);
  expect(written).toEqual({ ok: true, version: `${manifest.version}-local` });
  expect(await readyVersion(page)).toBe(`${manifest.version}-local`);
  const hashes = await readBackHashes(page);
  for (const s of manifest.shards) expect(hashes?.files[s.file].sha256).toBe(s.sha256);
  raw = await rawStoreView(page);
  expect(raw.records.map((r) => r.version)).toEqual([`${manifest.version}-local`]);
  expect(raw.chunkBytes).toBe(manifest.totalBytes);
  expect(raw.staging).toEqual([]);
});
