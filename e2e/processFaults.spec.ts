// Process faults through the real app: the model worker killed mid-scoring (the run fails with the
// reason, a new worker starts and reloads the model from IndexedDB, the next Rerank works), and a lost
// WebGPU device (the worker falls back to WASM and finishes the request with the same scores).
import { expect, test, type Page } from '@playwright/test';
import { addCandidates, loadTinyModel, rerankAndRead } from './helpers/appPage.ts';
import { measure } from './helpers/measure.ts';

type Hooks = { __sift: { ui: { client: { terminate(reason: string): void; debugLoseGpuDevice(): Promise<boolean> } } } };

const lines = (n: number) =>
  Array.from(
    { length: n },
    (_, i) => `candidate number ${i + 1} about ${i % 2 ? 'cats' : 'dogs'}: ${'a long sentence of filler words '.repeat(8)}`,
  );

function watchWeightRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.includes('/models/') && !path.endsWith('/manifest.json')) seen.push(path);
  });
  return seen;
}

test('the worker killed mid-scoring: the run fails clearly, the worker restarts with the model, Rerank works again', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/?test-hooks');
  await loadTinyModel(page, 'wasm');
  await page.locator('#query-text').fill('dogs');
  await addCandidates(page, lines(400), []);
  const weights = watchWeightRequests(page);
  // Press Rerank and kill the worker as soon as the first score is shown, in one step in the page.
  // (A MutationObserver: its callback runs right after the DOM change that shows the first score.)
  const scoredAtKill = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const scored = () => document.querySelectorAll('[data-testid="results"] > li[data-state="scored"]').length;
        const observer = new MutationObserver(() => {
          if (scored() === 0) return;
          observer.disconnect();
          (window as unknown as Hooks).__sift.ui.client.terminate('killed by the test');
          resolve(scored());
        });
        observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
        document.getElementById('rerank')!.click();
      }),
  );
  measure(`killed with ${scoredAtKill} of 400 scored`);
  expect(scoredAtKill).toBeLessThan(400);

  const status = page.getByTestId('run-status');
  await expect(status).toHaveAttribute('data-status', 'failed');
  await expect(status.getByRole('alert')).toContainText('The model worker stopped while scoring (killed by the test)');
  await expect(status.getByRole('alert')).toContainText('restarted');
  // No half state: rows that were not scored say so, and none is left "waiting".
  await expect(page.locator('[data-testid="results"] > li[data-state="pending"]')).toHaveCount(0);
  // The new worker reloads the model by itself, from IndexedDB.
  await expect(page.getByTestId('active-model')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('fatal')).toHaveCount(0);
  const rows = await rerankAndRead(page);
  expect(rows).toHaveLength(400);
  expect(rows.every((r) => r.state === 'scored')).toBe(true);
  expect(weights, 'the model came back from IndexedDB').toEqual([]);
});

test('a lost WebGPU device: the request falls back to WASM and finishes with the same scores', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/?test-hooks');
  expect(await loadTinyModel(page, 'webgpu')).toContain('WebGPU');
  await page.locator('#query-text').fill('dogs');
  await addCandidates(page, lines(3), []);
  const before = await rerankAndRead(page, 240_000);

  expect(await page.evaluate(() => (window as unknown as Hooks).__sift.ui.client.debugLoseGpuDevice())).toBe(true);
  const after = await rerankAndRead(page, 240_000);
  expect(after.map((r) => r.state)).toEqual(['scored', 'scored', 'scored']);
  await expect(page.getByTestId('run-status')).toContainText('WASM');
  const byIndex = new Map(before.map((r) => [r.index, r.score!]));
  for (const r of after) expect(Math.abs(r.score! - byIndex.get(r.index)!), `candidate ${r.index}`).toBeLessThan(1e-4);
  // The Model panel says why the backend changed.
  await page.getByRole('button', { name: 'Load model' }).waitFor();
  await expect(page.locator('#backend-hint')).toContainText(/device lost/i);
});
