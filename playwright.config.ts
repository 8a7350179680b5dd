import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS } from './scripts/chromiumArgs.mjs';

// Real Debian Chromium (Playwright cannot download its own browsers here), headless, with the flags
// in scripts/chromiumArgs.mjs (shared with the bench).
export { CHROMIUM_ARGS };

const port = Number(process.env.SIFT_E2E_PORT ?? 4317);
export const BASE_URL = `http://127.0.0.1:${port}`;
/** The production build (`vite build` + `vite preview`): the only place the service worker runs. */
export const PREVIEW_URL = `http://127.0.0.1:${port + 1}`;

export default defineConfig({
  testDir: 'e2e',
  testMatch: '**/*.spec.ts',
  // 2-core machine: one worker, and the dev server needs the other core.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 15_000 },
  // Not test-results/ itself: Playwright empties its outputDir, and the unit tests write there first.
  outputDir: 'test-results/e2e-artifacts',
  reporter: [['list'], ['json', { outputFile: process.env.PLAYWRIGHT_JSON_OUTPUT_NAME ?? 'test-results/e2e.json' }]],
  use: {
    baseURL: BASE_URL,
    headless: true,
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS },
  },
  // SIFT_E2E_DEV_ONLY=1 starts only the dev server (a targeted run of specs that never use PREVIEW_URL;
  // the production build writes dist/, which concurrent runs would share).
  webServer: [
    {
      // The dev server sends COOP/COEP (vite.config.ts) and serves the tiny model from public/models/tiny.
      command: `node scripts/prepare-tiny.mjs && npx vite --host 127.0.0.1 --port ${port} --strictPort`,
      url: `${BASE_URL}/models/tiny/manifest.json`,
      reuseExistingServer: !process.env.CI,
      timeout: 180_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    ...(process.env.SIFT_E2E_DEV_ONLY
      ? []
      : [
          {
            // Started after the first one, so the tiny model in public/ exists when the build copies it.
            command: `npx vite build --logLevel error && npx vite preview --host 127.0.0.1 --port ${port + 1} --strictPort`,
            url: `${PREVIEW_URL}/models/tiny/manifest.json`,
            reuseExistingServer: !process.env.CI,
            timeout: 300_000,
            stdout: 'ignore' as const,
            stderr: 'pipe' as const,
          },
        ]),
  ],
});
