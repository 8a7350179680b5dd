// The images and videos the user gives, as the query or on a candidate: setting and clearing the
// query's medium, probing a video (duration, size, preview frames) into ui.videoInfo, and letting go
// of a medium's object URL.
import { mediaKindOfFile, probeVideo } from './media.ts';
import { attachExtra, releaseUrl } from './objectUrls.ts';
import { filesAddedAgain } from './savedState.ts';
import type { SiftUi } from './state.svelte.ts';
import { fileMedia, type MediaRef } from './stateTypes.ts';

export function setQueryFile(ui: SiftUi, file: File): void {
  const kind = mediaKindOfFile(file);
  if (!kind) {
    ui.queryMediaError = `"${file.name}" is not an image or a video. Pick a PNG, JPEG, WebP, GIF, AVIF or BMP image, or an MP4/WebM video.`;
    return;
  }
  clearQueryMedia(ui);
  ui.queryMediaError = null;
  const media = fileMedia(file, kind);
  ui.queryMedia = media;
  if (kind === 'video') startVideoProbe(ui, media.url);
  filesAddedAgain(ui, 1);
  ui.announce(`Query ${kind} set: ${media.name}.`);
}

export function clearQueryMedia(ui: SiftUi): void {
  if (ui.queryMedia?.source === 'file') {
    ui.videoInfo.delete(ui.queryMedia.url);
    releaseUrl(ui.queryMedia.url);
  }
  ui.queryMedia = null;
  ui.queryMediaError = null;
}

/** Marks the video at `url` as probing, and fills in its info when the probe ends (if still wanted). */
export function startVideoProbe(ui: SiftUi, url: string): void {
  ui.videoInfo.set(url, { state: 'probing', duration: null, width: 0, height: 0, frames: [], error: null });
  void probeVideo(url).then((p) => {
    const frames: string[] = [];
    for (const blob of p.frames) {
      const f = URL.createObjectURL(blob);
      if (!attachExtra(url, f)) return; // removed meanwhile: frames already revoked
      frames.push(f);
    }
    if (!ui.videoInfo.has(url)) return;
    ui.videoInfo.set(url, {
      state: p.error ? 'error' : 'ready',
      duration: p.duration,
      width: p.width,
      height: p.height,
      frames,
      error: p.error ?? null,
    });
  });
}

/** Drops a candidate's hold on its file's object URL (a results run may still hold another). */
export function releaseMedia(ui: SiftUi, m: MediaRef | null): void {
  if (m?.source !== 'file') return;
  releaseUrl(m.url);
  // Keep the probe info while a results run still shows this video.
  if (!ui.run?.rows.some((r) => r.media?.url === m.url)) ui.videoInfo.delete(m.url);
}
