// What "Find moments" and "Pick cover" share: one run at a time on the open video, its state for the
// panel, the tools chosen when it starts, cancel, and the announcements. A run of an earlier video (or
// an earlier run) never writes into the state once reset() has been called.
import type { Announcer } from './announcer.svelte.ts';
import { errorMessage, isAbortError } from './format.ts';
import type { InsideVideo } from './insideVideo.svelte.ts';
import type { VideoTools } from './videoTools.ts';

export type VideoRunState = 'idle' | 'running' | 'cancelling' | 'done' | 'cancelled' | 'failed';

export interface VideoJobDeps {
  announcer: Announcer;
  video: InsideVideo;
}

export interface JobSteps<T> {
  /** What is wrong with the input, or null. */
  problem: string | null;
  /** Announced when the run starts. */
  working: string;
  /** The work; `live()` is false once the run was superseded (drop its events then). */
  call: (tools: VideoTools, live: () => boolean) => Promise<T>;
  /** Takes the result into the state; returns what to announce. */
  finish: (result: T) => string;
  /** What to announce after a cancel (what was done). */
  cancelled: () => string;
  /** "Could not …" before the error's message. */
  failed: string;
}

export abstract class VideoJob {
  state = $state<VideoRunState>('idle');
  error = $state<string | null>(null);
  running = $derived(this.state === 'running' || this.state === 'cancelling');
  protected deps: VideoJobDeps;
  #run = 0;

  constructor(deps: VideoJobDeps) {
    this.deps = deps;
  }

  /** Clears what the last run showed. */
  protected abstract clear(): void;

  /** Forgets the last run (a new video was opened); a run still going is abandoned. */
  reset(): void {
    this.#run++;
    this.state = 'idle';
    this.error = null;
    this.clear();
  }

  protected async execute<T>(steps: JobSteps<T>): Promise<void> {
    if (this.running) return;
    const { announcer, video } = this.deps;
    const tools = video.tools();
    if (steps.problem || typeof tools === 'string') {
      this.error = steps.problem ?? (tools as string);
      announcer.announce(this.error);
      return;
    }
    this.reset();
    const run = this.#run;
    const live = () => run === this.#run;
    this.state = 'running';
    announcer.announce(steps.working);
    try {
      const result = await steps.call(tools, live);
      if (!live()) return;
      const said = steps.finish(result);
      this.state = 'done';
      announcer.announce(said);
    } catch (err) {
      if (!live()) return;
      if ((this.state as VideoRunState) === 'cancelling' || isAbortError(err)) {
        this.state = 'cancelled';
        announcer.announce(steps.cancelled());
      } else {
        this.state = 'failed';
        this.error = `${steps.failed}: ${errorMessage(err)}`;
        announcer.announce(this.error);
      }
    }
  }

  async cancel(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'cancelling';
    const tools = this.deps.video.tools();
    if (typeof tools !== 'string') await tools.cancel().catch(() => undefined);
  }
}
