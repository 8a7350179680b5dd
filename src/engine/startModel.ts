// Everything "Load model" needs from a converted model's files: the onnxruntime sessions and the
// prompt tokenizer, built so their costs overlap. The tokenizer's files are asked for first and it is
// built (≈1 s of JS for a 151k-token vocabulary) while the graphs' bytes are still arriving; the
// sessions are then built as their bytes land. Used by the app's worker, the CLI and the benchmark.
import type { Manifest } from '../model/manifest.ts';
import { loadPromptTokenizer, type PromptTokenizer } from '../prompt/index.ts';
import type { FileRequest } from '../store/readInOrder.ts';
import { loadModel, type LoadedModel, type LoadOptions, type Ort, type ReadModelFile } from './session.ts';

export interface ModelFiles {
  read: ReadModelFile;
  /** Starts reading files ahead in this order (see LoadOptions.prefetch). */
  prefetch?: (files: FileRequest[]) => void;
}

export interface StartedModel {
  model: LoadedModel;
  tokenizer: PromptTokenizer;
  /** ms after the start when the tokenizer was ready (next to model.loadTimeline). */
  tokenizerMs: number;
}

export async function startModel(
  ort: Ort,
  manifest: Manifest,
  files: ModelFiles,
  opts: Omit<LoadOptions, 'prefetch'> = {},
): Promise<StartedModel> {
  const started = performance.now();
  const decoder = new TextDecoder();
  const { tokenizer: tokFile, tokenizerConfig } = manifest.files;
  files.prefetch?.([tokFile, tokenizerConfig]);
  const modelP = loadModel(ort, manifest, files.read, { ...opts, prefetch: files.prefetch });
  modelP.catch(() => undefined); // awaited below
  let tokenizer: PromptTokenizer;
  let tokenizerMs: number;
  try {
    const json = async (file: string) => JSON.parse(decoder.decode(await files.read(file)));
    const [tj, tc] = await Promise.all([json(tokFile), json(tokenizerConfig)]);
    tokenizer = loadPromptTokenizer(tj, tc);
    tokenizerMs = Math.round(performance.now() - started);
  } catch (err) {
    await modelP.then((m) => m.release()).catch(() => undefined);
    throw err;
  }
  return { model: await modelP, tokenizer, tokenizerMs };
}
