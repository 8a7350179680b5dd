// Test page: `reranker.moments` and `reranker.coverFrames` (the public API, the real worker, the
// built-in tiny model on WASM) exposed to Playwright as `window.momentsTest` (e2e/moments.spec.ts).
import { Reranker, type MomentEvent, type MomentsOptions } from '../../src/lib/index.ts';

const reranker = new Reranker({ backend: 'wasm', assetsUrl: '/' });

const api = {
  load: () => reranker.load(),
  /** Moments of the video at `url`, with the windows in the order they streamed. */
  async moments(query: string, url: string, options: Omit<MomentsOptions, 'onWindow'>) {
    const events: MomentEvent[] = [];
    const t0 = performance.now();
    const result = await reranker.moments(query, url, { ...options, onWindow: (e) => events.push(e) });
    return { result, events, ms: performance.now() - t0 };
  },
  /** Starts moments and cancels it once `after` windows have streamed: how it ended. */
  async cancelAfter(query: string, url: string, options: Omit<MomentsOptions, 'onWindow'>, after: number) {
    let streamed = 0;
    let cancelledAt = -1;
    try {
      await reranker.moments(query, url, {
        ...options,
        onWindow: () => {
          streamed++;
          if (streamed === after) {
            cancelledAt = streamed;
            void reranker.cancel();
          }
        },
      });
      return { ended: 'resolved', streamed, cancelledAt };
    } catch (e) {
      // Windows already in flight may still report after the cancel.
      return { ended: (e as Error).name, message: (e as Error).message, streamed, cancelledAt };
    }
  },
  /** Cover frames; the best frame's Blob described (type, bytes, decoded size). */
  async cover(title: string, url: string, options: { fps?: number; top?: number; imageType?: 'image/png' | 'image/jpeg' }) {
    const streamed: number[] = [];
    const r = await reranker.coverFrames(title, url, { ...options, onFrame: (e) => streamed.push(e.index) });
    let blob: { type: string; bytes: number; width: number; height: number } | null = null;
    if (r.bestFrame) {
      const bmp = await createImageBitmap(r.bestFrame);
      blob = { type: r.bestFrame.type, bytes: r.bestFrame.size, width: bmp.width, height: bmp.height };
      bmp.close();
    }
    return { frames: r.frames, top: r.top, best: r.best, width: r.width, height: r.height, blob, streamed: streamed.length };
  },
  /** `rank` of clips of the video as video documents (what each window must score as). */
  rankClips: (query: string, url: string, clips: { start: number; end: number }[], fps: number) =>
    reranker.process(
      { query: { text: query }, documents: clips.map((clip) => ({ video: new URL(url, document.baseURI).href, clip })), fps },
      { maxVideoSeconds: 60 },
    ),
  /** A moments call as a serializable outcome: resolved, or the error's name, code and message. */
  async attempt(query: string, url: string, options: Omit<MomentsOptions, 'onWindow'>) {
    try {
      const r = await reranker.moments(query, url, options);
      return { ok: true as const, windows: r.windows.length };
    } catch (e) {
      const err = e as Error & { code?: string };
      return { ok: false as const, name: err.name, code: err.code, message: err.message };
    }
  },
  diagnostics: () => reranker.diagnostics(),
};
(window as unknown as { momentsTest: typeof api }).momentsTest = api;
document.body.dataset.ready = 'true';
