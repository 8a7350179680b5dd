// Measurements and notes an e2e test makes (errors, timings, which error a bad file gave, a part
// skipped on this machine): a Playwright annotation on the running test ({ type: 'measure' } unless
// told), so they are in the JSON report (test-results/e2e.json) and the HTML report instead of
// printed on every run. SIFT_TEST_REPORT=1 prints them as well. In a beforeAll / afterAll hook the
// annotation goes to the test the hook ran for (the first / last of its describe).
import { test } from '@playwright/test';

export function measure(description: string, type = 'measure'): void {
  test.info().annotations.push({ type, description });
  if (process.env.SIFT_TEST_REPORT === '1') console.log(description);
}
