// The candidate list: adding (typed lines, image URLs, files), editing, moving and removing
// candidates. Every change bumps `version` (the results panel uses it to flag stale results) and is
// announced to screen readers.
import type { Announcer } from './announcer.svelte.ts';
import { plural } from './format.ts';
import { mediaKindOfFile, parseCandidateLines } from './media.ts';
import { releaseUrl } from './objectUrls.ts';
import { fileMedia, newId, urlMedia, type Candidate, type MediaRef } from './stateTypes.ts';
import type { VideoProbes } from './videoProbes.svelte.ts';

export interface CandidateListDeps {
  announcer: Announcer;
  videos: VideoProbes;
  /** Files were added: the restore notice counts them against the files a reload lost. */
  onFilesAdded: (count: number) => void;
  /** Whether the results still show the medium at `url` (its video probe is then kept). */
  isShownInResults: (url: string) => boolean;
}

export class CandidateList {
  readonly #deps: CandidateListDeps;

  items = $state<Candidate[]>([]);
  /** Bumped on every change to the list or a candidate. */
  version = $state(0);
  /** How many candidates there are, in all and by kind (text + medium counts as mixed). */
  counts = $derived.by(() => {
    const c = { total: 0, text: 0, image: 0, video: 0, mixed: 0 };
    for (const x of this.items) {
      c.total++;
      if (!x.media) c.text++;
      else if (x.text) c.mixed++;
      else c[x.media.kind]++;
    }
    return c;
  });

  constructor(deps: CandidateListDeps) {
    this.#deps = deps;
  }

  #announce(message: string): void {
    this.#deps.announcer.announce(message);
  }

  /** Adds one candidate per non-empty line; returns how many were added. */
  addLines(text: string): number {
    const parsed = parseCandidateLines(text);
    if (!parsed.length) {
      this.#announce('Nothing to add: the box is empty.');
      return 0;
    }
    const added: Candidate[] = parsed.map((p) =>
      p.kind === 'text' ? { id: newId(), text: p.text, media: null } : { id: newId(), text: '', media: urlMedia(p.url) },
    );
    this.items.push(...added);
    this.version++;
    const images = parsed.filter((p) => p.kind === 'image-url').length;
    this.#announce(
      `Added ${plural(added.length, 'candidate')}${images ? ` (${plural(images, 'image URL')})` : ''}. ${plural(this.items.length, 'candidate')} in all.`,
    );
    return added.length;
  }

  /** Adds one candidate per image/video file; returns the names of files that were skipped. */
  addFiles(files: Iterable<File>): string[] {
    const skipped: string[] = [];
    const added: Candidate[] = [];
    for (const file of files) {
      const kind = mediaKindOfFile(file);
      if (!kind) {
        skipped.push(file.name || 'unnamed file');
        continue;
      }
      const media = fileMedia(file, kind);
      if (kind === 'video') this.#deps.videos.start(media.url);
      added.push({ id: newId(), text: '', media });
    }
    if (added.length) {
      this.items.push(...added);
      this.version++;
      this.#deps.onFilesAdded(added.length);
    }
    const msg = [
      added.length ? `Added ${plural(added.length, 'file')}. ${plural(this.items.length, 'candidate')} in all.` : '',
      skipped.length
        ? `Skipped ${plural(skipped.length, 'file')} that ${skipped.length === 1 ? 'is' : 'are'} not an image or a video: ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''}.`
        : '',
    ]
      .filter(Boolean)
      .join(' ');
    if (msg) this.#announce(msg);
    return skipped;
  }

  /** The candidate's position in the list, or -1. */
  indexOf(id: string): number {
    return this.items.findIndex((c) => c.id === id);
  }

  remove(id: string): void {
    const i = this.indexOf(id);
    if (i < 0) return;
    const [c] = this.items.splice(i, 1);
    this.#release(c.media);
    this.version++;
    this.#announce(`Removed candidate ${i + 1}. ${plural(this.items.length, 'candidate')} left.`);
  }

  /** Moves a candidate by `delta` places; returns its new position (the old one if it cannot move). */
  move(id: string, delta: number): number {
    const i = this.indexOf(id);
    const j = i + delta;
    if (i < 0 || j < 0 || j >= this.items.length) return i;
    const [c] = this.items.splice(i, 1);
    this.items.splice(j, 0, c);
    this.version++;
    this.#announce(`Moved to position ${j + 1} of ${this.items.length}.`);
    return j;
  }

  clear(): void {
    const n = this.items.length;
    for (const c of this.items) this.#release(c.media);
    this.items = [];
    this.version++;
    this.#announce(`Cleared ${plural(n, 'candidate')}.`);
  }

  setText(id: string, text: string): void {
    const c = this.items[this.indexOf(id)];
    if (!c) return;
    c.text = text;
    this.version++;
  }

  /** Attaches (or replaces) the image/video of a candidate, making it a text + media candidate; returns an error message or null. */
  attachFile(id: string, file: File): string | null {
    const kind = mediaKindOfFile(file);
    if (!kind) return `"${file.name}" is not an image or a video.`;
    const c = this.items[this.indexOf(id)];
    if (!c) return null;
    this.#release(c.media);
    c.media = fileMedia(file, kind);
    if (kind === 'video') this.#deps.videos.start(c.media.url);
    this.version++;
    this.#deps.onFilesAdded(1);
    this.#announce(`Attached ${kind} ${file.name}.`);
    return null;
  }

  detachMedia(id: string): void {
    const c = this.items[this.indexOf(id)];
    if (!c?.media) return;
    this.#release(c.media);
    c.media = null;
    this.version++;
    this.#announce('Removed the image or video from the candidate.');
  }

  /** Drops a candidate's hold on its file's object URL (a results run may still hold another). */
  #release(m: MediaRef | null): void {
    if (m?.source !== 'file') return;
    releaseUrl(m.url);
    // Keep the probe info while a results run still shows this video.
    if (!this.#deps.isShownInResults(m.url)) this.#deps.videos.forget(m.url);
  }
}
