// Download progress as the UI shows it: bytes done of total, speed over the last few seconds and a
// time estimate. Pure (no browser APIs) so it can be unit-tested in Node.

export type DownloadPhase = 'manifest' | 'downloading' | 'verifying' | 'ready';

export interface DownloadProgress {
  id: string;
  version: string;
  phase: DownloadPhase;
  /** Bytes of the model stored or received so far (including what an earlier session stored). */
  bytesDone: number;
  bytesTotal: number;
  /** Current file, 1-based, of `fileCount`. */
  fileIndex: number;
  fileCount: number;
  file: string;
  /** Network speed over the last few seconds, in MB/s (1 MB = 10⁶ bytes); 0 until measurable. */
  mbPerSecond: number;
  /** Seconds left at the current speed; undefined while the speed is unknown. */
  etaSeconds: number | undefined;
}

interface Sample {
  at: number;
  bytes: number;
}

/** Network speed from the bytes received over a sliding time window. */
export class SpeedMeter {
  private samples: Sample[] = [];
  private total = 0;

  constructor(private windowMs = 5000) {}

  /** Records `bytes` received at time `at` (ms). */
  add(bytes: number, at: number): void {
    this.total += bytes;
    this.samples.push({ at, bytes: this.total });
    while (this.samples.length > 2 && this.samples[1].at < at - this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the window ending at `at`; 0 before two samples 100 ms apart exist. */
  bytesPerSecond(at: number): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || at - first.at < 100) return 0;
    return ((last.bytes - first.bytes) * 1000) / (at - first.at);
  }
}

/** Seconds to fetch `remainingBytes` at `bytesPerSecond`, or undefined when the speed is unknown. */
export function etaSeconds(remainingBytes: number, bytesPerSecond: number): number | undefined {
  if (remainingBytes <= 0) return 0;
  if (!(bytesPerSecond > 0)) return undefined;
  return Math.ceil(remainingBytes / bytesPerSecond);
}
