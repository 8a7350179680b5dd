// "Find moments" in the "Inside a video" view: the open video's windows scored against a query, streamed
// into the timeline strip as they score, the best moments listed, cancellable (what scored stays).
import type { MomentEvent, MomentWindow } from '../lib/types.ts';
import type { Announcer } from './announcer.svelte.ts';
import { errorMessage, formatClock, formatScore, isAbortError, plural } from './format.ts';
import type { InsideVideo } from './insideVideo.svelte.ts';

export type VideoRunState = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';

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

interface MomentsDeps {
  announcer: Announcer;
  video: InsideVideo;
}

export class MomentsRun {
  query = $state('');
  windowSec = $state(10);
  strideSec = $state(5);
  fps = $state(1);

  state = $state<VideoRunState>('idle');
  /** By window index; null until that window is scored. */
  windows = $state.raw<(MomentWindow | null)[]>([]);
  total = $state<number | null>(null);
  /** The video's duration as the decoder sees it (seconds). */
  duration = $state<number | null>(null);
  error = $state<string | null>(null);
  ms = $state<number | null>(null);

  running = $derived(this.state === 'running' || this.state === 'cancelling');
  done = $derived(this.windows.filter((w) => w !== null).length);
  top = $derived(distinctMoments(this.windows));
  failed = $derived(this.windows.flatMap((w, index) => (w?.error ? [{ ...w, index }] : [])));
  #deps: MomentsDeps;
  #run = 0;

  constructor(deps: MomentsDeps) {
    this.#deps = deps;
  }

  /** Forgets the last run's windows (a new video was opened); a run still going is abandoned. */
  reset(): void {
    this.#run++;
    this.state = 'idle';
    this.windows = [];
    this.total = null;
    this.duration = null;
    this.error = null;
    this.ms = null;
  }

  #onWindow(run: number, e: MomentEvent): void {
    if (run !== this.#run) return;
    if (this.total !== e.total) this.windows = new Array<MomentWindow | null>(e.total).fill(null);
    this.total = e.total;
    this.duration = e.duration;
    const next = this.windows.slice();
    next[e.index] = { start: e.start, end: e.end, score: e.score, ...(e.error ? { error: e.error, code: e.code } : {}) };
    this.windows = next;
  }

  async run(): Promise<void> {
    if (this.running) return;
    const { announcer, video } = this.#deps;
    const query = this.query.trim();
    const problem = !query
      ? 'Type what you are looking for in the video.'
      : momentSettingsProblem(this.windowSec, this.strideSec, this.fps);
    const tools = video.tools();
    if (problem || typeof tools === 'string') {
      this.error = problem ?? (tools as string);
      announcer.announce(this.error);
      return;
    }
    this.reset();
    const run = this.#run;
    this.state = 'running';
    const started = performance.now();
    announcer.announce('Finding moments…');
    try {
      const r = await tools.moments(query, {
        window: this.windowSec,
        stride: this.strideSec,
        fps: this.fps,
        onWindow: (e) => this.#onWindow(run, e),
      });
      if (run !== this.#run) return;
      this.windows = r.windows;
      this.total = r.windows.length;
      this.duration = r.duration;
      this.ms = performance.now() - started;
      this.state = 'done';
      const best = this.top[0];
      const failed = this.failed.length ? ` ${plural(this.failed.length, 'window')} could not be scored.` : '';
      announcer.announce(
        best
          ? `${plural(r.windows.length, 'window')} scored. Best moment ${formatClock(best.start)} to ${formatClock(best.end)}, score ${formatScore(best.score!)}.${failed}`
          : `No window could be scored.${failed}`,
      );
    } catch (err) {
      if (run !== this.#run) return;
      if ((this.state as VideoRunState) === 'cancelling' || isAbortError(err)) {
        this.state = 'cancelled';
        announcer.announce(`Cancelled: ${plural(this.done, 'window')} of ${this.total ?? '?'} scored.`);
      } else {
        this.state = 'failed';
        this.error = `Could not find moments: ${errorMessage(err)}`;
        announcer.announce(this.error);
      }
    }
  }

  async cancel(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'cancelling';
    const tools = this.#deps.video.tools();
    if (typeof tools !== 'string') await tools.cancel().catch(() => undefined);
  }
}
