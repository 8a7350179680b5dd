// Measurements the unit tests make (errors against a reference, timings, what a decoder produced):
// recorded, not printed on every run. Each test file's lines go to
// .cache/test-report/vitest/<test file path, "/" as "__">.md, rewritten when the file runs;
// SIFT_TEST_REPORT=1 prints them as well.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';

export const REPORT_DIR = join(process.cwd(), '.cache/test-report/vitest');
const started = new Set<string>();

/** Records one measurement line under the running test's name (strings as they are, other values as JSON). */
export function report(...parts: unknown[]): void {
  const line = parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ');
  const { testPath, currentTestName } = expect.getState();
  const rel = testPath ? relative(process.cwd(), testPath) : 'unknown';
  const file = join(REPORT_DIR, `${rel.replace(/[\\/]/g, '__')}.md`);
  if (!started.has(file)) {
    mkdirSync(REPORT_DIR, { recursive: true });
    writeFileSync(file, `# ${rel} (run ${new Date().toISOString()})\n\n`);
    started.add(file);
  }
  appendFileSync(file, `- ${currentTestName ?? '(outside a test)'}: ${line.replace(/\n/g, '\n  ')}\n`);
  if (process.env.SIFT_TEST_REPORT === '1') console.log(line);
}
