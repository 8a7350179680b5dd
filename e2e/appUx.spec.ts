// What a first visit, a reload and a phone run into (issue 18, points 7-10), in real Chromium with the
// built-in tiny model: confirmations before deleting a model or the candidate list, results brought
// into view and announced, score bars comparable across rows, and the smaller troubles of the Model
// and Results panels (names, buttons, storage, progress, banners, focus, times, errors, phone layout,
// console warnings).
import { expect, test, type Page } from '@playwright/test';
import { encodePng, patternImage, toRgba } from '../test/media/fixtures.ts';
import { addCandidates, loadTinyModel, rerankAndRead, savedState } from './helpers/appPage.ts';

const QUERY = 'A test card with coloured bars';
const TEXTS = ['A television test pattern with colour bars.', 'A recipe for lemon cake.', 'Notes on tax law.'];

function pngFile(name: string, width: number, height: number) {
  const p = patternImage(width, height);
  return { name, mimeType: 'image/png', buffer: Buffer.from(encodePng(p.width, p.height, toRgba(p))) };
}

/** The live region's text (the page-wide polite status that screen readers read). */
const liveText = (page: Page) => page.locator('.live[aria-live="polite"]');

/** Whether `selector`'s box lies entirely inside the viewport. */
async function inViewport(page: Page, selector: string): Promise<{ inside: boolean; box: unknown; viewport: unknown }> {
  const box = await page.locator(selector).first().boundingBox();
  const viewport = page.viewportSize()!;
  const inside = !!box && box.y >= 0 && box.x >= 0 && box.y + box.height <= viewport.height && box.x + box.width <= viewport.width;
  return { inside, box, viewport };
}

test.describe('point 7: deleting asks first', () => {
  test('Delete opens a dialog naming the model and its size; Cancel keeps it, Delete removes it and the panel says so', async ({
    page,
  }) => {
    await page.goto('/');
    await loadTinyModel(page, 'wasm');
    const cachedItem = page.locator('.cached li');
    await expect(cachedItem).toHaveCount(1);
    const size = /\d+(\.\d)? MB/.exec((await cachedItem.textContent())!)?.[0];
    expect(size, "the cached model's size").toBeDefined();

    const deleteButton = page.getByRole('button', { name: /^Delete .*tiny/i });
    await deleteButton.click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog).toHaveAccessibleName(/Delete .*tiny.*\?/i);
    await expect(dialog).toContainText(size!);
    // Focus is inside the dialog, on the harmless choice.
    await expect(dialog.getByRole('button', { name: /Keep/ })).toBeFocused();
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(deleteButton).toBeFocused();
    await expect(cachedItem).toHaveCount(1);
    await expect(page.getByTestId('active-model')).toBeVisible();

    await deleteButton.click();
    await dialog.getByRole('button', { name: /Keep/ }).click();
    await expect(dialog).toBeHidden();
    await expect(cachedItem).toHaveCount(1);

    await deleteButton.click();
    await dialog.getByRole('button', { name: /^Delete/ }).click();
    await expect(dialog).toBeHidden();
    await expect(cachedItem).toHaveCount(0);
    await expect(page.getByTestId('active-model')).toHaveCount(0);
    const model = page.locator('section.model');
    await expect(model).not.toContainText('is ready');
    await expect(model).toContainText(/Deleted .*tiny.*No model is loaded/i);
    await expect(page.locator('#rerank-blockers')).toContainText('Load a model first');
    // Focus does not fall to the page: it goes to "Load model".
    await expect(page.locator('#load-model')).toBeFocused();
  });

  test('Remove all asks first, saying how many; Cancel keeps the list', async ({ page }) => {
    await page.goto('/');
    await addCandidates(page, TEXTS, []);
    await page.locator('#candidate-files').setInputFiles([pngFile('a.png', 40, 30)]);
    await expect(page.locator('ol.list > li')).toHaveCount(4);
    await page.getByRole('button', { name: 'Remove all' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog).toBeVisible();
    await expect(dialog).toHaveAccessibleName(/Remove all 4 candidates\?/);
    await expect(dialog).toContainText(/1 file/);
    await dialog.getByRole('button', { name: /Keep/ }).click();
    await expect(page.locator('ol.list > li')).toHaveCount(4);
    await page.getByRole('button', { name: 'Remove all' }).click();
    await dialog.getByRole('button', { name: /^Remove/ }).click();
    await expect(page.locator('ol.list > li')).toHaveCount(0);
    await expect(page.locator('#candidate-lines')).toBeFocused();
  });
});

