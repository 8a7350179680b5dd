// The app end to end in real Chromium: the tiny model loaded through the UI on WASM and on WebGPU
// (SwiftShader), a query reranked against text, PNG, JPEG, an h264 mp4 and a vp9 webm (WebGPU: text
// and the PNG), and the scores shown compared with `sift rank` in Node on the same files; "Auto" (texts)
// runs on WASM here; a long list stays whole in the accessibility tree. Then a reload (the model comes
// from IndexedDB: no weight file is fetched) and screenshots of the three regions.
import { expect, test } from '@playwright/test';
import { rmSync } from 'node:fs';
import { addCandidates, loadTinyModel, rerankAndRead, savedState, type ShownRow } from './helpers/appPage.ts';
import { cliRank, makeAppMedia, type AppMedia, type CliRank } from './helpers/appMedia.ts';
import { measure } from './helpers/measure.ts';

const QUERY = 'A test card with coloured bars and a moving clock';
const TEXTS = ['A television test pattern with colour bars.', 'A recipe for lemon cake.'];
// Lossless inputs (text, PNG) must agree to 1e-3 (seen: 0 and 1.5e-7). A JPEG is decoded by jpeg-js in
// Node and libjpeg-turbo in Chromium (different IDCT and chroma upsampling), video frames by ffmpeg and
// WebCodecs (different YUV→RGB): with 4-bit MatMulNBits (WebGPU) seen 1.3e-3 and 8.6e-4, so 5e-3. On
// WASM the int8 format quantizes activations per token, and a pixel that differs by a level can move a
// rounding step, which this random-weight model amplifies: seen up to 6.4e-3 (JPEG) and 1.8e-2 (webm), so
// 3e-2 there (lossless inputs stay within EXACT: the formats are not the cause).
const EXACT = 1e-3;
const DECODER = { wasm: 3e-2, webgpu: 5e-3 } as const;

let media: AppMedia;
// WASM takes every kind of file; WebGPU (SwiftShader here, ≈100× slower) the texts and the lossless PNG:
// its vision graphs on images and videos are e2e/engine.spec.ts's, and decoding does not depend on the backend.
type AppFile = { image?: string; video?: string; lossy?: boolean };
const files = (backend: 'wasm' | 'webgpu'): AppFile[] =>
  backend === 'wasm'
    ? [{ image: media.png }, { image: media.jpeg, lossy: true }, { video: media.mp4, lossy: true }, { video: media.webm, lossy: true }]
    : [{ image: media.png }];

// The app loads the built-in model in its backend's format: int8 linear layers on WASM (tiny-int8),
// 4-bit MatMulNBits on WebGPU (tiny); `sift rank` runs the same files in Node.
const expected: Partial<Record<'wasm' | 'webgpu', CliRank>> = {};
test.beforeAll(() => {
  media = makeAppMedia();
  for (const [backend, dir] of [
    ['wasm', 'public/models/tiny-int8'],
    ['webgpu', 'public/models/tiny'],
  ] as const) {
    const documents = [...TEXTS.map((text) => ({ text })), ...files(backend).map(({ lossy: _, ...file }) => file)];
    expected[backend] = cliRank(dir, { query: { text: QUERY }, documents, fps: 1, max_frames: 64 }, media.dir);
    expect(expected[backend]!.errors).toEqual([]);
  }
});
test.afterAll(() => rmSync(media.dir, { recursive: true, force: true }));

function compare(rows: ShownRow[], label: 'wasm' | 'webgpu'): void {
  const want = expected[label]!;
  expect(rows.map((r) => r.state)).toEqual(rows.map(() => 'scored'));
  const shown = rows.map((r) => r.score!);
  expect(shown, 'sorted best first').toEqual([...shown].sort((a, b) => b - a));
  const diffs = rows.map((r) => ({ index: r.index, diff: Math.abs(r.score! - want.scores[r.index]!) }));
  measure(`${label}: |app − sift rank| per document ${diffs.map((d) => `#${d.index} ${d.diff.toExponential(1)}`).join(', ')}`);
  const lossy = (index: number) => index >= TEXTS.length && files(label)[index - TEXTS.length]!.lossy === true;
  for (const d of diffs) expect(d.diff, `document ${d.index}`).toBeLessThanOrEqual(lossy(d.index) ? DECODER[label] : EXACT);
}

for (const backend of ['wasm', 'webgpu'] as const) {
  const kinds = backend === 'wasm' ? 'text, PNG, JPEG, mp4 and webm' : 'text and PNG';
  test(`rerank ${kinds} on ${backend}: the scores of sift rank, sorted`, async ({ page }) => {
    test.setTimeout(backend === 'webgpu' ? 420_000 : 180_000);
    await page.goto('/');
    const note = await loadTinyModel(page, backend);
    expect(note).toContain(backend === 'webgpu' ? 'WebGPU' : 'WASM');
    // tiny-int8's graphs are ORT format: on WASM, used in place in onnxruntime's heap.
    await expect(page.getByTestId('active-model')).toHaveAttribute('data-graphs', backend === 'wasm' ? 'in-place' : 'onnx');
    await page.locator('#query-text').fill(QUERY);
    const shown = files(backend).map((f) => f.image ?? f.video!);
    await addCandidates(page, TEXTS, shown);
    await expect(page.locator('ol.list > li')).toHaveCount(TEXTS.length + shown.length);
    const rows = await rerankAndRead(page, backend === 'webgpu' ? 360_000 : 120_000);
    compare(rows, backend);
  });
}

// "Auto" is the app's default. This machine's only WebGPU adapter is SwiftShader (≈100× slower than WASM).
test('Auto runs on WASM when the only WebGPU adapter is a software one, says why, and scores as WASM does', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#backend')).toHaveValue('auto');
  const note = await loadTinyModel(page, 'auto');
  expect(note).toMatch(/software fallback.*using WASM/);
  await page.locator('#query-text').fill(QUERY);
  await addCandidates(page, TEXTS, []);
  const rows = await rerankAndRead(page, 120_000);
  expect(rows.map((r) => r.state)).toEqual(['scored', 'scored']);
  for (const r of rows) expect(Math.abs(r.score! - expected.wasm!.scores[r.index]!), `document ${r.index}`).toBeLessThanOrEqual(EXACT);
});

