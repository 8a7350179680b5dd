// The package's browser library (`npm run build:package`, run by `npm pack`'s prepack): ESM in
// dist-lib/, one file per entry, every npm dependency left as an import for the app's bundler.
// The worker scripts are entries of their own, and each `new Worker(new URL(<source>, import.meta.url))`
// is rewritten to name the built file beside it, so the app's bundler (Vite, webpack 5, …) sees the
// usual pattern and bundles the worker itself.
import { isAbsolute } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/** Source-relative worker URLs in the code → the built worker file's name (all in one folder). */
export const WORKER_FILES: Record<string, string> = {
  '../../workers/sift.worker.ts': 'sift.worker.js',
  './requantWorker.ts': 'requant.worker.js',
  './readAhead.worker.ts': 'store-reader.worker.js',
};

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
      for (const [source, file] of Object.entries(WORKER_FILES)) {
        out = out.replaceAll(`new URL('${source}', import.meta.url)`, `${marker}(${JSON.stringify(file)})`);
      }
      return out === code ? null : { code: out, map: null };
    },
    renderChunk(code) {
      if (!code.includes(marker)) return null;
      return { code: code.replace(new RegExp(`${marker}\\(\\s*["']([\\w.-]+)["']\\s*\\)`, 'g'), 'new URL("./$1", import.meta.url)'), map: null };
    },
  };
}

/** npm packages (bare specifiers) stay imports; only Sift's own modules are bundled. */
export const isDependency = (id: string) => !id.startsWith('.') && !id.startsWith('\0') && !isAbsolute(id);

export default defineConfig({
  publicDir: false,
  plugins: [builtWorkerUrls()],
  build: {
    outDir: 'dist-lib',
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
    sourcemap: true,
    modulePreload: false,
    lib: {
      entry: {
        index: 'src/lib/index.ts',
        'sift.worker': 'workers/sift.worker.ts',
        'requant.worker': 'src/engine/requantWorker.ts',
        'store-reader.worker': 'src/store/readAhead.worker.ts',
      },
      formats: ['es'],
    },
    rollupOptions: {
      external: isDependency,
      output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
});
