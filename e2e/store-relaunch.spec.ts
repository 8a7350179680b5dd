// The stored model survives closing and relaunching the browser (a persistent profile on disk, as a
// user's browser has), and is then loaded with no network request for model files.
import { chromium, expect, test } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BASE_URL, CHROMIUM_ARGS } from '../playwright.config.ts';
import { download, openStorePage, readBackHashes, servedManifest, watchModelRequests } from './helpers/storePage.ts';

test('a downloaded model is there after a browser relaunch, with no network request', async () => {
  const profile = mkdtempSync(join(tmpdir(), 'sift-e2e-profile-'));
  const launch = () =>
    chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
      headless: true,
      baseURL: BASE_URL,
    });
  try {
    let context = await launch();
    let page = await context.newPage();
    await openStorePage(page);
    const manifest = await servedManifest(page);
    const result = await download(page);
    expect(result.ok, JSON.stringify(result.ok ? '' : result.message)).toBe(true);
    await context.close();

    context = await launch();
    page = await context.newPage();
    const watch = watchModelRequests(page);
    await openStorePage(page);
    const hashes = await readBackHashes(page);
    expect(hashes?.version).toBe(manifest.version);
    for (const s of manifest.shards) expect(hashes?.files[s.file]).toEqual({ bytes: s.bytes, sha256: s.sha256 });
    expect(await watch.requests()).toEqual([]);
    await context.close();
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
});
