// Sift's embeddings of the parity inputs (embedInputs.ts) with a converted embedding model in Node
// (onnxruntime-web's WASM EP, the engine the browser runs), end to end through EmbedSession: the same
// request handling, media decoding, shared system prefix and packing as `sift embed`. The prepared ids
// and patches in <inputs-dir> are what the official side runs; Sift recomputes them here on its own.
//   node --import tsx bench/fidelity/embedSift.ts <model-dir> <media-dir> <inputs-dir> <out.json>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadModelDir } from '../../src/cli/nodeModel.ts';
import { EmbedSession } from '../../src/engine/embed.ts';
import { nodeMediaDecoder } from '../../src/media/nodeDecoder.ts';
import type { EmbedFidelityInput } from './embedInputs.ts';

export async function siftEmbeddings(
  modelDir: string,
  mediaDir: string,
  inputsDir: string,
): Promise<{ embeddings: Record<string, number[] | null>; errors: unknown[]; ms: number }> {
  const inputs = JSON.parse(readFileSync(join(inputsDir, 'inputs.json'), 'utf8')) as EmbedFidelityInput[];
  const { model, tokenizer } = await loadModelDir(modelDir);
  try {
    const session = new EmbedSession(model, tokenizer, nodeMediaDecoder(mediaDir));
    const t0 = performance.now();
    const out = await session.run(
      { inputs: inputs.map((i) => i.input) },
      { onEmbedding: (r) => console.error(`${modelDir} ${inputs[r.index].name}: ${Math.round(r.ms)} ms${r.error ? ` ${r.error}` : ''}`) },
    );
    const ms = Math.round(performance.now() - t0);
    const embeddings = Object.fromEntries(inputs.map((inp, i) => [inp.name, out.embeddings[i] ? Array.from(out.embeddings[i]) : null]));
    return { embeddings, errors: out.errors, ms };
  } finally {
    await model.release();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [modelDir, mediaDir, inputsDir, outFile] = process.argv.slice(2);
  writeFileSync(outFile, JSON.stringify(await siftEmbeddings(modelDir, mediaDir, inputsDir)));
}