test.describe('point 8: results come into view and are announced', () => {
  for (const [width, height, how] of [
    [1280, 900, 'button'],
    [390, 844, 'ctrl-enter'],
  ] as const) {
    test(`at ${width}×${height} (${how === 'button' ? 'Rerank button' : 'Ctrl+Enter'}) the ranked list is on screen and the live region says so`, async ({
      page,
    }) => {
      await page.setViewportSize({ width, height });
      await page.goto('/');
      await loadTinyModel(page, 'wasm');
      await addCandidates(page, TEXTS, []);
      await page.locator('#query-text').fill(QUERY);
      if (how === 'button') {
        await page.locator('#rerank').click();
      } else {
        await page.locator('#query-text').focus();
        await page.keyboard.press('Control+Enter');
      }
      await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
      await expect
        .poll(() => inViewport(page, '#results-h').then((r) => r.inside), { message: 'the Results heading is on screen' })
        .toBe(true);
      await expect
        .poll(() => inViewport(page, '[data-testid="results"] > li').then((r) => r.inside), { message: 'the best row is on screen' })
        .toBe(true);
      const best = (await page.locator('[data-testid="results"] > li .score').first().textContent())!.trim();
      await expect(liveText(page)).toHaveText(new RegExp(`^Ranked 3 candidates, best ${best.replace('.', '\\.')}\\b`));
    });
  }

  test('with reduced motion the jump is instant', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/');
    await loadTinyModel(page, 'wasm');
    await addCandidates(page, TEXTS.slice(0, 2), []);
    await page.locator('#query-text').fill(QUERY);
    await page.locator('#query-text').focus();
    expect((await inViewport(page, '#results-h')).inside, 'the Results heading starts off screen').toBe(false);
    await page.keyboard.press('Control+Enter');
    // No smooth scrolling: the heading is on screen at once, not after an animation.
    expect((await inViewport(page, '#results-h')).inside).toBe(true);
    // Ctrl+Enter leaves focus in the query field (the user may go on typing).
    await expect(page.locator('#query-text')).toBeFocused();
  });
});

test('point 9: score bars start at the same x and have the same full width in rows with and without a thumbnail', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 2000 });
  await page.goto('/');
  await loadTinyModel(page, 'wasm');
  await page.locator('#query-text').fill(QUERY);
  await addCandidates(page, TEXTS, []);
  await page.locator('#candidate-files').setInputFiles([pngFile('wide.png', 96, 64), pngFile('tall.png', 64, 96)]);
  const rows = await rerankAndRead(page);
  expect(rows.map((r) => r.state)).toEqual(rows.map(() => 'scored'));
  const bars = await page.locator('[data-testid="results"] > li').evaluateAll((lis) =>
    lis.map((li) => {
      const track = li.querySelector('.bar')!.getBoundingClientRect();
      const fill = li.querySelector('.bar .fill')!.getBoundingClientRect();
      return {
        thumb: !!li.querySelector('.thumb'),
        score: Number((li as HTMLElement).dataset.score),
        x: track.x,
        width: track.width,
        end: fill.right,
      };
    }),
  );
  expect(bars.some((b) => b.thumb) && bars.some((b) => !b.thumb), 'rows with and without a thumbnail').toBe(true);
  for (const b of bars) {
    expect(Math.abs(b.x - bars[0].x), `bar start, ${JSON.stringify(b)}`).toBeLessThanOrEqual(0.5);
    expect(Math.abs(b.width - bars[0].width), `bar width, ${JSON.stringify(b)}`).toBeLessThanOrEqual(0.5);
    expect(Math.abs(b.end - (b.x + b.score * b.width)), `fill ends at its score, ${JSON.stringify(b)}`).toBeLessThanOrEqual(1);
  }
  // Sorted best first, so each bar ends no further right than the one above it.
  for (let i = 1; i < bars.length; i++) expect(bars[i].end).toBeLessThanOrEqual(bars[i - 1].end + 0.5);
});

