// What is known of each video the user gave (the query's or a candidate's): duration, size and preview
// frames, keyed by the video's URL. Thumbnails and the duration checks read it.
import { SvelteMap } from 'svelte/reactivity';
import { probeVideo } from './media.ts';
import { attachExtra } from './objectUrls.ts';
import type { VideoInfo } from './stateTypes.ts';

export class VideoProbes {
  readonly #info = new SvelteMap<string, VideoInfo>();

  /** The video's info, or undefined when it was never probed or has been forgotten. */
  get(url: string): VideoInfo | undefined {
    return this.#info.get(url);
  }

  /** Marks the video at `url` as probing, and fills in its info when the probe ends (if still wanted). */
  start(url: string): void {
    this.#info.set(url, { state: 'probing', duration: null, width: 0, height: 0, frames: [], error: null });
    void probeVideo(url).then((p) => {
      const frames: string[] = [];
      for (const blob of p.frames) {
        const f = URL.createObjectURL(blob);
        if (!attachExtra(url, f)) return; // removed meanwhile: frames already revoked
        frames.push(f);
      }
      if (!this.#info.has(url)) return;
      this.#info.set(url, {
        state: p.error ? 'error' : 'ready',
        duration: p.duration,
        width: p.width,
        height: p.height,
        frames,
        error: p.error ?? null,
      });
    });
  }

  forget(url: string): void {
    this.#info.delete(url);
  }
}
