import { svelte } from '@sveltejs/vite-plugin-svelte';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { factoryWrapperSource, ORT_WRAPPER_FILE } from './src/engine/inPlaceSession.ts';

// Cross-origin isolation (COOP + COEP) makes SharedArrayBuffer available, which onnxruntime-web's
// multi-threaded wasm needs; without it ort silently runs one thread.
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

/**
 * The production page's Content-Security-Policy (a <meta> tag, so it travels to any static host):
 * scripts only from the site itself (+ WebAssembly compilation for onnxruntime), no plugins, no
 * inline scripts. connect/img allow https: because the user may pick a model source or image URLs.
 * Not in dev: Vite's HMR client needs inline scripts and a websocket.
 */
const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' blob: data: https: http:",
  "media-src 'self' blob: data:",
  "connect-src 'self' blob: data: https: http:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/**
 * Dev server only, for e2e/convert.spec.ts: serves the generated tiny *checkpoint* (.cache/tiny-ckpt,
 * made by scripts/prepare-tiny.mjs) with HTTP Range support, the way the model hub serves the
 * official safetensors, so the in-browser converter is tested over real Range requests.
 */
function testCheckpointFiles(): Plugin {
  const dir = fileURLToPath(new URL('./.cache/tiny-ckpt/', import.meta.url));
  return {
    name: 'sift:test-checkpoint',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use('/__test/checkpoint/', (req, res) => {
        const name = decodeURIComponent((req.url ?? '').split('?')[0].replace(/^\//, ''));
        const path = join(dir, name);
        if (!/^[\w.-]+$/.test(name) || !existsSync(path)) {
          res.statusCode = 404;
          return res.end('not found');
        }
        const size = statSync(path).size;
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        res.setHeader('Accept-Ranges', 'bytes');
        const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
        if (!m) {
          res.setHeader('Content-Length', String(size));
          return createReadStream(path).pipe(res);
        }
        const start = Number(m[1]);
        const end = Math.min(m[2] ? Number(m[2]) : size - 1, size - 1);
        res.statusCode = 206;
        res.setHeader('Content-Range', `bytes ${start}-${end}/${size}`);
        res.setHeader('Content-Length', String(end - start + 1));
        createReadStream(path, { start, end }).pipe(res);
      });
    },
  };
}

function contentSecurityPolicy(): Plugin {
  return {
    name: 'sift:csp',
    apply: 'build',
    transformIndexHtml: () => [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: CSP }, injectTo: 'head-prepend' }],
  };
}

/** Where the app serves onnxruntime-web's wasm runtime, relative to the app root: set `ort.env.wasm.wasmPaths` to it. */
const ORT_DIR = 'ort';
const ortDist = fileURLToPath(new URL('./node_modules/onnxruntime-web/dist/', import.meta.url));
// The worker imports 'onnxruntime-web' (the JSEP build: WASM + WebGPU), which loads only the jsep
// variant; the other variants (plain, asyncify, jspi) would add ~60 MB to the offline cache for nothing.
const isShippedOrtFile = (name: string) => /^ort-wasm-simd-threaded\.jsep\.(wasm|mjs)$/.test(name);
// The dev server serves every variant (the engine e2e tests also try the native WebGPU build).
const isOrtRuntimeFile = (name: string) => /^ort-wasm-simd-threaded.*\.(wasm|mjs)$/.test(name);
// The worker starts onnxruntime-web through a wrapper of its factory (src/engine/inPlaceSession.ts),
// a static file beside it: the page's CSP allows no blob: scripts.
const ortWrapper = factoryWrapperSource('./ort-wasm-simd-threaded.jsep.mjs');

/**
 * Serves onnxruntime-web's wasm/mjs files from the app itself (dev: from node_modules; build: copied
 * into <outDir>/ort/). ort's default is a CDN, which would break offline use and the COEP policy.
 */
function ortRuntimeFiles(): Plugin {
  return {
    name: 'sift:ort-runtime-files',
    configureServer(server) {
      server.middlewares.use(`/${ORT_DIR}/`, (req, res) => {
        const name = decodeURIComponent((req.url ?? '').split('?')[0].replace(/^\//, ''));
        const path = join(ortDist, name);
        for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
        if (name === ORT_WRAPPER_FILE) {
          res.setHeader('Content-Type', 'text/javascript');
          res.setHeader('Cache-Control', 'no-cache');
          return res.end(ortWrapper);
        }
        if (!isOrtRuntimeFile(name) || !existsSync(path)) {
          res.statusCode = 404;
          return res.end(`${name}: not an onnxruntime-web runtime file`);
        }
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Content-Length', String(statSync(path).size));
        res.setHeader('Cache-Control', 'no-cache');
        createReadStream(path).pipe(res);
      });
    },
    writeBundle(options) {
      const dir = join(options.dir ?? 'dist', ORT_DIR);
      mkdirSync(dir, { recursive: true });
      for (const name of readdirSync(ortDist).filter(isShippedOrtFile)) copyFileSync(join(ortDist, name), join(dir, name));
      writeFileSync(join(dir, ORT_WRAPPER_FILE), ortWrapper);
    },
  };
}

export default defineConfig({
  // Relative base: the build works from any static path (GitHub Pages sub-folder, file server, …).
  base: './',
  plugins: [
    svelte(),
    ortRuntimeFiles(),
    contentSecurityPolicy(),
    testCheckpointFiles(),
    // PWA: workbox precaches the app shell and the ort runtime files the engine loads (needed
    // offline), but not models/**: model files live in IndexedDB (src/store fetches them with
    // `cache: 'no-store'` and Range requests), and a second copy in Cache Storage would double
    // their quota use.
    VitePWA({
      injectRegister: null, // src/ui/serviceWorker.ts registers it (and not in dev)
      registerType: 'autoUpdate',
      includeAssets: ['apple-touch-icon.png'],
      manifest: {
        name: 'Sift — multimodal reranking in your browser',
        short_name: 'Sift',
        description: 'Rerank text, images and videos against a query with Qwen3-VL-Reranker, entirely on this device.',
        start_url: './',
        scope: './',
        display: 'standalone',
        background_color: '#f6f7f9',
        theme_color: '#2454c5',
        icons: [
          { src: 'icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,mjs,css,html,wasm,png,svg,webmanifest}'],
        // assets/ort-*.wasm is Vite's copy of the same runtime, never fetched: ort loads from ort/ (wasmPaths).
        globIgnores: ['models/**', 'assets/ort-wasm-*.wasm'],
        // The threaded wasm runtimes are 14-27 MB each.
        maximumFileSizeToCacheInBytes: 64 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/\/models\//],
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  // ort ships its own wasm loader; pre-bundling it breaks the relative import of its .mjs/.wasm.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
});
