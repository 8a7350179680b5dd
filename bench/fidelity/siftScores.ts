// Scores the fidelity inputs (inputs.ts) with a converted Sift model in Node, one full prompt per
// document as the official reranker does, on the CLI's default backend for the model (src/cli/backend.ts)
// or the one named: wasm is onnxruntime-web's WASM EP, the engine the browser runs.
//   node --import tsx bench/fidelity/siftScores.ts <model-dir> <inputs-dir> <out.json> [native|wasm]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../../src/cli/backend.ts';
import { loadModelDir } from '../../src/cli/nodeModel.ts';
import { Scorer, type PromptInput } from '../../src/engine/scorer.ts';
import type { FidelityInputs } from './inputs.ts';

export async function siftFidelityScores(
  modelDir: string,
  inputsDir: string,
  backend?: BackendName,
): Promise<Record<string, { scores: number[]; ms: number }>> {
  const inputs = JSON.parse(readFileSync(join(inputsDir, 'inputs.json'), 'utf8')) as FidelityInputs;
  const { model, runtime } = await loadModelDir(modelDir, { backend });
  console.error(`${modelDir}: ${runtime}`);
  const out: Record<string, { scores: number[]; ms: number }> = {};
  try {
    for (const [name, docs] of Object.entries(inputs)) {
      const prompts: PromptInput[] = docs.map((d) => ({
        ids: d.ids,
        images: d.images.map((im) => ({
          patches: new Float32Array(readFileSync(join(inputsDir, im.file)).buffer.slice(0)),
          grid: im.grid,
        })),
        videos: [],
      }));
      const t0 = performance.now();
      const res = await new Scorer(model).score(null, prompts, { reusePrefix: false });
      out[name] = { scores: res.map((r) => r.score ?? Number.NaN), ms: Math.round(performance.now() - t0) };
      console.error(`${modelDir} ${name}: ${out[name].ms} ms`);
    }
  } finally {
    await model.release();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [modelDir, inputsDir, outFile, backend] = process.argv.slice(2);
  writeFileSync(outFile, JSON.stringify(await siftFidelityScores(modelDir, inputsDir, backend as BackendName | undefined)));
}
