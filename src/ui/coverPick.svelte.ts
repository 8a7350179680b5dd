// "Pick cover" in the "Inside a video" view: the open video's frames (fps per second) scored against a
// title, the best few shown with their scores, and the chosen one saved as a JPEG at the video's size.
import type { CoverFrame, CoverFrameEvent } from '../lib/types.ts';
import { formatClock, formatScore, plural } from './format.ts';
import { VideoJob } from './videoJob.svelte.ts';

/** How many best frames are offered. */
export const COVER_CHOICES = 6;

export interface CoverChoice {
  time: number;
  score: number;
  blob: Blob;
  /** An object URL of `blob`, revoked when the choices are replaced. */
  url: string;
  width: number;
  height: number;
}

/** The saved file's name: "lecture.mp4", 12.4 s → "lecture-cover-0m12s.jpg". */
export function coverFileName(videoName: string, time: number, type: string): string {
  const stem = videoName.replace(/\.[^.]+$/, '') || 'video';
  const t = Math.floor(time);
  return `${stem}-cover-${Math.floor(t / 60)}m${String(t % 60).padStart(2, '0')}s.${type === 'image/png' ? 'png' : 'jpg'}`;
}

export class CoverPick extends VideoJob {
  title = $state('');
  fps = $state(1);

  /** Every sampled frame by index; null until scored. */
  frames = $state.raw<(CoverFrame | null)[]>([]);
  total = $state<number | null>(null);
  choices = $state.raw<CoverChoice[]>([]);
  chosen = $state(0);
  savedAs = $state<string | null>(null);

  done = $derived(this.frames.filter((f) => f !== null).length);
  failedCount = $derived(this.frames.filter((f) => f?.error).length);

  protected clear(): void {
    for (const c of this.choices) URL.revokeObjectURL(c.url);
    this.choices = [];
    this.chosen = 0;
    this.frames = [];
    this.total = null;
    this.savedAs = null;
  }

  #onFrame(e: CoverFrameEvent): void {
    if (this.total !== e.total) this.frames = new Array<CoverFrame | null>(e.total).fill(null);
    this.total = e.total;
    const next = this.frames.slice();
    next[e.index] = { time: e.time, score: e.score, ...(e.error ? { error: e.error, code: e.code } : {}) };
    this.frames = next;
  }

  run(): Promise<void> {
    const title = this.title.trim();
    return this.execute({
      problem: !title
        ? "Type the video's title: frames are ranked by how well they show it."
        : !(this.fps > 0) || this.fps > 60
          ? 'Frames per second must be more than 0 and at most 60.'
          : null,
      working: 'Scoring frames for the cover…',
      call: (tools, live) => tools.coverFrames(title, { fps: this.fps, top: COVER_CHOICES, onFrame: (e) => live() && this.#onFrame(e) }),
      finish: (r) => {
        this.frames = r.frames;
        this.total = r.frames.length;
        this.choices = r.top.map((k, i) => ({
          time: r.frames[k].time,
          score: r.frames[k].score!,
          blob: r.topFrames[i],
          url: URL.createObjectURL(r.topFrames[i]),
          width: r.width,
          height: r.height,
        }));
        const best = this.choices[0];
        const failed = this.failedCount ? ` ${plural(this.failedCount, 'frame')} could not be scored.` : '';
        return best
          ? `${plural(r.frames.length, 'frame')} scored. Best frame at ${formatClock(best.time)}, score ${formatScore(best.score)}. Choose one and save it.${failed}`
          : `No frame could be scored.${failed}`;
      },
      cancelled: () => `Cancelled: ${plural(this.done, 'frame')} of ${this.total ?? '?'} scored.`,
      failed: 'Could not pick a cover',
    });
  }

  /** Saves the chosen frame (a download: the page never writes anywhere else). */
  save(): void {
    const c = this.choices[this.chosen];
    const v = this.deps.video.video;
    if (!c || !v) return;
    const name = coverFileName(v.name, c.time, c.blob.type);
    const a = document.createElement('a');
    a.href = c.url;
    a.download = name;
    a.click();
    this.savedAs = name;
    this.deps.announcer.announce(`Saved the frame at ${formatClock(c.time)} as ${name}.`);
  }
}
