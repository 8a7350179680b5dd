// The npm package as others get it: `npm pack` (its prepack builds dist-lib/), a fresh Vite app in a
// temp folder installs the tarball from the file, builds with the package's `sift/vite` plugin, is
// served by `vite preview`, and ranks with the tiny model in Chromium; then the installed `sift`
// command ranks the same request in Node. Nothing from this repository is used but the tarball and
// the tiny model files the app serves (npm fetches the dependencies, from the local cache when it can).
import { expect, test } from '@playwright/test';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { measure } from './helpers/measure.ts';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const port = Number(process.env.SIFT_E2E_PORT ?? 4317) + 2;
const APP_URL = `http://127.0.0.1:${port}/`;
const viteVersion = JSON.parse(readFileSync(join(root, 'node_modules/vite/package.json'), 'utf8')).version as string;

// npm (when this runs under `npm test`) exports npm_config_* / npm_package_* variables; a child npm
// would take them as its own settings (e.g. install into this repository), so they are dropped.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
const sh = (cmd: string, args: string[], cwd: string, timeout = 240_000) =>
  run(cmd, args, { cwd, env: cleanEnv, timeout, maxBuffer: 64 * 1024 * 1024 });

/** The request both sides rank: one broken image (fails alone) among texts. */
const REQUEST = {
  instruction: 'Find documents about dogs.',
  query: { text: 'a dog' },
  documents: [{ text: 'a cat sleeps on a sofa' }, { image: 'data:image/png;base64,AAAA' }, { text: 'a dog runs on the beach' }],
};

// The fresh app's code: nothing but the package's public API.
const APP_MAIN = `
import * as sift from 'sift';
import { Reranker, listCachedModels, hasCachedModel, deleteCachedModel, storageEstimate, SiftError, MediaError, ModelStoreError, RequestError } from 'sift';

const REQUEST = ${JSON.stringify(REQUEST)};
const failure = (e) => ({ name: e.name, code: e.code, message: e.message, isSiftError: e instanceof SiftError, isMediaError: e instanceof MediaError, isStoreError: e instanceof ModelStoreError, isRequestError: e instanceof RequestError });
const outcome = (p) => p.then((value) => ({ ok: true, value }), (e) => ({ ok: false, error: failure(e) }));

window.siftExports = Object.keys(sift).sort();
window.run = async () => {
  const out = { cachedBefore: await listCachedModels(), crossOriginIsolated: self.crossOriginIsolated };
  const reranker = new Reranker({ backend: 'wasm', model: { kind: 'manifest', url: 'models/tiny/manifest.json' } });
  out.info = await reranker.load();
  out.events = [];
  out.ranked = await reranker.rank(REQUEST, { onScore: (e) => out.events.push({ index: e.index, score: e.score, code: e.code }) });
  out.scores = await reranker.process({ ...REQUEST, maxFrames: 4 });
  out.oldRank = await reranker.rank(REQUEST.query, REQUEST.documents, { instruction: REQUEST.instruction });
  out.badQuery = await outcome(reranker.rank({ query: { image: 'data:image/png;base64,AAAA' }, documents: [{ text: 'x' }] }));
  out.badRequest = await outcome(reranker.rank({ query: { text: 'x' }, documents: 'not a list' }));
  out.cached = await listCachedModels();
  out.hasModel = await hasCachedModel(out.info.id);
  out.estimate = await storageEstimate();
  await reranker.terminate();
  // vite preview answers an unknown path with index.html: not a manifest.
  const missing = new Reranker({ backend: 'wasm', model: { kind: 'manifest', url: 'models/missing/manifest.json' } });
  out.missingModel = await outcome(missing.load());
  await missing.terminate();
  await deleteCachedModel(out.info.id);
  out.hasAfterDelete = await hasCachedModel(out.info.id);
  return out;
};
document.body.dataset.ready = 'true';
`;

let dir = '';
let app = '';
let packed: { filename: string; files: { path: string }[] };
let preview: ChildProcess | null = null;
const timings: Record<string, number> = {};

async function timed<T>(name: string, step: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await step();
  } finally {
    timings[name] = Math.round(performance.now() - t);
  }
}

