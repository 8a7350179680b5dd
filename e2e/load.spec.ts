// Load and leaks through the public Reranker API and the real worker: 12 rankings of 40 mixed
// documents (text, PNG + text, two mp4s) keep the wasm heap, the page's memory and the open VideoFrames flat; five
// concurrent process() calls on one Reranker all complete with the scores of sequential calls.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync, rmSync } from 'node:fs';
import { makeAppMedia } from './helpers/appMedia.ts';
import { measure } from './helpers/measure.ts';

type Doc = { text?: string; png?: number[]; mp4?: number[] };
type Api = {
  load(): Promise<unknown>;
  process(q: string, d: Doc[]): Promise<{ scores: (number | null)[]; errors: unknown[] }>;
  concurrent(q: string[], d: Doc[]): Promise<(number | null)[][]>;
  diagnostics(): Promise<{ wasmHeapBytes: number; openVideoFrames: number }>;
  pageMemoryBytes(): Promise<number | null>;
};
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page function takes whatever the test passes
const call = <T>(page: Page, fn: (api: Api, arg: any) => Promise<T>, arg?: unknown) =>
  page.evaluate(
    ([f, a]) => new Function('api', 'arg', `return (${f})(api, arg)`)((window as unknown as { rerankerTest: Api }).rerankerTest, a),
    [fn.toString(), arg] as const,
  ) as Promise<T>;

const MB = 1024 * 1024;

test('12 rankings of 40 mixed documents: wasm heap, page memory and open VideoFrames stay flat', async ({ page }) => {
  test.setTimeout(600_000);
  const media = makeAppMedia();
  try {
    const png = [...readFileSync(media.png)];
    const mp4 = [...readFileSync(media.mp4)];
    const docs: Doc[] = Array.from({ length: 40 }, (_, i) =>
      i % 20 === 0 ? { mp4 } : i % 3 === 0 ? { png, text: `picture ${i}` } : { text: `document ${i} about ${i % 2 ? 'cats' : 'dogs'}` },
    );
    await page.goto('/e2e/pages/reranker.html');
    await expect(page.locator('body[data-ready="true"]')).toBeAttached();
    await call(page, (api) => api.load());
    const samples: { run: number; wasmMb: number; pageMb: number | null; frames: number }[] = [];
    let first: (number | null)[] | null = null;
    for (let run = 1; run <= 12; run++) {
      const r = await call(page, (api, d) => api.process('a dog', d), docs);
      expect(r.errors).toEqual([]);
      expect(r.scores.every((s) => typeof s === 'number')).toBe(true);
      first ??= r.scores;
      expect(r.scores, `run ${run} scores equal run 1`).toEqual(first);
      if (run === 2 || run === 7 || run === 12) {
        const d = await call(page, (api) => api.diagnostics());
        const pageBytes = await call(page, (api) => api.pageMemoryBytes());
        samples.push({ run, wasmMb: d.wasmHeapBytes / MB, pageMb: pageBytes === null ? null : pageBytes / MB, frames: d.openVideoFrames });
      }
    }
    const memory = samples.map(
      (s) => `#${s.run}: wasm ${s.wasmMb.toFixed(0)} MB, page+workers ${s.pageMb?.toFixed(0) ?? '?'} MB, open VideoFrames ${s.frames}`,
    );
    measure(`memory after runs: ${memory.join('; ')}`);
    const [warm, , last] = samples;
    expect(warm.wasmMb).toBeGreaterThan(0);
    for (const s of samples) expect(s.frames, `open VideoFrames after run ${s.run}`).toBe(0);
    // A wasm heap never shrinks; after warm-up it must not keep growing.
    expect(last.wasmMb).toBeLessThanOrEqual(warm.wasmMb * 1.1);
    if (warm.pageMb !== null && last.pageMb !== null) expect(last.pageMb).toBeLessThanOrEqual(warm.pageMb * 1.25 + 32);
  } finally {
    rmSync(media.dir, { recursive: true, force: true });
  }
});

test('five concurrent process() calls on one Reranker complete with the scores of sequential calls', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/e2e/pages/reranker.html');
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  const docs: Doc[] = Array.from({ length: 8 }, (_, i) => ({ text: `document ${i}: ${i % 2 ? 'a cat on a sofa' : 'a dog on a beach'}` }));
  const queries = ['dogs', 'cats', 'beach', 'sofa', 'animals'];
  const together = await call(page, (api, a) => api.concurrent(a.queries, a.docs), { queries, docs });
  const oneByOne: (number | null)[][] = [];
  for (const q of queries) oneByOne.push((await call(page, (api, a) => api.process(a.q, a.docs), { q, docs })).scores);
  expect(together).toEqual(oneByOne);
  // Different queries really give different scores (the calls were not mixed up into one).
  expect(new Set(together.map((s) => JSON.stringify(s))).size).toBe(5);
});
