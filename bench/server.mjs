// The bench's own vite dev server: the same COOP/COEP headers and onnxruntime runtime files as
// vite.config.ts, plus /bench-models/ served from .cache/bench. It has its own inline config (no
// svelte, no PWA), no HMR and no file watching: other people edit src/ while a bench runs, and a
// reload in the middle of a measurement would destroy it.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

function serveDir(mount, dir, filter = () => true, type = () => 'application/octet-stream', cache = 'no-store') {
  return (server) =>
    server.middlewares.use(mount, (req, res) => {
      const name = decodeURIComponent((req.url ?? '').split('?')[0].replace(/^\//, ''));
      const path = resolve(dir, name);
      if (!path.startsWith(resolve(dir)) || !filter(name) || !existsSync(path) || !statSync(path).isFile()) {
        res.statusCode = 404;
        return res.end(`${name}: not found`);
      }
      res.setHeader('Content-Type', type(name));
      res.setHeader('Content-Length', String(statSync(path).size));
      res.setHeader('Cache-Control', cache);
      for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v);
      createReadStream(path).pipe(res);
    });
}

/** Starts the server; resolves to { url, close }. */
export async function startBenchServer({ port = 4340, host = '127.0.0.1', modelsDir = join(root, '.cache/bench') } = {}) {
  const ortDist = join(root, 'node_modules/onnxruntime-web/dist');
  const isOrt = (n) => /^ort-wasm-simd-threaded.*\.(wasm|mjs)$/.test(n);
  const server = await createServer({
    configFile: false,
    root,
    // No SPA fallback: an unknown path is a 404, never the app's index.html (which this config can't build).
    appType: 'mpa',
    logLevel: 'error',
    cacheDir: join(root, '.cache/bench/vite'),
    plugins: [
      {
        name: 'sift-bench:files',
        configureServer(s) {
          // Cacheable, as the app's service worker makes them: Chromium then reuses the compiled wasm.
          serveDir(
            '/ort/',
            ortDist,
            isOrt,
            (n) => (n.endsWith('.wasm') ? 'application/wasm' : 'text/javascript'),
            'public, max-age=86400, immutable',
          )(s);
          serveDir('/bench-models/', modelsDir)(s);
        },
      },
    ],
    server: { port, host, strictPort: true, headers: ISOLATION_HEADERS, hmr: false, watch: { ignored: ['**/*'] } },
    optimizeDeps: { exclude: ['onnxruntime-web'], entries: ['bench/pages/bench.html'] },
    worker: { format: 'es' },
  });
  await server.listen();
  return { url: `http://${host}:${port}`, close: () => server.close() };
}
