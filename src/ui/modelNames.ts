// What the UI calls a model: the name the user picked it by in the Model panel, with the stored
// variant (the manifest's id) as detail. The built-in model comes in two stored variants (4-bit for
// WebGPU, int8 for WASM), both of which the user knows only as "Built-in tiny model".
import type { ModelInfo } from '../lib/types.ts';

export const BUILTIN_TINY_NAME = 'Built-in tiny model';
const BUILTIN_TINY_IDS = new Set(['sift-tiny', 'sift-tiny-int8']);

export function isBuiltinTiny(id: string): boolean {
  return BUILTIN_TINY_IDS.has(id);
}

/** The model's name as the Model panel offers it, and the stored variant when that says more. */
export function modelName(info: Pick<ModelInfo, 'id' | 'label'>): { name: string; detail: string | null } {
  if (isBuiltinTiny(info.id)) return { name: BUILTIN_TINY_NAME, detail: info.id };
  return { name: info.label, detail: info.id !== info.label ? info.id : null };
}

/** "Built-in tiny model (sift-tiny-int8)": the name with its variant, for sentences. */
export function modelNameWithDetail(info: Pick<ModelInfo, 'id' | 'label'>): string {
  const n = modelName(info);
  return n.detail ? `${n.name} (${n.detail})` : n.name;
}
