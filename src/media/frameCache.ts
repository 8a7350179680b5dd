// Decoded frames by index, least recently used dropped first, bounded by bytes: overlapping windows of
// one video (moments, library segments) reuse the frames they both sample (Node and browser readers).
import type { RawPixels } from './pixels.ts';

export class FrameCache {
  private map = new Map<number, RawPixels>();
  private bytes = 0;
  constructor(private capacity: number) {}
  get(i: number): RawPixels | undefined {
    const f = this.map.get(i);
    if (f) {
      this.map.delete(i);
      this.map.set(i, f);
    }
    return f;
  }
  set(i: number, f: RawPixels): void {
    if (this.map.has(i)) return;
    this.map.set(i, f);
    this.bytes += f.data.byteLength;
    for (const [k, old] of this.map) {
      if (this.bytes <= this.capacity) break;
      this.map.delete(k);
      this.bytes -= old.data.byteLength;
    }
  }
}
