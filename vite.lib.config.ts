// The package's browser library (`npm run build:package`, run by `npm pack`'s prepack): ESM in
// dist-lib/, one file per entry, every npm dependency left as an import for the app's bundler.
// The worker scripts are entries of their own, and each `new Worker(new URL(<source>, import.meta.url))`
// is rewritten to name the built file beside it, so the app's bundler (Vite, webpack 5, …) sees the
// usual pattern and bundles the worker itself.
import { isAbsolute } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { factoryWrapperSource, ORT_WRAPPER_FILE } from './src/engine/inPlaceSession.ts';

/** The package's worker scripts: source file, the URL the code names it by, and the built file. */
const WORKERS = [
  { source: 'workers/sift.worker.ts', url: '../../workers/sift.worker.ts', file: 'sift.worker.js' },
  { source: 'src/store/readAhead.worker.ts', url: './readAhead.worker.ts', file: 'store-reader.worker.js' },
];

/**
 * Hides the worker URLs from Vite's own worker handling (which would inline each worker as a data
 * URL in library mode) and writes them back, naming the built files, once the chunks are rendered.
 */
export function builtWorkerUrls(): Plugin {
  const marker = '__siftBuiltWorkerUrl';
  return {
    name: 'sift:built-worker-urls',
    enforce: 'pre',
    transform(code) {
      if (!code.includes('new Worker(')) return null;
      let out = code;
      for (const w of WORKERS) out = out.replaceAll(`new URL('${w.url}', import.meta.url)`, `${marker}(${JSON.stringify(w.file)})`);
      return out === code ? null : { code: out, map: null };
    },
    renderChunk(code) {
      if (!code.includes(marker)) return null;
      return {
        code: code.replace(new RegExp(`${marker}\\(\\s*["']([\\w.-]+)["']\\s*\\)`, 'g'), 'new URL("./$1", import.meta.url)'),
        map: null,
      };
    },
  };
}

/**
 * dist-lib/ort/sift-ort-factory.mjs: the factory wrapper the worker loads from `<assetsUrl>ort/`, for
 * apps that do not use the `sift/vite` plugin (they copy it there beside onnxruntime-web's files).
 */
function factoryWrapperFile(): Plugin {
  return {
    name: 'sift:factory-wrapper-file',
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: `ort/${ORT_WRAPPER_FILE}`,
        source: factoryWrapperSource('./ort-wasm-simd-threaded.jsep.mjs'),
      });
    },
  };
}

/** npm packages (bare specifiers) stay imports; only Sift's own modules are bundled. */
export const isDependency = (id: string) => !id.startsWith('.') && !id.startsWith('\0') && !isAbsolute(id);

export default defineConfig({
  publicDir: false,
  plugins: [builtWorkerUrls(), factoryWrapperFile()],
  build: {
    outDir: 'dist-lib',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    modulePreload: false,
    lib: {
      entry: { index: 'src/lib/index.ts', ...Object.fromEntries(WORKERS.map((w) => [w.file.replace(/\.js$/, ''), w.source])) },
      formats: ['es'],
    },
    rollupOptions: {
      external: isDependency,
      output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
});
