// Loads a converted model directory in Node: its graphs on the chosen onnxruntime (backend.ts:
// onnxruntime-node by default, or onnxruntime-web's WASM build, the browser's engine) plus the
// checkpoint's own tokenizer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseManifest, type Manifest } from '../model/manifest.ts';
import type { LoadedModel } from '../engine/session.ts';
import { startModel } from '../engine/startModel.ts';
import type { PromptTokenizer } from '../prompt/index.ts';
import { startRuntime, type BackendChoice } from './backend.ts';

export { nodeWasmPaths } from './wasmOrt.ts';

export interface NodeModel {
  manifest: Manifest;
  model: LoadedModel;
  tokenizer: PromptTokenizer;
  /** Which onnxruntime runs it (backend.ts), e.g. "onnxruntime-node 1.30.0, CPU EP, 2 threads". */
  runtime: string;
}

export async function loadModelDir(dir: string, choice: BackendChoice = {}): Promise<NodeModel> {
  let manifestText: string;
  try {
    manifestText = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    throw new Error(`${dir} has no manifest.json: convert a checkpoint first (sift convert <checkpoint> ${dir})`);
  }
  const manifest = parseManifest(JSON.parse(manifestText));
  const read = async (file: string) => new Uint8Array(await readFile(join(dir, file)));
  const runtime = await startRuntime(manifest, choice);
  try {
    const { model, tokenizer } = await startModel(runtime.ort, manifest, { read }, runtime.load);
    return { manifest, model, tokenizer, runtime: runtime.description };
  } catch (err) {
    if (runtime.load.backend !== 'cuda') throw err;
    throw new Error(
      `--backend cuda: ${(err as Error).message}. onnxruntime-node's CUDA EP needs its CUDA libraries (its install script downloads them: npm rebuild onnxruntime-node --ignore-scripts=false) and the CUDA and cuDNN versions it was built for; --backend native runs on the CPU`,
    );
  }
}
