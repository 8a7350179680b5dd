// The up-front quota check, which needs estimate() to report the quota that is enforced. Chromium
// pads the reported quota (usage + 10 GiB) unless StaticStorageQuota is off, so this file launches
// its own Chromium with it off; a CDP override then shows up in estimate().
import { expect, test } from '@playwright/test';
import { CHROMIUM_ARGS } from '../playwright.config.ts';
import {
  download,
  listModels,
  openStorePage,
  overrideQuota,
  servedManifest,
  storageEstimate,
  watchModelRequests,
} from './helpers/storePage.ts';
import { measure } from './helpers/measure.ts';

test.use({ launchOptions: { executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, '--disable-features=StaticStorageQuota'] } });

test('too little quota fails before downloading, with the size needed', async ({ page, context }) => {
  await openStorePage(page);
  const manifest = await servedManifest(page);
  const { usage } = await storageEstimate(page);
  await overrideQuota(context, page, usage + 4e6);
  const watch = watchModelRequests(page);
  const result = await download(page);
  expect(result.ok).toBe(false);
  if (result.ok) return;
  expect(result.kind).toBe('quota');
  expect(result.message).toContain(`it needs ${(manifest.totalBytes / 1e6).toFixed(1)} MB more, and only`);
  expect(result.availableBytes).toBeLessThanOrEqual(4e6);
  measure(`${result.message}`);
  expect((await watch.requests()).map((r) => r.file)).toEqual(['manifest.json']);
  watch.stop();
  expect(await listModels(page)).toEqual([]);
});
