// What survives a reload, in localStorage: the query text, instruction, settings, the model choice and
// the candidates that are plain text or image URLs. Files (dropped/picked images and videos) cannot
// be kept — a page may not re-open a user's file after a reload — so only a count of them is kept,
// for the notice the UI shows after the reload.
import type { ModelSource } from '../lib/types.ts';

export const UI_STATE_KEY = 'sift.ui.v1';
export const MODEL_SOURCES_KEY = 'sift.ui.modelSources.v1';
export const LIBRARY_PREFS_KEY = 'sift.ui.library.v1';

export type ModelChoice = 'tiny' | 'official' | 'manifest';
export type BackendPreference = 'auto' | 'webgpu' | 'wasm';

export interface SavedCandidate {
  text: string;
  /** An http(s) image URL (kept: it is just a string). */
  imageUrl?: string;
  /** A file this candidate held that could not be kept. */
  lostFile?: 'image' | 'video';
}

export interface SavedState {
  v: 1;
  queryText: string;
  /** The query had a file (image/video) that could not be kept. */
  queryLostFile?: 'image' | 'video';
  instruction: string;
  fps: string;
  maxFrames: string;
  maxVideoSeconds: string;
  candidates: SavedCandidate[];
  model: { choice: ModelChoice; manifestUrl: string; bits: 4 | 8 | 32; backend: BackendPreference };
  /** The view shown ("Rerank a list", "Library", "Inside a video"); absent in states saved before the Library view. */
  view?: 'rerank' | 'library' | 'moments';
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // blocked (privacy settings)
  }
}

export function loadSaved(): Partial<SavedState> | null {
  const raw = storage()?.getItem(UI_STATE_KEY);
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<SavedState>;
    return v && typeof v === 'object' && v.v === 1 ? v : null;
  } catch {
    return null;
  }
}

/** Saves `state`; returns why the browser refused it (quota, blocked storage), or null when it was saved. */
export function saveFailure(state: SavedState): string | null {
  const s = storage();
  if (!s) return 'This browser blocks local storage, so your query and candidates will not survive a reload.';
  try {
    s.setItem(UI_STATE_KEY, JSON.stringify(state));
    return null;
  } catch {
    return 'Your candidates are too large to keep across a reload (local storage is full); they still work now.';
  }
}

/** Which source each cached model came from, so a cached model can be loaded again with one click. */
export function loadModelSources(): Record<string, ModelSource> {
  try {
    const raw = storage()?.getItem(MODEL_SOURCES_KEY);
    const v = raw ? JSON.parse(raw) : {};
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

export function rememberModelSource(id: string, source: ModelSource): void {
  try {
    const all = loadModelSources();
    all[id] = source;
    storage()?.setItem(MODEL_SOURCES_KEY, JSON.stringify(all));
  } catch {
    /* a convenience only */
  }
}

export function forgetModelSource(id: string): void {
  try {
    const all = loadModelSources();
    delete all[id];
    storage()?.setItem(MODEL_SOURCES_KEY, JSON.stringify(all));
  } catch {
    /* a convenience only */
  }
}

/** The Library view's models and backend. */
export interface LibraryPrefs {
  embedder: 'tiny' | 'manifest';
  embedderUrl: string;
  reranker: 'tiny' | 'manifest' | 'none';
  rerankerUrl: string;
  backend: BackendPreference;
}

const DEFAULT_LIBRARY_PREFS: LibraryPrefs = { embedder: 'tiny', embedderUrl: '', reranker: 'tiny', rerankerUrl: '', backend: 'auto' };

/** The saved Library prefs, field by field (a value of the wrong shape falls back to the default). */
export function loadLibraryPrefs(): LibraryPrefs {
  const out = { ...DEFAULT_LIBRARY_PREFS };
  try {
    const v = JSON.parse(storage()?.getItem(LIBRARY_PREFS_KEY) ?? 'null') as Partial<LibraryPrefs> | null;
    if (!v || typeof v !== 'object') return out;
    if (v.embedder === 'tiny' || v.embedder === 'manifest') out.embedder = v.embedder;
    if (typeof v.embedderUrl === 'string') out.embedderUrl = v.embedderUrl;
    if (v.reranker === 'tiny' || v.reranker === 'manifest' || v.reranker === 'none') out.reranker = v.reranker;
    if (typeof v.rerankerUrl === 'string') out.rerankerUrl = v.rerankerUrl;
    if (v.backend === 'auto' || v.backend === 'webgpu' || v.backend === 'wasm') out.backend = v.backend;
  } catch {
    /* defaults */
  }
  return out;
}

export function saveLibraryPrefs(prefs: LibraryPrefs): void {
  try {
    storage()?.setItem(LIBRARY_PREFS_KEY, JSON.stringify(prefs));
  } catch {
    /* a convenience only */
  }
}