async function waitForUrl(url: string, ms: number): Promise<void> {
  const answers = () =>
    fetch(url).then(
      (r) => r.ok,
      () => false, // not listening yet
    );
  await expect.poll(answers, { message: `${url} answers`, timeout: ms, intervals: [250] }).toBe(true);
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(600_000);
  dir = mkdtempSync(join(tmpdir(), 'sift-package-'));
  app = join(dir, 'app');
  // This machine's npm config sets ignore-scripts; a publisher's npm runs prepack (the build), as here.
  const { stdout } = await timed('npm pack', () =>
    sh('npm', ['pack', '--ignore-scripts=false', '--json', '--pack-destination', dir], root),
  );
  // npm prints the prepack build's output before the JSON (a line of its own: "[").
  [packed] = JSON.parse(stdout.slice(stdout.search(/^\[$/m)));
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', private: true, type: 'module' }));
  writeFileSync(
    join(app, 'index.html'),
    '<!doctype html><html><head><meta charset="utf-8"><title>fresh app</title></head><body><script type="module" src="/src/main.js"></script></body></html>',
  );
  writeFileSync(
    join(app, 'vite.config.js'),
    "import { defineConfig } from 'vite';\nimport sift from 'sift/vite';\n\nexport default defineConfig({ plugins: [sift()] });\n",
  );
  writeFileSync(join(app, 'src/main.js'), APP_MAIN);
  writeFileSync(join(app, 'request.json'), JSON.stringify(REQUEST));
  writeFileSync(join(app, 'texts.json'), JSON.stringify({ ...REQUEST, documents: [REQUEST.documents[0], REQUEST.documents[2]] }));
  // The app serves its own copy of the tiny model (made by scripts/prepare-tiny.mjs).
  cpSync(join(root, 'public/models/tiny'), join(app, 'public/models/tiny'), { recursive: true });
  await timed('npm install', () =>
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, packed.filename), `vite@${viteVersion}`], app),
  );
  await timed('vite build', () => sh('node', ['node_modules/vite/bin/vite.js', 'build', '--logLevel', 'warn'], app));
  preview = spawn('node', ['node_modules/vite/bin/vite.js', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
    cwd: app,
    env: cleanEnv,
    stdio: 'ignore',
  });
  await timed('vite preview start', () => waitForUrl(APP_URL, 30_000));
});

