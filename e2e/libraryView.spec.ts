// The app's Library view in real Chromium, driven as a user does: the two views' tabs by keyboard, a
// generated folder picked through the folder input (showDirectoryPicker cannot be driven headless: its
// OS dialog has no automation hook, so the page is made to lack it and the app falls back to its
// `webkitdirectory` input, as in browsers without it), indexing watched to the end with a pause and a
// resume in between, the broken file listed, a text search by Enter streaming a grid of cards with
// thumbnails and both numbers in the reranker's order, a file made unreadable listed with its reason, a
// video result opened by keyboard playing from its segment's start, and clearing after a confirmation.
// The built-in tiny models have random weights: which file comes first means nothing here.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { UI_STATE_KEY } from '../src/ui/persist.ts';

test.describe.configure({ mode: 'serial' });

const ROOT = new URL('..', import.meta.url).pathname;

/** Images in the folder: enough that indexing takes a few seconds, so it can be paused midway. */
const IMAGES = 30;
/** 24 s: indexed by overlapping 10 s segments (the default), so its results carry a start. */
const VIDEO_SECONDS = 24;

let dir: string;
let folder: string;
let page: Page;

function ffmpeg(...args: string[]) {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args]);
}

function makeFolder(at: string) {
  mkdirSync(join(at, 'photos'), { recursive: true });
  ffmpeg('-f', 'lavfi', '-i', 'testsrc=s=256x192:r=1', '-frames:v', String(IMAGES), join(at, 'photos/shot%02d.png'));
  ffmpeg('-f', 'lavfi', '-i', 'color=c=red:s=96x64', '-frames:v', '1', join(at, 'red.jpg'));
  writeFileSync(join(at, 'notes.md'), '# Notes\n\nRed things, and a trip to the sea.\n');
  ffmpeg(
    ...['-f', 'lavfi', '-i', `testsrc2=s=96x64:r=4:d=${VIDEO_SECONDS}`],
    ...['-pix_fmt', 'yuv420p', '-c:v', 'libvpx-vp9', '-b:v', '200k', '-g', '8', join(at, 'clip.webm')],
  );
  writeFileSync(join(at, 'broken.jpg'), 'this is not a JPEG');
}

const status = () => page.getByTestId('library-status');
const indexPanel = () => page.getByTestId('library-index');

test.beforeAll(async ({ browser }) => {
  dir = mkdtempSync(join(tmpdir(), 'sift-library-view-'));
  folder = join(dir, 'trip');
  makeFolder(folder);
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.log(`pageerror: ${e.message}`));
  // The folder picker cannot be driven headless: without it the app offers the folder input.
  await page.addInitScript(() => {
    delete (Window.prototype as { showDirectoryPicker?: unknown }).showDirectoryPicker;
    delete (window as { showDirectoryPicker?: unknown }).showDirectoryPicker;
  });
  await page.goto('/');
});

