// Driving the app's UI the way a user does: pick a backend, press "Load model", type a query, add
// candidates, press "Rerank", and read the ranked rows back.
import { expect, type Page } from '@playwright/test';
import { UI_STATE_KEY, type SavedState } from '../../src/ui/persist.ts';

export interface ShownRow {
  index: number;
  state: string;
  score: number | null;
  error: string | null;
}

/** Loads the built-in tiny model on `backend` through the Model panel; returns the backend note shown. */
export async function loadTinyModel(page: Page, backend: 'wasm' | 'webgpu' | 'auto' = 'wasm'): Promise<string> {
  await page.locator('#backend').selectOption(backend);
  await page.getByRole('radio', { name: /Built-in tiny model/ }).check();
  await page.locator('#load-model').click();
  await expect(page.getByTestId('active-model')).toContainText('tiny', { timeout: 120_000, ignoreCase: true });
  await expect(page.getByTestId('load-error')).toHaveCount(0);
  return (await page.locator('#backend-hint').textContent()) ?? '';
}

export async function addCandidates(page: Page, lines: string[], files: string[]): Promise<void> {
  if (lines.length) {
    await page.locator('#candidate-lines').fill(lines.join('\n'));
    await page.getByRole('button', { name: 'Add lines' }).click();
  }
  if (files.length) await page.locator('#candidate-files').setInputFiles(files);
}

/** What the app has saved to localStorage for the next visit (it saves 300 ms after the last change). */
export function savedState(page: Page): Promise<Partial<SavedState> | null> {
  return page.evaluate((key) => JSON.parse(localStorage.getItem(key) ?? 'null') as Partial<SavedState> | null, UI_STATE_KEY);
}

/** Presses Rerank and waits for the run to end; returns the rows in the order shown. */
export async function rerankAndRead(page: Page, timeout = 180_000): Promise<ShownRow[]> {
  await page.locator('#rerank').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', /done|failed|cancelled/, { timeout });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  return page.locator('[data-testid="results"] > li').evaluateAll((lis) =>
    lis.map((li) => {
      const el = li as HTMLElement;
      return {
        index: Number(el.dataset.index),
        state: el.dataset.state ?? '',
        score: el.dataset.score ? Number(el.dataset.score) : null,
        error: el.querySelector('[data-testid="row-error"]')?.textContent ?? null,
      };
    }),
  );
}