// A model address in the WASM format (int8, ORT-format graphs) asked to run on WebGPU: onnxruntime-web
// cannot run that format there (e2e/engine.spec.ts), so the worker runs it on WASM and says why.
test('a WASM-format model asked to run on WebGPU runs on WASM, says why, and scores as WASM does', async ({ page, baseURL }) => {
  await page.goto('/');
  await page.locator('#backend').selectOption('webgpu');
  await page.getByRole('radio', { name: /A converted model/ }).check();
  await page.locator('#manifest-url').fill(`${baseURL}/models/tiny-int8/manifest.json`);
  await page.locator('#load-model').click();
  await expect(page.getByTestId('active-model')).toHaveAttribute('data-graphs', 'in-place', { timeout: 120_000 });
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  await expect(page.locator('#backend-hint')).toContainText(/WASM format .*cannot run on WebGPU: running on WASM/);
  await page.locator('#query-text').fill(QUERY);
  await addCandidates(page, TEXTS, []);
  const rows = await rerankAndRead(page, 120_000);
  expect(rows.map((r) => r.state)).toEqual(['scored', 'scored']);
  for (const r of rows) expect(Math.abs(r.score! - expected.wasm!.scores[r.index]!), `document ${r.index}`).toBeLessThanOrEqual(EXACT);
});

// Rows out of view skip rendering (content-visibility: auto, for long lists): they must still be in the
// accessibility tree, every one, with their text.
test('a long list: every candidate and every ranked row stays in the accessibility tree', async ({ page }) => {
  await page.goto('/');
  await loadTinyModel(page, 'wasm');
  await page.locator('#query-text').fill(QUERY);
  await addCandidates(
    page,
    Array.from({ length: 120 }, (_, i) => `Document ${i}: ${'colour bars and a clock on a test card, '.repeat(6)}`),
    [],
  );
  const rows = await rerankAndRead(page, 120_000);
  expect(rows.filter((r) => r.state === 'scored')).toHaveLength(120);
  const items = (snapshot: string) => snapshot.split('\n').filter((l) => /^\s*- listitem/.test(l));
  const ranked = await page.getByTestId('results').ariaSnapshot();
  const listed = await page.getByRole('list', { name: 'Candidates', exact: true }).ariaSnapshot();
  expect(items(ranked)).toHaveLength(120);
  expect(items(listed)).toHaveLength(120);
  const last = rows.at(-1)!.index;
  expect(ranked).toContain(`Document ${last}:`);
  expect(
    await page
      .locator('[data-testid="results"] > li')
      .last()
      .evaluate((el) => getComputedStyle(el).contentVisibility),
  ).toBe('auto');
});

test('after a reload the model loads from IndexedDB with no weight request, and the typed state is kept', async ({ page }) => {
  await page.goto('/');
  await loadTinyModel(page, 'wasm');
  await page.locator('#query-text').fill(QUERY);
  await addCandidates(page, TEXTS, []);
  await expect.poll(() => savedState(page)).toMatchObject({ queryText: QUERY, candidates: TEXTS.map((text) => ({ text })) });
  const requested: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.includes('/models/')) requested.push(path.split('/').pop()!);
  });
  await page.reload();
  await expect(page.locator('#query-text')).toHaveValue(QUERY);
  await expect(page.locator('ol.list > li')).toHaveCount(2);
  await loadTinyModel(page, 'wasm');
  // Only the manifest is asked for (to see whether a newer version exists); no weight or graph file.
  expect(requested.filter((f) => f !== 'manifest.json')).toEqual([]);
  const rows = await rerankAndRead(page);
  expect(rows).toHaveLength(2);
});

