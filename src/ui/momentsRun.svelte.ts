// "Find moments" in the "Inside a video" view: the open video's windows scored against a query, streamed
// into the timeline strip as they score, the best moments listed, cancellable (what scored stays).
import type { MomentEvent, MomentWindow } from '../lib/types.ts';
import { formatClock, formatScore, plural } from './format.ts';
import { VideoJob } from './videoJob.svelte.ts';

/** How many moments the list shows. */
export const TOP_MOMENTS = 8;

/** A window's place in `windows` with what it holds. */
export interface IndexedWindow extends MomentWindow {
  index: number;
}

/**
 * The best scored windows, best first, skipping any that overlaps one already listed: overlapping
 * windows mostly show the same moment, so the list names distinct stretches of the video.
 */
export function distinctMoments(windows: readonly (MomentWindow | null)[], limit = TOP_MOMENTS): IndexedWindow[] {
  const scored: IndexedWindow[] = [];
  windows.forEach((w, index) => {
    if (w && w.score !== null) scored.push({ ...w, index });
  });
  scored.sort((a, b) => b.score! - a.score! || a.start - b.start);
  const out: IndexedWindow[] = [];
  for (const w of scored) {
    if (out.length >= limit) break;
    if (!out.some((o) => w.start < o.end && o.start < w.end)) out.push(w);
  }
  return out;
}

/** The settings' problem in words, or null when they can be sent. */
export function momentSettingsProblem(window: number, stride: number, fps: number): string | null {
  if (!(window > 0)) return 'The window must be a positive number of seconds.';
  if (!(stride > 0) || stride > window) return `The step must be more than 0 and at most the window (${window} s).`;
  if (!(fps > 0) || fps > 60) return 'Frames per second must be more than 0 and at most 60.';
  return null;
}

export class MomentsRun extends VideoJob {
  query = $state('');
  windowSec = $state(10);
  strideSec = $state(5);
  fps = $state(1);

  /** By window index; null until that window is scored. */
  windows = $state.raw<(MomentWindow | null)[]>([]);
  total = $state<number | null>(null);
  /** The video's duration as the decoder sees it (seconds). */
  duration = $state<number | null>(null);
  ms = $state<number | null>(null);

  done = $derived(this.windows.filter((w) => w !== null).length);
  top = $derived(distinctMoments(this.windows));
  failed = $derived(this.windows.flatMap((w, index) => (w?.error ? [{ ...w, index }] : [])));

  protected clear(): void {
    this.windows = [];
    this.total = null;
    this.duration = null;
    this.ms = null;
  }

  #onWindow(e: MomentEvent): void {
    if (this.total !== e.total) this.windows = new Array<MomentWindow | null>(e.total).fill(null);
    this.total = e.total;
    this.duration = e.duration;
    const next = this.windows.slice();
    next[e.index] = { start: e.start, end: e.end, score: e.score, ...(e.error ? { error: e.error, code: e.code } : {}) };
    this.windows = next;
  }

  run(): Promise<void> {
    const query = this.query.trim();
    const started = performance.now();
    return this.execute({
      problem: !query ? 'Type what you are looking for in the video.' : momentSettingsProblem(this.windowSec, this.strideSec, this.fps),
      working: 'Finding moments…',
      call: (tools, live) =>
        tools.moments(query, {
          window: this.windowSec,
          stride: this.strideSec,
          fps: this.fps,
          onWindow: (e) => live() && this.#onWindow(e),
        }),
      finish: (r) => {
        this.windows = r.windows;
        this.total = r.windows.length;
        this.duration = r.duration;
        this.ms = performance.now() - started;
        const best = this.top[0];
        const failed = this.failed.length ? ` ${plural(this.failed.length, 'window')} could not be scored.` : '';
        return best
          ? `${plural(r.windows.length, 'window')} scored. Best moment ${formatClock(best.start)} to ${formatClock(best.end)}, score ${formatScore(best.score!)}.${failed}`
          : `No window could be scored.${failed}`;
      },
      cancelled: () => `Cancelled: ${plural(this.done, 'window')} of ${this.total ?? '?'} scored.`,
      failed: 'Could not find moments',
    });
  }
}
