#!/usr/bin/env node
// `sift` command. Installed from the package: the compiled CLI (dist-lib/node/cli.js, built by
// `npm pack`'s prepack). In a checkout of the repository: the TypeScript source through tsx, so a
// change to src/ needs no build.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = await import('../dist-lib/node/cli.js'));
}
process.exitCode = await main(process.argv.slice(2));