test.afterAll(async () => {
  preview?.kill();
  measure(`package test steps (ms): ${JSON.stringify(timings)}`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('the tarball holds compiled JavaScript and types, no TypeScript source', () => {
  const paths = packed.files.map((f) => f.path);
  expect(paths).toEqual(
    expect.arrayContaining([
      'dist-lib/index.js',
      'dist-lib/sift.worker.js',
      'dist-lib/node/cli.js',
      'dist-lib/node/vite.js',
      'dist-lib/ort/sift-ort-factory.mjs',
      'dist-lib/types/src/lib/index.d.ts',
      'bin/sift.mjs',
    ]),
  );
  expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
  const installed = JSON.parse(readFileSync(join(app, 'node_modules/sift/package.json'), 'utf8'));
  expect(installed.exports['.'].default).toBe('./dist-lib/index.js');
  // A plain install brings no dev tools: the `sift` command must not need tsx.
  expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false);
  // The plugin put onnxruntime's runtime and Sift's factory wrapper beside the built app.
  for (const f of ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs', 'sift-ort-factory.mjs'])
    expect(existsSync(join(app, 'dist/ort', f))).toBe(true);
});

test('a fresh Vite app built from the tarball ranks with the tiny model in Chromium', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto(APP_URL);
  await expect(page.locator('body[data-ready="true"]')).toBeAttached();
  // The explicit export list: nothing debug-only.
  expect(await page.evaluate(() => (window as unknown as { siftExports: string[] }).siftExports)).toEqual([
    'Library',
    'MediaError',
    'ModelStoreError',
    'PromptError',
    'RequestError',
    'Reranker',
    'SiftError',
    'WorkerError',
    'codeOf',
    'deleteCachedModel',
    'hasCachedModel',
    'listCachedModels',
    'storageEstimate',
  ]);
  type Failure = {
    name: string;
    code: string;
    message: string;
    isSiftError: boolean;
    isMediaError: boolean;
    isStoreError: boolean;
    isRequestError: boolean;
  };
  type Ranked = { index: number; score: number | null; error?: { code: string; message: string } };
  const out = (await timed('browser run', () =>
    page.evaluate(() => (window as unknown as { run(): Promise<Record<string, unknown>> }).run()),
  )) as {
    cachedBefore: unknown[];
    crossOriginIsolated: boolean;
    info: { id: string; state: string };
    events: { index: number; score: number | null; code?: string }[];
    ranked: Ranked[];
    scores: (number | null)[];
    oldRank: Ranked[];
    badQuery: { ok: boolean; error: Failure };
    badRequest: { ok: boolean; error: Failure };
    cached: { id: string; state: string }[];
    hasModel: boolean;
    estimate: { usage: number; quota: number };
    missingModel: { ok: boolean; error: Failure };
    hasAfterDelete: boolean;
  };
  expect(out.crossOriginIsolated).toBe(true); // the plugin's COOP/COEP headers on vite preview
  expect(out.cachedBefore).toEqual([]);
  expect(out.info).toMatchObject({ id: 'sift-tiny', state: 'ready' });

  // Ranked best first; the broken image fails alone with its code, the texts are scored.
  expect(out.ranked.map((r) => r.index).sort()).toEqual([0, 1, 2]);
  const scored = out.ranked.filter((r) => r.score !== null);
  expect(scored).toHaveLength(2);
  for (const r of scored) {
    expect(r.score).toBeGreaterThan(0);
    expect(r.score).toBeLessThan(1);
  }
  expect(scored[0].score!).toBeGreaterThanOrEqual(scored[1].score!);
  expect(out.ranked[2]).toMatchObject({ index: 1, score: null, error: { code: 'not-an-image' } });
  expect(out.events.find((e) => e.index === 1)).toMatchObject({ score: null, code: 'not-an-image' });
  // process() (camelCase maxFrames accepted) and the earlier rank(query, documents) agree with rank(request).
  expect(out.scores).toEqual([0, 1, 2].map((i) => out.ranked.find((r) => r.index === i)!.score));
  expect(out.oldRank).toEqual(out.ranked);

  // Errors thrown in the worker arrive as the package's classes with their codes.
  expect(out.badQuery.ok).toBe(false);
  expect(out.badQuery.error).toMatchObject({ code: 'not-an-image', isSiftError: true });
  expect(out.badRequest.error).toMatchObject({ name: 'RequestError', code: 'bad-request', isRequestError: true, isSiftError: true });
  expect(out.missingModel.error).toMatchObject({ name: 'ModelStoreError', code: 'manifest', isStoreError: true, isSiftError: true });

  // The cache functions, without a model loaded.
  expect(out.cached).toEqual([expect.objectContaining({ id: 'sift-tiny', state: 'ready' })]);
  expect(out.hasModel).toBe(true);
  expect(out.estimate.usage).toBeGreaterThan(0);
  expect(out.estimate.quota).toBeGreaterThan(out.estimate.usage);
  expect(out.hasAfterDelete).toBe(false);

  // The installed `sift` command ranks the same request on the same model in Node: same scores.
  const { stdout } = await timed('sift rank (CLI)', () =>
    sh('npx', ['--no-install', 'sift', 'rank', '--model', 'public/models/tiny', 'request.json'], app, 120_000),
  );
  const cli = JSON.parse(stdout) as { scores: (number | null)[]; errors: { index: number; code: string; message: string }[] };
  expect(cli.errors).toEqual([{ index: 1, code: 'not-an-image', message: expect.stringContaining('not an image') }]);
  expect(cli.scores[1]).toBeNull();
  for (const i of [0, 2]) expect(cli.scores[i]).toBeCloseTo(out.scores[i]!, 5);
});

// A TypeScript user of the package: its .d.ts resolve, the public names type-check, and what is not
// public (the worker's debug calls) is not there. The repository's compiler, the app's installed package.
const TYPED_USE = `
import { Reranker, SiftError, listCachedModels, type RankedDocument, type RerankRequest } from 'sift';
import sift from 'sift/vite';

const reranker = new Reranker({ assetsUrl: '/', model: { kind: 'manifest', url: 'models/tiny/manifest.json' } });
const request: RerankRequest = { query: { text: 'q' }, documents: [{ text: 'd' }], maxFrames: 8 };
const ranked: RankedDocument[] = await reranker.rank(request, { maxLength: 1000, onScore: (e) => e.code });
const code: string | undefined = ranked[0].error?.code;
try {
  await reranker.load();
} catch (e) {
  if (e instanceof SiftError) console.log(e.code.toUpperCase());
}
console.log(code, (await listCachedModels()).length, sift().name);
// @ts-expect-error debug-only calls are not part of the API
reranker.debugLoseGpuDevice();
`;

test('the package types check in a TypeScript app', async () => {
  writeFileSync(join(app, 'typed.ts'), TYPED_USE);
  const compilerOptions = {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2023', 'DOM'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['typed.ts'] }));
  await timed('tsc (types)', () => sh('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app, 120_000));
});

test('the installed sift command prints prompts with the tokenizer it depends on', async () => {
  const { stdout } = await timed('sift prompt (CLI)', () =>
    sh('npx', ['--no-install', 'sift', 'prompt', '--expand', 'texts.json'], app, 120_000),
  );
  const out = JSON.parse(stdout) as { prompts: { text: string; tokens: number | null }[] };
  expect(out.prompts).toHaveLength(2);
  expect(out.prompts[0].text).toContain('a cat sleeps on a sofa');
  expect(out.prompts[0].tokens).toBeGreaterThan(10);
});
