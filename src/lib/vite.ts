// `import sift from 'sift/vite'`: the Vite plugin for apps that use the package. It serves (dev) and
// copies (build) what the Sift worker loads at run time from `<base>ort/`: onnxruntime-web's WebGPU
// (JSEP) runtime files and Sift's wrapper of its factory; it sends the cross-origin isolation headers
// multi-threaded WASM needs, and keeps Vite's dependency pre-bundling away from the package (its
// worker and onnxruntime's runtime are loaded by relative URLs that pre-bundling would break).
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';
import { factoryWrapperSource, ORT_WRAPPER_FILE } from '../engine/inPlaceSession.ts';

export interface SiftPluginOptions {
  /**
   * Send COOP/COEP from Vite's dev and preview servers (default true). Without cross-origin isolation
   * onnxruntime runs on one thread. Your production host must send them too:
   * `Cross-Origin-Opener-Policy: same-origin`, `Cross-Origin-Embedder-Policy: require-corp`.
   */
  crossOriginIsolation?: boolean;
}

const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
/** The folder under the app's base the worker loads onnxruntime from (RerankerOptions.assetsUrl + 'ort/'). */
const ORT_DIR = 'ort';
/** The build the worker imports ('onnxruntime-web': WASM + WebGPU); the other variants are never loaded. */
const RUNTIME = 'ort-wasm-simd-threaded.jsep';
const isRuntimeFile = (name: string) => name === `${RUNTIME}.wasm` || name === `${RUNTIME}.mjs`;

/** onnxruntime-web's dist/ folder, as installed beside this package. */
function ortDist(): string {
  return dirname(fileURLToPath(import.meta.resolve('onnxruntime-web')));
}

export function sift(options: SiftPluginOptions = {}): Plugin {
  const headers: Record<string, string> = options.crossOriginIsolation === false ? {} : ISOLATION_HEADERS;
  const wrapper = factoryWrapperSource(`./${RUNTIME}.mjs`);
  let outDir = 'dist';
  let isSsr = false;
  return {
    name: 'sift',
    config: () => ({
      optimizeDeps: { exclude: ['sift', 'onnxruntime-web'] },
      worker: { format: 'es' as const },
      server: { headers },
      preview: { headers },
    }),
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
      isSsr = !!config.build.ssr;
    },
    configureServer(server) {
      const dist = ortDist();
      const base = server.config.base.endsWith('/') ? server.config.base : `${server.config.base}/`;
      server.middlewares.use(`${base}${ORT_DIR}/`, (req, res) => {
        const name = decodeURIComponent((req.url ?? '').split('?')[0].replace(/^\//, ''));
        for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
        if (name === ORT_WRAPPER_FILE) {
          res.setHeader('Content-Type', 'text/javascript');
          return res.end(wrapper);
        }
        const path = join(dist, name);
        if (!isRuntimeFile(name) || !existsSync(path)) {
          res.statusCode = 404;
          return res.end(`${name}: not an onnxruntime-web runtime file Sift uses`);
        }
        res.setHeader('Content-Type', name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
        res.setHeader('Content-Length', String(statSync(path).size));
        createReadStream(path).pipe(res);
      });
    },
    writeBundle() {
      if (isSsr) return;
      const dist = ortDist();
      const dir = join(outDir, ORT_DIR);
      mkdirSync(dir, { recursive: true });
      for (const name of readdirSync(dist).filter(isRuntimeFile)) copyFileSync(join(dist, name), join(dir, name));
      writeFileSync(join(dir, ORT_WRAPPER_FILE), wrapper);
    },
  };
}

export default sift;
