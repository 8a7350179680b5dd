// What survives a reload: restoring the saved query, model choice and candidates at start-up, the
// snapshot that App.svelte saves (debounced) as the user types, and the notice that tells the user
// which files were lost (browsers do not let a page reopen a user's files after a reload).
import type { CandidateList } from './candidates.svelte.ts';
import { plural } from './format.ts';
import type { ModelState } from './model.svelte.ts';
import { loadSaved, saveFailure, type SavedCandidate, type SavedState } from './persist.ts';
import type { QueryState } from './query.svelte.ts';
import { newId, urlMedia, type Candidate, type MediaRef } from './stateTypes.ts';
import type { ViewState } from './view.svelte.ts';

export interface SavedSessionDeps {
  query: QueryState;
  candidates: CandidateList;
  model: ModelState;
  view: ViewState;
}

export class SavedSession {
  readonly #deps: SavedSessionDeps;

  /** What the restore could not bring back, until the user dismisses it or adds the files again. */
  restoredNotice = $state<string | null>(null);
  /** Why the last save failed (storage full or blocked), or null. */
  saveError = $state<string | null>(null);

  /** How many files the restore could not bring back; the notice goes once that many are added again. */
  #lostFiles = 0;

  constructor(deps: SavedSessionDeps) {
    this.#deps = deps;
  }

  /** Fills the query, model choice and candidates from the saved state, field by field: a saved value of the wrong shape is skipped. */
  restore(): void {
    const { query, candidates, model } = this.#deps;
    const s = loadSaved();
    if (!s) return;
    if (s.view === 'rerank' || s.view === 'library' || s.view === 'moments') this.#deps.view.show(s.view);
    if (typeof s.queryText === 'string') query.text = s.queryText;
    if (typeof s.instruction === 'string') query.instruction = s.instruction;
    if (typeof s.fps === 'string') query.settings.fps = s.fps;
    if (typeof s.maxFrames === 'string') query.settings.maxFrames = s.maxFrames;
    if (typeof s.maxVideoSeconds === 'string') query.settings.maxVideoSeconds = s.maxVideoSeconds;
    if (s.model) {
      if (['tiny', 'official', 'manifest'].includes(s.model.choice)) model.choice = s.model.choice;
      if (typeof s.model.manifestUrl === 'string') model.manifestUrl = s.model.manifestUrl;
      if ([4, 8, 32].includes(s.model.bits)) model.bits = s.model.bits;
      if (['auto', 'webgpu', 'wasm'].includes(s.model.backend)) model.backendPref = s.model.backend;
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
    candidates.items = restored;
    const parts: string[] = [];
    if (dropped) parts.push(`${plural(dropped, 'image/video candidate')} ${dropped === 1 ? 'was' : 'were'} removed`);
    if (stripped)
      parts.push(
        `${plural(stripped, 'candidate')} kept ${stripped === 1 ? 'its' : 'their'} text but lost ${stripped === 1 ? 'its' : 'their'} file`,
      );
    if (s.queryLostFile) parts.push(`the query's ${s.queryLostFile} was removed`);
    this.#lostFiles = dropped + stripped + (s.queryLostFile ? 1 : 0);
    if (parts.length) {
      this.restoredNotice =
        `Restored from your last visit, except files: ${parts.join('; ')}. Browsers do not let a page reopen your files ` +
        'after a reload, so add those images and videos again. Text candidates and image URLs were kept.';
    }
  }

  /** `count` files were added (candidates or the query): once the lost ones are all back, the notice goes. */
  filesAddedAgain(count: number): void {
    if (!this.restoredNotice || count <= 0) return;
    this.#lostFiles -= count;
    if (this.#lostFiles <= 0) this.restoredNotice = null;
  }

  dismissNotice(): void {
    this.restoredNotice = null;
  }

  /** What to save now. Reading it inside an $effect makes the effect rerun on every change. */
  snapshot(): SavedState {
    const { query, candidates, model, view } = this.#deps;
    return {
      v: 1,
      queryText: query.text,
      queryLostFile: query.media?.source === 'file' ? query.media.kind : undefined,
      instruction: query.instruction,
      fps: query.settings.fps,
      maxFrames: query.settings.maxFrames,
      maxVideoSeconds: query.settings.maxVideoSeconds,
      candidates: candidates.items.map((c): SavedCandidate => {
        const out: SavedCandidate = { text: c.text };
        if (c.media?.source === 'url') out.imageUrl = c.media.url;
        if (c.media?.source === 'file') out.lostFile = c.media.kind;
        return out;
      }),
      model: { choice: model.choice, manifestUrl: model.manifestUrl, bits: model.bits, backend: model.backendPref },
      view: view.current,
    };
  }

  saveNow(snapshot: SavedState = this.snapshot()): void {
    this.saveError = saveFailure(snapshot);
  }
}
