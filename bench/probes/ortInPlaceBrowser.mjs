// Probe (not part of `npm run bench`): bench/pages/ortInPlaceProbe.ts in Chromium, fresh pages.
//   npx tsx bench/probes/ortFormatInPlace.ts .cache/bench/l4v6-int8/model      # writes decoder-basic.ort
//   npx tsx bench/probes/ortFormatInPlace.ts .cache/bench/full2b-int8/model
//   node bench/probes/ortInPlaceBrowser.mjs
// Prints: the bench model's in-place logits vs a copied session's; then for the 2B decoder, alternating,
// a plain fetch of its .ort into an ArrayBuffer vs the same bytes streamed into a heap block + the
// in-place session built from it.
import { chromium } from 'playwright-core';
import { startBenchServer } from '../server.mjs';
import { CHROMIUM_ARGS } from '../../scripts/chromiumArgs.mjs';

const server = await startBenchServer({ port: 4352 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
async function inFreshPage(fn, ...args) {
  const ctx = await browser.newContext();
  try {
    const page = await ctx.newPage();
    await page.goto(`${server.url}/bench/pages/ortInPlaceProbe.html`);
    await page.waitForFunction(() => 'ortInPlaceProbe' in window);
    await page.evaluate(() => window.ortInPlaceProbe.warm());
    return await page.evaluate(([f, a]) => window.ortInPlaceProbe[f](...a), [fn, args]);
  } finally {
    await ctx.close();
  }
}
try {
  console.log('bench model, in place vs copied:', JSON.stringify(await inFreshPage('check', 'l4v6-int8')));
  for (let i = 0; i < 3; i++) {
    console.log('2B decoder .ort, plain fetch:', JSON.stringify(await inFreshPage('plainFetch', 'full2b-int8')));
    console.log('2B decoder .ort, into a heap block + in-place session:', JSON.stringify(await inFreshPage('inPlace', 'full2b-int8')));
  }
} finally {
  await browser.close();
  await server.close();
}
