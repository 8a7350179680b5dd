// The PWA: after one visit (service worker installed, model in IndexedDB) the production build opens
// and scores with the network off, still cross-origin isolated (COOP/COEP kept in the cached responses).
import { expect, test } from '@playwright/test';
import { PREVIEW_URL } from '../playwright.config.ts';
import { addCandidates, loadTinyModel, rerankAndRead } from './helpers/appPage.ts';

test('after one visit with a cached model, the app loads and scores offline', async ({ browser }) => {
  test.setTimeout(180_000);
  const context = await browser.newContext({ baseURL: PREVIEW_URL });
  try {
    const page = await context.newPage();
    await page.goto('/');
    // Installed and activated means the app shell and the ort runtime are precached.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await loadTinyModel(page, 'wasm');

    await context.setOffline(true);
    const failed: string[] = [];
    page.on('requestfailed', (r) => failed.push(r.url()));
    await page.reload();
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    await loadTinyModel(page, 'wasm');
    // The production build's factory wrapper (ort/sift-ort-factory.mjs) came from the precache: graphs in place.
    await expect(page.getByTestId('active-model')).toHaveAttribute('data-graphs', 'in-place');
    await page.locator('#query-text').fill('offline query');
    await addCandidates(page, ['first candidate', 'second candidate'], []);
    const rows = await rerankAndRead(page);
    expect(rows.map((r) => r.state)).toEqual(['scored', 'scored']);
    for (const r of rows) expect(r.score).toBeGreaterThan(0);
    // Only the manifest check may fail offline (the worker then uses the stored copy).
    expect(failed.filter((u) => !u.endsWith('/manifest.json'))).toEqual([]);
  } finally {
    await context.close();
  }
});
