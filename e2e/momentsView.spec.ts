// The "Inside a video" view in real Chromium, driven as a user does (issue G, point 3): a 90-second video
// (three times the whole-video limit) added as a candidate is flagged for whole-video scoring but offers
// "Moments…"; that opens the view, where "Find moments" streams the windows into the timeline strip,
// a run can be cancelled (what scored stays), the best moments play the video from their start (mouse and
// keyboard), the strip seeks on a click and by the arrow keys, and "Pick cover" shows the best frames
// with scores, one chosen by keyboard and saved (a JPEG download at the video's display size).
// The built-in tiny reranker has random weights: which moment comes first means nothing here.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { addCandidates, loadTinyModel } from './helpers/appPage.ts';
import { ffmpeg, probe } from './helpers/mediaFixtures.ts';

test.describe.configure({ mode: 'serial' });

const SECONDS = 90;
/** 10-s windows every 5 s over 90 s (the last one ends at the duration). */
const WINDOWS = 17;

let dir = '';
let video = '';
let page: Page;

const player = () => page.getByTestId('inside-player');
const strip = () => page.getByTestId('moments-strip');
const playerTime = () => player().evaluate((v: HTMLVideoElement) => v.currentTime);

test.beforeAll(async ({ browser }) => {
  test.setTimeout(180_000);
  dir = mkdtempSync(join(tmpdir(), 'sift-moments-view-'));
  video = join(dir, 'chalk_lecture.mp4');
  // Three 30-second scenes (the hue turns per scene), H.264 with a keyframe every 2 s.
  ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=s=160x90:r=5:d=${SECONDS},hue=H=PI*floor(t/30)*2/3`],
    ...['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-g', '10', video],
  ]);
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.log(`pageerror: ${e.message}`));
  await page.goto('/');
  await loadTinyModel(page, 'wasm');
});

test.afterAll(async () => {
  await page?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a long video candidate is flagged for whole-video scoring and opens in "Inside a video"', async () => {
  await page.locator('#query-text').fill('a coloured test pattern with a moving ball');
  await addCandidates(page, [], [video]);
  const cand = page.locator('li.cand[data-kind="video"]');
  await expect(cand).toContainText('above the 30 s limit');
  await cand.getByRole('button', { name: /Moments and cover of candidate 1/ }).click();

  await expect(page.getByRole('tab', { name: 'Inside a video' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('heading', { name: 'chalk_lecture.mp4' })).toBeVisible();
  await expect(page.locator('#moments-query')).toHaveValue('a coloured test pattern with a moving ball');
  await expect(page.locator('#cover-title')).toHaveValue('chalk lecture');
  await expect.poll(() => player().evaluate((v: HTMLVideoElement) => v.duration), { timeout: 30_000 }).toBeCloseTo(SECONDS, 0);
});

test('moments stream into the strip, can be cancelled, and the best moments play from their start', async () => {
  test.setTimeout(240_000);
  const progress = page.getByTestId('moments-progress');
  // A slower pass (2 frames per second) cancelled after its first windows: what scored stays.
  await page.getByText('Window settings').click();
  await page.locator('#moments-fps').fill('2');
  await page.getByRole('button', { name: 'Find moments' }).click();
  await expect(strip().locator('.slice')).not.toHaveCount(0, { timeout: 120_000 });
  await page.getByTestId('moments-panel').getByRole('button', { name: 'Cancel' }).click();
  await expect(progress).toContainText('(cancelled)', { timeout: 60_000 });
  const partial = await strip().locator('.slice').count();
  expect(partial).toBeGreaterThan(0);
  expect(partial).toBeLessThan(WINDOWS);

  // The full pass at 0.5 frames per second: every window streams in.
  await page.locator('#moments-fps').fill('0.5');
  await page.getByRole('button', { name: 'Find moments' }).click();
  await expect(progress).toContainText(`of ${WINDOWS} windows scored`, { timeout: 60_000 });
  await expect(progress).toContainText(`${WINDOWS} of ${WINDOWS} windows scored`, { timeout: 180_000 });
  const scores = await strip()
    .locator('.slice')
    .evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.score)));
  expect(scores).toHaveLength(WINDOWS);
  for (const s of scores) expect(s).toBeGreaterThan(0);

  // The best moments: distinct (no two overlap), best first, each a button that plays from its start.
  const top = page.getByTestId('moments-top').getByRole('button');
  expect(await top.count()).toBeGreaterThan(1);
  const listed = await top.evaluateAll((els) =>
    els.map((e) => ({
      start: Number((e as HTMLElement).dataset.start),
      end: Number((e as HTMLElement).dataset.end),
      score: Number((e as HTMLElement).dataset.score),
    })),
  );
  for (let i = 1; i < listed.length; i++) expect(listed[i].score).toBeLessThanOrEqual(listed[i - 1].score);
  for (const a of listed) for (const b of listed) if (a !== b) expect(a.end <= b.start || b.end <= a.start).toBe(true);
  expect(listed[0].score).toBe(Math.max(...scores));
  const starts = listed.map((w) => w.start);
  await top.nth(1).click();
  await expect.poll(playerTime).toBeGreaterThanOrEqual(starts[1]);
  expect(await playerTime()).toBeLessThan(starts[1] + 3);
  await expect.poll(() => player().evaluate((v: HTMLVideoElement) => v.paused)).toBe(false);
  // By keyboard: the first moment, focused and pressed with Enter.
  await top.first().focus();
  await page.keyboard.press('Enter');
  await expect.poll(playerTime).toBeGreaterThanOrEqual(starts[0]);
  expect(await playerTime()).toBeLessThan(starts[0] + 3);
  await player().evaluate((v: HTMLVideoElement) => v.pause());
});

test('the strip seeks on a click and by the arrow keys', async () => {
  const box = (await strip().boundingBox())!;
  await strip().click({ position: { x: box.width * 0.75, y: box.height / 2 } });
  await expect.poll(playerTime).toBeCloseTo(SECONDS * 0.75, -1);
  const before = await playerTime();
  await expect(strip()).toBeFocused();
  await page.keyboard.press('ArrowRight');
  await expect.poll(playerTime).toBeCloseTo(before + 5, 0);
  await page.keyboard.press('Home');
  await expect.poll(playerTime).toBeLessThan(0.5);
  await expect(strip()).toHaveAttribute('aria-valuetext', /^0:00 of 1:30; window 0:00 to 0:10 score \d/);
});

test('"Pick cover" shows the best frames with scores and saves the chosen one at the display size', async () => {
  test.setTimeout(240_000);
  const panel = page.getByTestId('cover-panel');
  await page.locator('#cover-fps').fill('0.2');
  await panel.getByRole('button', { name: 'Pick cover' }).click();
  await expect(page.getByTestId('cover-progress')).toContainText('18 of 18 frames scored', { timeout: 180_000 });
  const choices = page.getByTestId('cover-choices').getByRole('radio');
  await expect(choices).toHaveCount(6);
  const captions = await page.getByTestId('cover-choices').locator('.caption').allTextContents();
  const shownScores = captions.map((c) => Number(c.split('·')[1]));
  expect([...shownScores].sort((a, b) => b - a)).toEqual(shownScores);
  // Every image is a decoded frame (a blob: URL that loaded).
  const loaded = await page
    .getByTestId('cover-choices')
    .locator('img')
    .evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth));
  expect(loaded).toEqual(Array(6).fill(160));

  // Choose the second-best frame by keyboard (arrow keys move within the radio group), then save.
  await choices.first().focus();
  await page.keyboard.press('ArrowRight');
  await expect(choices.nth(1)).toBeChecked();
  const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Save cover' }).click()]);
  const second = captions[1].split('·')[0].trim(); // "m:ss"
  const [m, s] = second.split(':').map(Number);
  expect(download.suggestedFilename()).toBe(`chalk_lecture-cover-${m}m${String(s).padStart(2, '0')}s.jpg`);
  const saved = join(dir, download.suggestedFilename());
  await download.saveAs(saved);
  expect([...readFileSync(saved).subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  const p = probe(saved);
  expect([p.width, p.height]).toEqual([160, 90]);
  await expect(page.getByTestId('cover-saved')).toContainText(download.suggestedFilename());
  if (process.env.SIFT_MOMENTS_SCREENSHOT) {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: new URL('../docs/screenshot-moments.png', import.meta.url).pathname, fullPage: true });
  }
});

test('the view fits a phone: nothing sticks out sideways at 360 px', async () => {
  await page.setViewportSize({ width: 360, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  for (const id of ['moments-strip', 'moments-panel', 'cover-panel']) {
    const box = (await page.getByTestId(id).boundingBox())!;
    expect(box.x + box.width, `${id} fits 360 px`).toBeLessThanOrEqual(360);
  }
});
