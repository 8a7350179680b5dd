// What survives a reload: restoring the saved state into the UI at start-up, and the snapshot that
// App.svelte saves (debounced) as the user types. Files cannot come back after a reload, so the
// restore tells the user what was lost.
import { plural } from './format.ts';
import { loadSaved, type SavedCandidate, type SavedState } from './persist.ts';
import type { SiftUi } from './state.svelte.ts';
import { newId, urlMedia, type Candidate, type MediaRef } from './stateTypes.ts';

/** Fills `ui` from the saved state, field by field: a saved value of the wrong shape is skipped. */
export function restoreSavedState(ui: SiftUi): void {
  const s = loadSaved();
  if (!s) return;
  if (typeof s.queryText === 'string') ui.queryText = s.queryText;
  if (typeof s.instruction === 'string') ui.instruction = s.instruction;
  if (typeof s.fps === 'string') ui.settings.fps = s.fps;
  if (typeof s.maxFrames === 'string') ui.settings.maxFrames = s.maxFrames;
  if (typeof s.maxVideoSeconds === 'string') ui.settings.maxVideoSeconds = s.maxVideoSeconds;
  if (s.model) {
    if (['tiny', 'official', 'manifest'].includes(s.model.choice)) ui.modelChoice = s.model.choice;
    if (typeof s.model.manifestUrl === 'string') ui.manifestUrl = s.model.manifestUrl;
    if ([4, 8, 32].includes(s.model.bits)) ui.bits = s.model.bits;
    if (['auto', 'webgpu', 'wasm'].includes(s.model.backend)) ui.backendPref = s.model.backend;
  }
  let dropped = 0;
  let stripped = 0;
  const restored: Candidate[] = [];
  for (const c of Array.isArray(s.candidates) ? s.candidates : []) {
    if (!c || typeof c.text !== 'string') continue;
    let media: MediaRef | null = null;
    if (typeof c.imageUrl === 'string') {
      try {
        media = urlMedia(c.imageUrl);
      } catch {
        media = null;
      }
    }
    if (c.lostFile && !c.text) {
      dropped++;
      continue;
    }
    if (c.lostFile) stripped++;
    if (!c.text && !media) continue;
    restored.push({ id: newId(), text: c.text, media });
  }
  ui.candidates = restored;
  const parts: string[] = [];
  if (dropped) parts.push(`${plural(dropped, 'image/video candidate')} ${dropped === 1 ? 'was' : 'were'} removed`);
  if (stripped)
    parts.push(
      `${plural(stripped, 'candidate')} kept ${stripped === 1 ? 'its' : 'their'} text but lost ${stripped === 1 ? 'its' : 'their'} file`,
    );
  if (s.queryLostFile) parts.push(`the query's ${s.queryLostFile} was removed`);
  ui.restoredLostFiles = dropped + stripped + (s.queryLostFile ? 1 : 0);
  if (parts.length) {
    ui.restoredNotice =
      `Restored from your last visit, except files: ${parts.join('; ')}. Browsers do not let a page reopen your files ` +
      'after a reload, so add those images and videos again. Text candidates and image URLs were kept.';
  }
}

/** `count` files were added (candidates or the query): once the lost ones are all back, the notice goes. */
export function filesAddedAgain(ui: SiftUi, count: number): void {
  if (!ui.restoredNotice || count <= 0) return;
  ui.restoredLostFiles -= count;
  if (ui.restoredLostFiles <= 0) ui.restoredNotice = null;
}

/** What to save of `ui` now. Reading it inside an $effect makes the effect rerun on every change. */
export function savedSnapshot(ui: SiftUi): SavedState {
  return {
    v: 1,
    queryText: ui.queryText,
    queryLostFile: ui.queryMedia?.source === 'file' ? ui.queryMedia.kind : undefined,
    instruction: ui.instruction,
    fps: ui.settings.fps,
    maxFrames: ui.settings.maxFrames,
    maxVideoSeconds: ui.settings.maxVideoSeconds,
    candidates: ui.candidates.map((c): SavedCandidate => {
      const out: SavedCandidate = { text: c.text };
      if (c.media?.source === 'url') out.imageUrl = c.media.url;
      if (c.media?.source === 'file') out.lostFile = c.media.kind;
      return out;
    }),
    model: { choice: ui.modelChoice, manifestUrl: ui.manifestUrl, bits: ui.bits, backend: ui.backendPref },
  };
}
