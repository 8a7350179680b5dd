// The models cached in this browser (IndexedDB, the same store the worker downloads into), read and
// deleted from the page: no worker, no model loaded.
import { deleteModel, listModels, type ModelSummary } from '../store/readModel.ts';

export type CachedModel = ModelSummary;

/** Every model stored in this origin, finished ('ready') or partly downloaded ('downloading'). */
export function listCachedModels(): Promise<CachedModel[]> {
  return listModels();
}

/** True when model `id` (that version, or any version) is stored completely, so it loads offline. */
export async function hasCachedModel(id: string, version?: string): Promise<boolean> {
  return (await listModels()).some((m) => m.id === id && m.state === 'ready' && (version === undefined || m.version === version));
}

/** Deletes model `id` (one version, or all of them) from this origin's storage. */
export function deleteCachedModel(id: string, version?: string): Promise<void> {
  return deleteModel(id, version);
}

/** Bytes this origin uses and may use, and whether the browser keeps its storage under pressure. */
export async function storageEstimate(): Promise<{ usage: number; quota: number; persisted: boolean }> {
  const e = await navigator.storage.estimate();
  const persisted = (await navigator.storage.persisted?.()) ?? false;
  return { usage: e.usage ?? 0, quota: e.quota ?? 0, persisted };
}
