// Sift scoring one prepared workload (bench/peerInputs.ts) the way the app does: the query prefix runs
// once and its KV cache is reused, short documents are packed, the query's image is encoded once
// (one VisionItem shared by the prefix and every document). The cross-request vision cache is off, so
// repeated runs measure the vision tower every time. Shared by the bench page (bench/pages/peerRuns.ts)
// and the Node runs (bench/peerSift.ts).
import type { LoadedModel } from '../src/engine/session.ts';
import { Scorer, type PromptInput, type VisionItem } from '../src/engine/scorer.ts';
import type { FidelityDoc } from './fidelity/inputs.ts';

/** Reads an image's patches file (a .f32 written by bench/fidelity/inputs.ts). */
export type ReadPatches = (file: string) => Promise<Float32Array>;

export interface PeerScores {
  ms: number;
  scores: (number | null)[];
  errors: string[];
}

/** The workload's prompts and prefix, with one VisionItem per distinct patches file. */
async function promptsOf(docs: FidelityDoc[], prefix: FidelityDoc | null, read: ReadPatches) {
  const items = new Map<string, VisionItem>();
  const itemOf = async (file: string, grid: [number, number, number]) => {
    let it = items.get(file);
    if (!it) items.set(file, (it = { patches: await read(file), grid }));
    return it;
  };
  const prompt = async (d: FidelityDoc): Promise<PromptInput> => ({
    ids: d.ids,
    images: await Promise.all(d.images.map((im) => itemOf(im.file, im.grid))),
    videos: [],
  });
  const prompts: PromptInput[] = [];
  for (const d of docs) prompts.push(await prompt(d));
  return { prompts, prefix: prefix ? await prompt(prefix) : null };
}

/**
 * Scores `docs` against `prefix` (null: each full prompt from scratch, as the official reranker does).
 * Patches are read before the clock starts: the official side gets them from disk untimed too.
 */
export async function scorePrepared(
  model: LoadedModel,
  docs: FidelityDoc[],
  prefix: FidelityDoc | null,
  read: ReadPatches,
): Promise<PeerScores> {
  const { prompts, prefix: pre } = await promptsOf(docs, prefix, read);
  const scorer = new Scorer(model, { visionCache: null });
  const t0 = performance.now();
  const res = await scorer.score(pre, prompts, { reusePrefix: pre !== null });
  const ms = performance.now() - t0;
  return { ms, scores: res.map((r) => r.score), errors: res.flatMap((r) => (r.error ? [r.error] : [])) };
}
