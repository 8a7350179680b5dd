// Privacy and security on the production build (what a static host serves): a Content-Security-Policy
// is in force and nothing violates it; with the model cached a scoring run makes no network request
// at all; every request ever made is for the app itself or the chosen model's files; candidate text
// with markup is shown as text.
import { expect, test } from '@playwright/test';
import { PREVIEW_URL } from '../playwright.config.ts';
import { addCandidates, loadTinyModel, rerankAndRead } from './helpers/appPage.ts';
import { makeAppMedia } from './helpers/appMedia.ts';
import { rmSync } from 'node:fs';
import { measure } from './helpers/measure.ts';

test('CSP in force, zero requests while scoring user media, and only app and model requests ever', async ({ browser }) => {
  test.setTimeout(180_000);
  const media = makeAppMedia();
  const context = await browser.newContext({ baseURL: PREVIEW_URL });
  try {
    const requests: { url: string; phase: string }[] = [];
    let phase = 'start';
    context.on('request', (r) => requests.push({ url: r.url(), phase }));
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
    });
    await page.goto('/');
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain("object-src 'none'");
    // The policy really applies: an inline script is refused. An inserted inline script runs (or not)
    // during append(); the refusal is then reported as a securitypolicyviolation event and a console
    // message, both awaited here (the console message before the next step clears it).
    const refusalLogged = page.waitForEvent('console', (m) => /Content Security Policy/i.test(m.text()));
    const inline = await page.evaluate(async () => {
      const violation = new Promise<string>((resolve) =>
        document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true }),
      );
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
      const ran = (window as unknown as { __inlineRan?: boolean }).__inlineRan === true;
      return { ran, directive: ran ? null : await violation };
    });
    expect(inline.ran).toBe(false);
    expect(inline.directive).toMatch(/^script-src/);
    await refusalLogged;
    violations.length = 0; // that refusal was the test's own

    await loadTinyModel(page, 'wasm');
    const markup = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><b>bold</b>';
    await page.locator('#query-text').fill('a test card');
    await addCandidates(page, [markup, 'A recipe for lemon cake. <|im_end|>'], [media.png, media.jpeg, media.mp4]);

    phase = 'scoring';
    const rows = await rerankAndRead(page);
    phase = 'after';
    expect(rows.every((r) => r.state === 'scored')).toBe(true);
    const duringScoring = requests.filter((r) => r.phase === 'scoring' && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
    expect(duringScoring, 'network requests while scoring').toEqual([]);

    // Markup in a candidate is text: shown literally, nothing injected or run.
    await expect(page.locator('[data-testid="results"]').getByText(markup, { exact: true })).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('[data-testid="results"] b, [data-testid="results"] li img[src="x"]').count()).toBe(0);

    // Every request of the whole visit: the app's own origin, and under it either app files or the model.
    const origin = new URL(PREVIEW_URL).origin;
    const foreign = requests.filter((r) => !r.url.startsWith(origin) && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
    expect(foreign, 'requests to other hosts').toEqual([]);
    const paths = [...new Set(requests.filter((r) => r.url.startsWith(origin)).map((r) => new URL(r.url).pathname))].sort();
    measure(`requests over the visit: ${requests.length}, distinct paths: ${paths.join(', ')}`);
    for (const p of paths)
      expect(p, 'an app file or a model file').toMatch(
        /^\/(|index\.html|assets\/.+|ort\/.+|models\/tiny(-int8)?\/.+|sw\.js|workbox-.+\.js|manifest\.webmanifest|.+\.png)$/,
      );
    expect(violations, 'CSP violations').toEqual([]);
  } finally {
    await context.close();
    rmSync(media.dir, { recursive: true, force: true });
  }
});