test('screenshots of the three regions at desktop and phone widths', async ({ page }, info) => {
  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto('/');
  await loadTinyModel(page, 'wasm');
  await page.locator('#query-text').fill(QUERY);
  await addCandidates(page, TEXTS, [media.png, media.jpeg]);
  await rerankAndRead(page);
  for (const [width, height, name] of [
    [1440, 1000, 'desktop'],
    [360, 800, 'phone'],
  ] as const) {
    await page.setViewportSize({ width, height });
    await page.screenshot({ path: info.outputPath(`${name}-page.png`), fullPage: true });
    for (const region of ['model', 'query', 'candidates', 'results']) {
      const section = page.locator(`section.${region}`);
      await section.screenshot({ path: info.outputPath(`${name}-${region}.png`) });
      // Nothing may stick out sideways on a phone.
      const box = await section.boundingBox();
      expect(box!.x + box!.width, `${region} fits ${width}px`).toBeLessThanOrEqual(width);
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow, `no horizontal scrolling at ${width}px`).toBeLessThanOrEqual(0);
  }
});

test('keyboard only: load the model, add candidates and rerank without a mouse', async ({ page }) => {
  await page.goto('/');
  await expect(page.locator('#load-model')).toBeEnabled();
  // Tab from the top of the page to "Load model": every control on the way is reachable.
  const reached: string[] = [];
  for (let i = 0; i < 40 && (await page.evaluate(() => document.activeElement?.id)) !== 'load-model'; i++) {
    await page.keyboard.press('Tab');
    const name = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el
        ? `${el.tagName.toLowerCase()}#${el.id}:${el.getAttribute('aria-label') ?? (el as HTMLInputElement).labels?.[0]?.textContent?.trim() ?? el.textContent?.trim() ?? ''}`
        : '';
    });
    reached.push(name);
  }
  expect(await page.evaluate(() => document.activeElement?.id), `focus path: ${reached.join(' → ')}`).toBe('load-model');
  // Every focusable control on the way has a name a screen reader can read.
  for (const r of reached) expect(r.split(':').slice(1).join(':').trim(), r).not.toBe('');
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('active-model')).toBeVisible({ timeout: 120_000 });

  await page.locator('#candidate-lines').focus();
  await page.keyboard.type('first line');
  await page.keyboard.press('Enter');
  await page.keyboard.type('second line');
  await page.keyboard.press('Control+Enter');
  await expect(page.locator('ol.list > li')).toHaveCount(2);
  await page.locator('#query-text').focus();
  await page.keyboard.type('a query');
  await page.keyboard.press('Control+Enter');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.locator('[data-testid="results"] > li[data-state="scored"]')).toHaveCount(2);
  // The result is announced in the live region for screen readers.
  await expect(page.locator('[role="status"][aria-live="polite"]').first()).toContainText(/^Ranked 2 candidates, best \d+\.\d/);
});

// The WASM load writes tiny-int8's ORT-format graphs straight into onnxruntime's heap from the store's
// reader. A stored graph that lost a chunk must fail that load with the store's reason (not a crash, not
// NaN scores), and the runtime must stay sound: after Delete and a fresh download the model scores.
test('a stored graph missing a chunk fails its load clearly; after Delete the model downloads again and scores', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/');
  await loadTinyModel(page, 'wasm');
  const removed = await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('sift-models');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const keys = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const r = db
        .transaction('files')
        .objectStore('files')
        .getAllKeys(IDBKeyRange.bound('chunk/sift-tiny-int8/', 'chunk/sift-tiny-int8/\uffff'));
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const doomed = keys.map(String).filter((k) => k.endsWith('/decoder.ort#0'));
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('files', 'readwrite');
      for (const k of doomed) tx.objectStore('files').delete(k);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    return doomed;
  });
  expect(removed).toHaveLength(1);
  await page.reload();
  await page.locator('#backend').selectOption('wasm');
  await page.getByRole('radio', { name: /Built-in tiny model/ }).check();
  await page.locator('#load-model').click();
  await expect(page.getByTestId('load-error')).toContainText(/decoder\.ort, chunk 0 is missing\).*delete it and download it again/, {
    timeout: 60_000,
  });
  await page
    .getByRole('button', { name: /Delete .*tiny/i })
    .first()
    .click();
  await page
    .getByRole('dialog')
    .getByRole('button', { name: /^Delete/ })
    .click();
  await loadTinyModel(page, 'wasm');
  await expect(page.getByTestId('active-model')).toHaveAttribute('data-graphs', 'in-place');
  await page.locator('#query-text').fill(QUERY);
  await addCandidates(page, TEXTS.slice(0, 2), []);
  const rows = await rerankAndRead(page);
  expect(rows.map((r) => r.state)).toEqual(['scored', 'scored']);
  for (const r of rows) expect(Number.isFinite(r.score)).toBe(true);
});
