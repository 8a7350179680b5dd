// Speed, ETA, retry backoff and manifest checks of the model store (pure parts, run in Node).
import { describe, expect, it } from 'vitest';
import { megabytes, quotaError, TransientError } from '../../src/store/errors.ts';
import { etaSeconds, SpeedMeter } from '../../src/store/progress.ts';
import { checkStoreFields } from '../../src/store/remoteManifest.ts';
import { withRetries } from '../../src/store/retry.ts';

describe('SpeedMeter', () => {
  it('measures bytes per second over its window', () => {
    const m = new SpeedMeter(5000);
    expect(m.bytesPerSecond(0)).toBe(0);
    for (let t = 0; t <= 10_000; t += 500) m.add(1_000_000, t); // 2 MB/s
    expect(m.bytesPerSecond(10_000)).toBeCloseTo(2e6, -3);
  });

  it('forgets a fast start once the link slows down', () => {
    const m = new SpeedMeter(2000);
    for (let t = 0; t <= 3000; t += 100) m.add(1_000_000, t); // 10 MB/s
    for (let t = 3100; t <= 8000; t += 100) m.add(10_000, t); // 0.1 MB/s
    expect(m.bytesPerSecond(8000)).toBeLessThan(0.2e6);
  });
});

describe('etaSeconds', () => {
  it('is undefined until a speed is known', () => {
    expect(etaSeconds(10, 0)).toBeUndefined();
    expect(etaSeconds(0, 0)).toBe(0);
    expect(etaSeconds(10e6, 2e6)).toBe(5);
  });
});

describe('withRetries', () => {
  it('retries transient errors with backoff and gives up after the limit', async () => {
    let calls = 0;
    const delays: number[] = [];
    const err = await withRetries(
      async () => {
        calls++;
        throw new TransientError('down');
      },
      { retries: 3, baseDelayMs: 1, onRetry: (_e, _n, d) => delays.push(d) },
    ).catch((e) => e);
    expect(err).toBeInstanceOf(TransientError);
    expect(calls).toBe(4);
    expect(delays).toEqual([1, 2, 4]);
  });

  it('keeps going while attempts make progress, and does not retry other errors', async () => {
    let calls = 0;
    const result = await withRetries(
      async () => {
        if (++calls < 6) throw new TransientError('flaky');
        return 'done';
      },
      { retries: 1, baseDelayMs: 0, progressed: () => true },
    );
    expect(result).toBe('done');
    await expect(withRetries(async () => Promise.reject(new Error('bug')), { retries: 5, baseDelayMs: 0 })).rejects.toThrow('bug');
  });
});

describe('checkStoreFields', () => {
  const shard = { file: 'a.bin', bytes: 3, sha256: 'a'.repeat(64) };
  const base = { format: 'sift-model', id: 'm', version: 'v1', shards: [shard] };
  it('accepts a manifest with a valid file list', () => {
    expect(checkStoreFields(base, 'u').id).toBe('m');
  });
  it('rejects file names that leave the model directory, and missing hashes', () => {
    expect(() => checkStoreFields({ ...base, shards: [{ ...shard, file: '../x' }] }, 'u')).toThrow(/not a plain file name/);
    expect(() => checkStoreFields({ ...base, shards: [{ ...shard, sha256: 'zz' }] }, 'u')).toThrow(/no valid sha256/);
    expect(() => checkStoreFields({ ...base, shards: [shard, shard] }, 'u')).toThrow(/listed twice/);
    expect(() => checkStoreFields({ ...base, format: 'x' }, 'u')).toThrow(/sift-model/);
  });
});

describe('quota messages', () => {
  it('state the size needed and what is available', () => {
    expect(megabytes(18_000_083)).toBe('18.0 MB');
    expect(quotaError('tiny', 18e6, 4e6, false).message).toMatch(
      /^Not enough storage for model tiny: it needs 18\.0 MB more, and only 4\.0 MB is available/,
    );
    const mid = quotaError('tiny', 8e6, 1e10, true, 18e6).message;
    expect(mid).toMatch(/it needs 8\.0 MB more \(of 18\.0 MB in all\), and the storage this site may use is full/);
  });
});
