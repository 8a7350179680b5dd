// The package's Node parts (`npm run build:package`): the `sift` command (bin/sift.mjs runs
// dist-lib/node/cli.js when installed) and the `sift/vite` plugin. ESM for Node; npm dependencies
// stay imports.
import { defineConfig } from 'vite';
import { builtWorkerUrls, isDependency } from './vite.lib.config.ts';

export default defineConfig({
  publicDir: false,
  plugins: [builtWorkerUrls()],
  build: {
    outDir: 'dist-lib/node',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    ssr: true,
    rollupOptions: {
      input: { cli: 'src/cli/main.ts', vite: 'src/lib/vite.ts' },
      external: (id) => id.startsWith('node:') || isDependency(id),
      output: { format: 'es', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
    },
  },
});
