#!/usr/bin/env node
// `npm test`: installs what the tests need (npm packages, Debian's chromium and ffmpeg), then runs the
// unit tests (vitest, Node) and the browser tests (Playwright driving real Chromium).
import { existsSync, readFileSync, mkdirSync } from 'node:fs';
import { ensureDebianPackages, ensureNpmPackages, run } from './setup.mjs';

const root = new URL('..', import.meta.url).pathname;
try {
  ensureNpmPackages();
  ensureDebianPackages(['chromium', 'ffmpeg']);
} catch (err) {
  console.error(err.message);
  process.exit(1);
}

mkdirSync(`${root}test-results`, { recursive: true });
const summary = [];
// Imports must flow down the layers of docs/ARCHITECTURE.md; the code passes ESLint and is formatted.
const imports = run('node', ['scripts/check-imports.mjs']);
const lint = run('npm', ['run', '--silent', 'lint']);
const unit = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/unit.json']);
summary.push(['unit', unit, 'test-results/unit.json']);
if (existsSync(`${root}e2e`) && existsSync(`${root}playwright.config.ts`)) {
  const e2e = run('npx', ['playwright', 'test'], { env: { ...process.env, PLAYWRIGHT_JSON_OUTPUT_NAME: 'test-results/e2e.json' } });
  summary.push(['e2e', e2e, 'test-results/e2e.json']);
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const [name, status, file] of summary) {
  try {
    const j = JSON.parse(readFileSync(`${root}${file}`, 'utf8'));
    if (name === 'unit') {
      passed += j.numPassedTests;
      failed += j.numFailedTests;
      skipped += j.numPendingTests + (j.numTodoTests ?? 0);
    } else {
      passed += j.stats.expected + (j.stats.flaky ?? 0);
      failed += j.stats.unexpected;
      skipped += j.stats.skipped;
    }
  } catch {
    if (status !== 0) failed++;
  }
}
if (imports !== 0) failed++;
if (lint !== 0) failed++;
const ok = imports === 0 && lint === 0 && summary.every(([, status]) => status === 0) && failed === 0;
console.log(`\n${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok ? 0 : 1);
