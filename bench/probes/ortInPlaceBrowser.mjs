// Probe (not part of `npm run bench`): bench/pages/ortInPlaceProbe.ts in Chromium, each step in a fresh page
// of an on-disk profile.
//   node bench/probes/ortInPlaceBrowser.mjs [http|idb|slices] [reps]   (after `npm run bench` made the models)
// http: the bench model's in-place logits vs a copied session's; then for the 2B decoder, alternating, a
//   plain fetch of its .ort vs the same bytes streamed into a heap block + the in-place session.
// idb: the 2B decoder's .ort stored as 8 MB Blob chunks (as the store keeps files); then, alternating, a
//   raw read into one buffer vs three ways into a heap block (chunk ArrayBuffers, chunk streams, the raw
//   read's buffer copied) + the in-place session.
// slices: reading alone, then into a heap block, with each 8 MB chunk read whole vs in 1 MB / 256 KB slices.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startBenchServer } from '../server.mjs';
import { CHROMIUM_ARGS } from '../../scripts/chromiumArgs.mjs';
import { withBrowserCpu } from '../cpuTime.mjs';

const mode = process.argv[2] ?? 'http';
const reps = Number(process.argv[3] ?? 3);
const server = await startBenchServer({ port: 4352 });
const profile = mkdtempSync(join(tmpdir(), 'sift-ort-probe-'));
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
const show = async (label, fn, ...args) => {
  const r = await withBrowserCpu(() => inFreshPage(fn, ...args));
  console.log(label, JSON.stringify(r.result), `CPU ${r.cpu.ms} ms (kernel ${r.cpu.sysMs})`);
};
try {
  if (mode === 'http') {
    await show('bench model, in place vs copied:', 'check', 'l4v6-int8');
    for (let i = 0; i < reps; i++) {
      await show('2B decoder .ort, plain fetch:', 'plainFetch', 'full2b-int8');
      await show('2B decoder .ort, into a heap block + in-place session:', 'inPlace', 'full2b-int8');
    }
  } else if (mode === 'slices') {
    // Reading alone, then into the heap block: 8 MB chunks whole vs read in 1 MB / 256 KB slices.
    await show('stored', 'storeOrt', 'full2b-int8');
    for (let i = 0; i < reps; i++) {
      const ways = ['readChunks', 'readSliced1024', 'readSliced256', 'chunks', 'sliced1024', 'sliced256'];
      for (const way of i % 2 ? ways.reverse() : ways) await show(way, 'fromIdb', 'full2b-int8', way);
    }
  } else {
    await show('stored', 'storeOrt', 'full2b-int8');
    for (let i = 0; i < reps; i++) {
      const ways = ['raw', 'chunks', 'stream', 'whole'];
      for (const way of i % 2 ? ways.reverse() : ways) await show(way, 'fromIdb', 'full2b-int8', way);
    }
  }
} finally {
  await ctx.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
