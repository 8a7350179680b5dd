// The query: its text, its image or video, the instruction and the video settings, with what is wrong
// with them (the settings check, a video too long or unreadable).
import type { Announcer } from './announcer.svelte.ts';
import { mediaKindOfFile } from './media.ts';
import { releaseUrl } from './objectUrls.ts';
import {
  checkSettings,
  DEFAULT_FPS,
  DEFAULT_INSTRUCTION,
  DEFAULT_MAX_FRAMES,
  DEFAULT_MAX_VIDEO_SECONDS,
  type SettingsInput,
} from './settings.ts';
import { fileMedia, type MediaRef, type VideoInfo } from './stateTypes.ts';
import type { VideoProbes } from './videoProbes.svelte.ts';

export interface QueryDeps {
  announcer: Announcer;
  videos: VideoProbes;
  /** A file was given: the restore notice counts it against the files a reload lost. */
  onFilesAdded: (count: number) => void;
}

export class QueryState {
  readonly #deps: QueryDeps;

  text = $state('');
  media = $state<MediaRef | null>(null);
  /** Why the last file given could not be the query's medium. */
  mediaError = $state<string | null>(null);
  instruction = $state(DEFAULT_INSTRUCTION);
  settings = $state<SettingsInput>({
    fps: String(DEFAULT_FPS),
    maxFrames: String(DEFAULT_MAX_FRAMES),
    maxVideoSeconds: String(DEFAULT_MAX_VIDEO_SECONDS),
  });
  settingsCheck = $derived(checkSettings(this.settings));

  /** The query video's probe, or null when the query has no video. */
  video = $derived.by((): VideoInfo | null => (this.media?.kind === 'video' ? (this.#deps.videos.get(this.media.url) ?? null) : null));
  /** Why the query video cannot be used, or null. */
  videoProblem = $derived.by(() => {
    const v = this.video;
    const max = this.settingsCheck.maxVideoSeconds;
    if (!v) return null;
    if (v.state === 'error') return v.error;
    if (v.duration !== null && max !== null && v.duration > max) {
      return `This video is ${v.duration.toFixed(1)} s long; the longest accepted is ${max} s. Trim it, or raise "Longest video" below.`;
    }
    return null;
  });

  constructor(deps: QueryDeps) {
    this.#deps = deps;
  }

  setFile(file: File): void {
    const kind = mediaKindOfFile(file);
    if (!kind) {
      this.mediaError = `"${file.name}" is not an image or a video. Pick a PNG, JPEG, WebP, GIF, AVIF or BMP image, or an MP4/WebM video.`;
      return;
    }
    this.clearMedia();
    this.mediaError = null;
    const media = fileMedia(file, kind);
    this.media = media;
    if (kind === 'video') this.#deps.videos.start(media.url);
    this.#deps.onFilesAdded(1);
    this.#deps.announcer.announce(`Query ${kind} set: ${media.name}.`);
  }

  clearMedia(): void {
    if (this.media?.source === 'file') {
      this.#deps.videos.forget(this.media.url);
      releaseUrl(this.media.url);
    }
    this.media = null;
    this.mediaError = null;
  }

  resetInstruction(): void {
    this.instruction = DEFAULT_INSTRUCTION;
  }
}
