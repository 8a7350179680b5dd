#!/usr/bin/env node
// `npm run bench [-- --quick]`: Sift's speed against this machine's own limit, in real Chromium.
// The work is in bench/runner.mjs; bench/README.md says what is measured and how to read it.
import { ensureDebianPackages, ensureNpmPackages } from './setup.mjs';

const args = process.argv.slice(2);
try {
  ensureNpmPackages();
  // --browser names another Chromium; otherwise the bench drives Debian's.
  if (!args.includes('--browser')) ensureDebianPackages(['chromium']);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}
// Imported only now: the runner needs the npm packages installed above.
const { main } = await import('../bench/runner.mjs');
process.exitCode = await main(args);
