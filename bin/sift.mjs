#!/usr/bin/env node
// `sift` command: runs the TypeScript CLI through tsx so the same modules serve Node and the browser.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
