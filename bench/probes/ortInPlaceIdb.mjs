// Probe (not part of `npm run bench`): the 2B decoder's .ort stored in IndexedDB as 8 MB Blob chunks (as
// the store keeps files), then, in fresh pages of an on-disk profile, alternating: a raw read into one
// buffer; each chunk's ArrayBuffer copied into a heap block; each chunk streamed into the heap block;
// the raw read's buffer copied into the heap block — the heap ways followed by the in-place session
// (bench/pages/ortInPlaceProbe.ts).
//   npx tsx bench/probes/ortFormatInPlace.ts .cache/bench/l4v6-int8/model      # writes decoder-basic.ort
//   npx tsx bench/probes/ortFormatInPlace.ts .cache/bench/full2b-int8/model
//   node bench/probes/ortInPlaceIdb.mjs [reps]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startBenchServer } from '../server.mjs';
import { CHROMIUM_ARGS } from '../../scripts/chromiumArgs.mjs';

const reps = Number(process.argv[2] ?? 3);
const server = await startBenchServer({ port: 4353 });
const profile = mkdtempSync(join(tmpdir(), 'sift-ort-idb-'));
const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
async function inFreshPage(fn, ...args) {
  const page = await ctx.newPage();
  try {
    await page.goto(`${server.url}/bench/pages/ortInPlaceProbe.html`);
    await page.waitForFunction(() => 'ortInPlaceProbe' in window);
    await page.evaluate(() => window.ortInPlaceProbe.warm());
    return await page.evaluate(([f, a]) => window.ortInPlaceProbe[f](...a), [fn, args]);
  } finally {
    await page.close();
  }
}
try {
  console.log('stored', JSON.stringify(await inFreshPage('storeOrt', 'full2b-int8')));
  for (let i = 0; i < reps; i++) {
    const ways = ['raw', 'chunks', 'stream', 'whole'];
    for (const way of i % 2 ? ways.reverse() : ways) console.log(way, JSON.stringify(await inFreshPage('fromIdb', 'full2b-int8', way)));
  }
} finally {
  await ctx.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
