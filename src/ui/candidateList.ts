// The candidate list: adding (typed lines, image URLs, files), editing, moving and removing
// candidates. Every change bumps ui.candidatesVersion (the results panel uses it to flag stale
// results) and is announced to screen readers.
import { plural } from './format.ts';
import { mediaKindOfFile, parseCandidateLines } from './media.ts';
import { releaseMedia, startVideoProbe } from './mediaInputs.ts';
import { filesAddedAgain } from './savedState.ts';
import type { SiftUi } from './state.svelte.ts';
import { fileMedia, newId, urlMedia, type Candidate } from './stateTypes.ts';

function touchCandidates(ui: SiftUi): void {
  ui.candidatesVersion++;
}

/** Adds one candidate per non-empty line; returns how many were added. */
export function addLines(ui: SiftUi, text: string): number {
  const parsed = parseCandidateLines(text);
  if (!parsed.length) {
    ui.announce('Nothing to add: the box is empty.');
    return 0;
  }
  const added: Candidate[] = parsed.map((p) =>
    p.kind === 'text' ? { id: newId(), text: p.text, media: null } : { id: newId(), text: '', media: urlMedia(p.url) },
  );
  ui.candidates.push(...added);
  touchCandidates(ui);
  const images = parsed.filter((p) => p.kind === 'image-url').length;
  ui.announce(
    `Added ${plural(added.length, 'candidate')}${images ? ` (${plural(images, 'image URL')})` : ''}. ${plural(ui.candidates.length, 'candidate')} in all.`,
  );
  return added.length;
}

/** Adds one candidate per image/video file; returns the names of files that were skipped. */
export function addFiles(ui: SiftUi, files: Iterable<File>): string[] {
  const skipped: string[] = [];
  const added: Candidate[] = [];
  for (const file of files) {
    const kind = mediaKindOfFile(file);
    if (!kind) {
      skipped.push(file.name || 'unnamed file');
      continue;
    }
    const media = fileMedia(file, kind);
    if (kind === 'video') startVideoProbe(ui, media.url);
    added.push({ id: newId(), text: '', media });
  }
  if (added.length) {
    ui.candidates.push(...added);
    touchCandidates(ui);
    filesAddedAgain(ui, added.length);
  }
  const msg = [
    added.length ? `Added ${plural(added.length, 'file')}. ${plural(ui.candidates.length, 'candidate')} in all.` : '',
    skipped.length
      ? `Skipped ${plural(skipped.length, 'file')} that ${skipped.length === 1 ? 'is' : 'are'} not an image or a video: ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? ', …' : ''}.`
      : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (msg) ui.announce(msg);
  return skipped;
}

/** The candidate's position in the list, or -1. */
export function indexOf(ui: SiftUi, id: string): number {
  return ui.candidates.findIndex((c) => c.id === id);
}

export function remove(ui: SiftUi, id: string): void {
  const i = indexOf(ui, id);
  if (i < 0) return;
  const [c] = ui.candidates.splice(i, 1);
  releaseMedia(ui, c.media);
  touchCandidates(ui);
  ui.announce(`Removed candidate ${i + 1}. ${plural(ui.candidates.length, 'candidate')} left.`);
}

/** Moves a candidate by `delta` places; returns its new position (the old one if it cannot move). */
export function move(ui: SiftUi, id: string, delta: number): number {
  const i = indexOf(ui, id);
  const j = i + delta;
  if (i < 0 || j < 0 || j >= ui.candidates.length) return i;
  const [c] = ui.candidates.splice(i, 1);
  ui.candidates.splice(j, 0, c);
  touchCandidates(ui);
  ui.announce(`Moved to position ${j + 1} of ${ui.candidates.length}.`);
  return j;
}

export function clearCandidates(ui: SiftUi): void {
  const n = ui.candidates.length;
  for (const c of ui.candidates) releaseMedia(ui, c.media);
  ui.candidates = [];
  touchCandidates(ui);
  ui.announce(`Cleared ${plural(n, 'candidate')}.`);
}

export function setText(ui: SiftUi, id: string, text: string): void {
  const c = ui.candidates[indexOf(ui, id)];
  if (!c) return;
  c.text = text;
  touchCandidates(ui);
}

/** Attaches (or replaces) the image/video of a candidate, making it a text + media candidate; returns an error message or null. */
export function attachFile(ui: SiftUi, id: string, file: File): string | null {
  const kind = mediaKindOfFile(file);
  if (!kind) return `"${file.name}" is not an image or a video.`;
  const c = ui.candidates[indexOf(ui, id)];
  if (!c) return null;
  releaseMedia(ui, c.media);
  c.media = fileMedia(file, kind);
  if (kind === 'video') startVideoProbe(ui, c.media.url);
  touchCandidates(ui);
  filesAddedAgain(ui, 1);
  ui.announce(`Attached ${kind} ${file.name}.`);
  return null;
}

export function detachMedia(ui: SiftUi, id: string): void {
  const c = ui.candidates[indexOf(ui, id)];
  if (!c?.media) return;
  releaseMedia(ui, c.media);
  c.media = null;
  touchCandidates(ui);
  ui.announce('Removed the image or video from the candidate.');
}
