#!/usr/bin/env node
// `npm run bench [-- --quick]`: Sift's speed against this machine's own limit, in real Chromium.
// The work is in bench/runner.mjs; bench/README.md says what is measured and how to read it.
import { main } from '../bench/runner.mjs';

process.exitCode = await main(process.argv.slice(2));
