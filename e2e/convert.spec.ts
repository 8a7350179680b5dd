// The official-checkpoint path in the browser: the worker streams a safetensors checkpoint (the
// generated tiny one, official names and layout) over HTTP Range requests, converts it (on WASM: int8
// linear layers from 4-bit blocks, as prepare-tiny makes tiny-int8),
// stores it in IndexedDB and scores — the same scores as the CLI's conversion of the same checkpoint.
import { expect, test } from '@playwright/test';
import { measure } from './helpers/measure.ts';

type Api = {
  convertAndScore(
    url: string,
    q: string,
    t: string[],
  ): Promise<{ info: { id: string; state: string; bytes: number }; scores: number[]; phases: string[] }>;
  process(q: string, d: { text: string }[]): Promise<{ scores: number[] }>;
};

test('converts a safetensors checkpoint in the worker over Range requests and scores like the CLI conversion', async ({ page }) => {
  test.setTimeout(300_000);
  const ranges: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/__test/checkpoint/')) ranges.push(`${r.url().split('/').pop()} ${r.headers()['range'] ?? 'whole'}`);
  });
  await page.goto('/e2e/pages/reranker.html');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  const texts = ['a dog on a beach', 'a cat on a sofa', 'a recipe for cake'];
  const here = await page.evaluate(
    ([t]) =>
      (window as unknown as { rerankerTest: Api }).rerankerTest.convertAndScore(
        new URL('/__test/checkpoint/', location.href).href,
        'dogs',
        t,
      ),
    [texts] as const,
  );
  // The built-in tiny model on WASM is the CLI's int8 conversion of the very same checkpoint (prepare-tiny).
  const cli = await page.evaluate(
    ([t]) =>
      (window as unknown as { rerankerTest: Api }).rerankerTest.process(
        'dogs',
        t.map((text) => ({ text })),
      ),
    [texts] as const,
  );
  measure(
    `converted in the browser: ${(here.info.bytes / 1e6).toFixed(1)} MB; phases ${here.phases.join(' → ')}; ${ranges.length} checkpoint requests`,
  );
  expect(here.info.state).toBe('ready');
  expect(here.phases).toContain('convert');
  expect(ranges.some((r) => r.startsWith('model.safetensors bytes='))).toBe(true);
  for (let i = 0; i < texts.length; i++) expect(Math.abs(here.scores[i] - cli.scores[i]), texts[i]).toBeLessThan(1e-6);
});