test.describe('point 10: the smaller troubles', () => {
  test('the model is named as the user picked it (variant as detail), and no two buttons read just "Load"', async ({ page }) => {
    await page.goto('/');
    await loadTinyModel(page, 'wasm');
    await expect(page.getByTestId('active-model')).toContainText('Built-in tiny model');
    await expect(page.getByTestId('active-model')).toContainText('sift-tiny-int8');
    await expect(page.getByTestId('loaded-note')).toContainText(/^Built-in tiny model .*is ready/);
    await expect(page.locator('.cached li .name')).toHaveText('Built-in tiny model');
    const loadTexts = await page
      .locator('section.model button')
      .evaluateAll((bs) => bs.map((b) => b.textContent!.trim()).filter((t) => /^load\b/i.test(t)));
    expect(loadTexts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(loadTexts).size, loadTexts.join(' | ')).toBe(loadTexts.length);
  });

  test('the storage line counts the cached model', async ({ page }) => {
    await page.goto('/');
    await loadTinyModel(page, 'wasm');
    const cached = /\d+(\.\d)? MB/.exec((await page.locator('.cached li').textContent())!)![0];
    const storage = page.getByTestId('storage');
    await expect(storage).toContainText(`Models stored here: ${cached}`);
    const used = /([\d.]+) (B|KB|MB|GB) used/.exec((await storage.textContent())!);
    expect(used, 'the line says how much is used').not.toBeNull();
    const scale = { B: 1, KB: 1e3, MB: 1e6, GB: 1e9 } as const;
    const bytes = (s: string) => Number(s.split(' ')[0]) * scale[s.split(' ')[1] as keyof typeof scale];
    expect(bytes(`${used![1]} ${used![2]}`)).toBeGreaterThanOrEqual(bytes(cached));
  });

  test('while compiling the progress bar is indeterminate and says what it is doing', async ({ page }) => {
    await page.goto('/');
    await page.locator('#backend').selectOption('wasm');
    await page.locator('#load-model').click();
    const text = page.getByTestId('load-progress').locator('p');
    await expect(text).toContainText('Compiling', { timeout: 60_000 });
    const bar = page.getByTestId('load-progress').getByRole('progressbar');
    expect(await bar.getAttribute('aria-valuenow')).toBeNull();
    await expect(bar).toHaveAttribute('aria-valuetext', /compiling/i);
    await expect(bar).toHaveAccessibleName(/loading/i);
    // Something visible moves: the fill is wider than nothing.
    expect((await bar.locator('.fill').boundingBox())!.width).toBeGreaterThan(10);
  });

  test('the "files were removed" banner goes once the files are added again', async ({ page }) => {
    await page.goto('/');
    await addCandidates(page, TEXTS.slice(0, 1), []);
    await page.locator('#candidate-files').setInputFiles([pngFile('a.png', 40, 30)]);
    await expect(page.locator('ol.list > li')).toHaveCount(2);
    // The debounced save has the image as a file that cannot come back.
    await expect
      .poll(async () => (await savedState(page))?.candidates)
      .toEqual([{ text: TEXTS[0] }, expect.objectContaining({ lostFile: 'image' })]);
    await page.reload();
    const banner = page.locator('.banner', { hasText: 'Restored from your last visit' });
    await expect(banner).toBeVisible();
    await page.locator('#candidate-files').setInputFiles([pngFile('a.png', 40, 30)]);
    await expect(page.locator('ol.list > li')).toHaveCount(2);
    await expect(banner).toHaveCount(0);
  });

  test('focus goes to Cancel while loading and to the query field when the model is ready', async ({ page }) => {
    await page.goto('/');
    await page.locator('#backend').selectOption('wasm');
    await expect(page.locator('#load-model')).toBeEnabled();
    await page.locator('#load-model').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('button', { name: 'Cancel loading' })).toBeFocused();
    await expect(page.getByTestId('active-model')).toBeVisible({ timeout: 120_000 });
    await expect(page.locator('#query-text')).toBeFocused();
  });

  test('per-candidate times say what they measure', async ({ page }) => {
    await page.goto('/');
    await loadTinyModel(page, 'wasm');
    await page.locator('#query-text').fill(QUERY);
    await addCandidates(page, TEXTS, []);
    await rerankAndRead(page);
    const times = page.locator('[data-testid="results"] > li .time');
    await expect(times).toHaveCount(3);
    for (const t of await times.allTextContents()) expect(t).toMatch(/^\d+ ms to score$|^\d+\.\d s to score$/);
    await expect(page.getByTestId('run-status')).toContainText(/overlap/);
  });

  test('a failed row says what failed in plain words', async ({ page }) => {
    await page.goto('/');
    await loadTinyModel(page, 'wasm');
    await page.locator('#query-text').fill(QUERY);
    await addCandidates(page, TEXTS.slice(0, 1), []);
    await page
      .locator('#candidate-files')
      .setInputFiles([{ name: 'notes.png', mimeType: 'image/png', buffer: Buffer.from('just some text, not a picture') }]);
    const rows = await rerankAndRead(page);
    const failed = rows.find((r) => r.state === 'failed');
    expect(failed, JSON.stringify(rows)).toBeDefined();
    expect(failed!.error).not.toMatch(/\b(image|video) \d+:/);
    expect(failed!.error).toMatch(/^Could not use this candidate's image \(notes\.png\): \S/);
  });

  test('the "Run on" select fits a 390 px phone, and its choice can be read whole', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto('/');
    const select = page.locator('#backend');
    const fit = await select.evaluate((el: HTMLSelectElement) => {
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = `${cs.fontWeight} ${cs.fontSize} ${cs.fontFamily}`;
      // Room for the text: the box less its padding, borders and the arrow (about 1.5em).
      const room =
        r.width -
        parseFloat(cs.paddingLeft) -
        parseFloat(cs.paddingRight) -
        parseFloat(cs.borderLeftWidth) -
        parseFloat(cs.borderRightWidth) -
        1.5 * parseFloat(cs.fontSize);
      const widest = Math.max(...[...el.options].map((o) => ctx.measureText(o.text).width));
      return { left: r.left, right: r.right, room, widest, options: [...el.options].map((o) => o.text) };
    });
    expect(fit.left).toBeGreaterThanOrEqual(0);
    expect(fit.right).toBeLessThanOrEqual(390);
    expect(fit.widest, JSON.stringify(fit)).toBeLessThanOrEqual(fit.room);
  });

  test('no Svelte assignment_value_stale warning while a model loads', async ({ page }) => {
    const warnings: string[] = [];
    page.on('console', (m) => {
      if (/svelte|assignment_value_stale/i.test(m.text())) warnings.push(m.text());
    });
    await page.goto('/');
    await loadTinyModel(page, 'wasm');
    expect(warnings).toEqual([]);
  });
});