test.afterAll(async () => {
  await page?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the views are a tablist: arrows, Home and End move between them; the choice survives a reload', async () => {
  const rerankTab = page.getByRole('tab', { name: 'Rerank a list' });
  const libraryTab = page.getByRole('tab', { name: 'Library' });
  await expect(rerankTab).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#view-library')).toBeHidden();
  await rerankTab.focus();
  await page.keyboard.press('ArrowRight');
  await expect(libraryTab).toBeFocused();
  await expect(libraryTab).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#view-rerank')).toBeHidden();
  await expect(page.getByRole('tabpanel', { name: 'Library' })).toBeVisible();
  await page.keyboard.press('ArrowLeft');
  await expect(rerankTab).toBeFocused();
  await expect(page.locator('#load-model')).toBeVisible();
  const insideTab = page.getByRole('tab', { name: 'Inside a video' });
  await page.keyboard.press('End');
  await expect(insideTab).toBeFocused();
  await page.keyboard.press('Home');
  await expect(rerankTab).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowLeft'); // wraps around
  await expect(insideTab).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowLeft');
  await expect(libraryTab).toHaveAttribute('aria-selected', 'true');
  // Only the selected tab is in the Tab order.
  await expect(rerankTab).toHaveAttribute('tabindex', '-1');

  await expect.poll(() => page.evaluate((k) => JSON.parse(localStorage.getItem(k) ?? '{}').view, UI_STATE_KEY)).toBe('library');
  await page.reload();
  await expect(page.getByRole('tab', { name: 'Library' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.locator('#library-folder-input')).toBeAttached();
});

test('a picked folder is indexed with progress; pause keeps what is done and resume indexes only the rest; failures listed', async () => {
  test.setTimeout(180_000);
  await page.getByRole('tab', { name: 'Library' }).click(); // already shown after the first test
  // WASM: SwiftShader's WebGPU is far slower here.
  await page.getByText('Models and backend').click();
  await page.locator('#library-backend').selectOption('wasm');
  await page.locator('#library-apply-models').click();
  await expect(page.locator('#library-apply-models')).toHaveCount(0);
  // The embedding model loads (to tell whether the index must be rebuilt); the folder input waits.
  await expect(page.locator('#library-folder-input')).toBeEnabled({ timeout: 120_000 });

  const started = Date.now();
  await page.locator('#library-folder-input').setInputFiles(folder);
  await expect(page.getByTestId('library-folder-name')).toContainText('trip');
  const progress = page.getByTestId('library-progress');
  await expect(progress).toHaveAttribute('data-done', /^[2-9]|\d\d/, { timeout: 120_000 });
  await expect(progress).toContainText(/items\/s/);
  const total = Number(await progress.getAttribute('data-total'));
  expect(total).toBe(IMAGES + 4); // images, red.jpg, notes.md, clip.webm, broken.jpg
  const atPause = await progress.getAttribute('data-done');
  await page.locator('#library-pause').click();
  await expect(indexPanel()).toHaveAttribute('data-state', 'paused');
  // The pressed button went away: focus is on the one that took its place.
  await expect(page.locator('#library-resume')).toBeFocused();
  const stored = Number(await status().getAttribute('data-files'));
  console.log(`pause pressed at ${atPause} of ${total} items; paused with ${stored} files stored of ${total - 1} indexable`);
  expect(stored).toBeGreaterThanOrEqual(1);
  expect(stored).toBeLessThan(total - 1);

  await page.keyboard.press('Enter'); // Resume
  await expect(indexPanel()).toHaveAttribute('data-state', 'done', { timeout: 150_000 });
  console.log(`indexed ${total} items with a pause in ${Date.now() - started} ms`);
  const summary = page.getByTestId('library-summary');
  await expect(summary).toContainText(`${stored} unchanged`);
  await expect(summary).toContainText(`${total - 1 - stored} added`);
  await expect(page.getByTestId('library-failures').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('library-failures').locator('li')).toHaveAttribute('data-path', 'broken.jpg');
  await expect(status()).toHaveAttribute('data-files', String(total - 1));
  // A 24 s video in 10 s segments: more entries than files.
  expect(Number(await status().getAttribute('data-entries'))).toBeGreaterThan(total - 1);
  await expect(page.locator('[role="status"].live')).toContainText(/Indexing done/);
});

test('Enter searches: a grid of cards with thumbnails and both numbers, in the reranker’s order; an unreadable file listed', async () => {
  test.setTimeout(120_000);
  rmSync(join(folder, 'red.jpg')); // the picked File can no longer be read
  const query = page.getByLabel('Search the library');
  await query.focus();
  await page.keyboard.type('red things by the sea');
  const started = Date.now();
  await page.keyboard.press('Enter');
  const searchStatus = page.getByTestId('library-search-status');
  await expect(searchStatus).toHaveAttribute('data-state', 'done', { timeout: 100_000 });
  console.log(`searched and reranked in ${Date.now() - started} ms`);
  await expect(query).toBeFocused();

  const cards = page.getByTestId('library-results').locator('li.card');
  const shown = await cards.evaluateAll((lis) =>
    lis.map((li) => {
      const el = li as HTMLElement;
      const img = el.querySelector('img');
      return {
        path: el.dataset.path!,
        kind: el.dataset.kind!,
        score: Number(el.dataset.score),
        similarity: Number(el.dataset.similarity),
        rank: Number(el.dataset.rank),
        thumb: img?.src.startsWith('blob:') ?? false,
        text: el.textContent ?? '',
      };
    }),
  );
  expect(shown.length).toBeGreaterThanOrEqual(10);
  expect(shown.map((c) => c.rank)).toEqual(shown.map((_, i) => i + 1));
  for (let i = 1; i < shown.length; i++) expect(shown[i - 1].score).toBeGreaterThanOrEqual(shown[i].score);
  for (const c of shown) {
    expect(c.score).toBeGreaterThanOrEqual(0);
    expect(c.similarity).toBeGreaterThanOrEqual(-1);
    expect(c.text).toMatch(/score \d+\.\d/);
    expect(c.text).toMatch(/similarity -?\d\.\d{3}/);
    expect(c.thumb, `${c.path} has a thumbnail`).toBe(c.kind !== 'text');
  }
  // The thumbnails in view are decoded (the others load lazily as they scroll in).
  const firstThumb = cards.locator('img').first();
  await firstThumb.scrollIntoViewIfNeeded();
  await expect.poll(() => firstThumb.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  const unreadable = page.getByTestId('library-unreadable').locator('li');
  await expect(unreadable).toHaveCount(1);
  // SIFT_LIBRARY_SCREENSHOT=1 also writes the README's picture of the view with these results.
  if (process.env.SIFT_LIBRARY_SCREENSHOT) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await cards
      .locator('img')
      .nth(5)
      .evaluate((img: HTMLImageElement) => img.decode().catch(() => {}));
    await page.screenshot({ path: join(ROOT, 'docs/screenshot-library.png') });
  }
  await expect(unreadable).toHaveAttribute('data-path', 'red.jpg');
  await expect(unreadable.locator('.error-text')).not.toBeEmpty();
});

test('a video result opened by keyboard plays from its segment’s start; Escape closes it and focus returns', async () => {
  const card = page.locator('li.card[data-kind="video"]:not([data-start="0"])').first();
  const start = Number(await card.getAttribute('data-start'));
  expect(start).toBeGreaterThan(0);
  const open = card.getByRole('button', { name: /^Open clip\.webm \(video, / });
  await open.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  const video = dialog.locator('video');
  await expect.poll(() => video.evaluate((v: HTMLVideoElement) => v.readyState)).toBeGreaterThanOrEqual(1);
  const at = await video.evaluate((v: HTMLVideoElement) => v.currentTime);
  console.log(`segment starts at ${start} s; the video is at ${at.toFixed(2)} s`);
  expect(at).toBeGreaterThanOrEqual(start - 0.05);
  expect(at).toBeLessThan(start + 3);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(open).toBeFocused();
});

test('a video result opens in "Inside a video", where the library’s reranker finds its moments', async () => {
  const card = page.locator('li.card[data-kind="video"]').first();
  await card.getByRole('button', { name: /^Open clip\.webm \(video, / }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Moments and cover…' }).click();
  await expect(page.getByRole('tab', { name: 'Inside a video' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('heading', { name: 'clip.webm' })).toBeVisible();
  await expect(page.locator('#moments-query')).toHaveValue(/\S/); // the library's search, carried over
  await page.getByText('Window settings').click();
  await page.locator('#moments-fps').fill('0.5');
  await page.getByRole('button', { name: 'Find moments' }).click();
  // 24 s in 10-s windows every 5 s: starts 0, 5, 10, 15 (the last reaches the end).
  await expect(page.getByTestId('moments-progress')).toContainText('4 of 4 windows scored', { timeout: 120_000 });
  await expect(page.getByTestId('moments-strip').locator('.slice')).toHaveCount(4);
  await page.getByRole('tab', { name: 'Library' }).click();
});

test('clearing asks first: "Keep it" keeps the library, "Clear library" empties it', async () => {
  await page.locator('#library-clear').click();
  const dialog = page.getByRole('dialog', { name: 'Clear the library?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Keep it' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(status()).not.toHaveAttribute('data-files', '0');

  await page.locator('#library-clear').click();
  await dialog.getByRole('button', { name: 'Clear library' }).click();
  await expect(status()).toHaveAttribute('data-files', '0');
  await expect(page.getByTestId('library-results')).toHaveCount(0);
  await expect(page.getByTestId('library-folder-name')).toHaveCount(0);
  await expect(page.locator('[role="status"].live')).toContainText('The library was cleared.');
});
