// Loads a converted model directory in Node: onnxruntime-web's WASM EP (the same graphs and engine
// the browser runs) plus the checkpoint's own tokenizer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { parseManifest, type Manifest } from '../model/manifest.ts';
import { loadModel, type LoadedModel } from '../engine/session.ts';
import { loadPromptTokenizer, type PromptTokenizer } from '../prompt/index.ts';

export interface NodeModel {
  manifest: Manifest;
  model: LoadedModel;
  tokenizer: PromptTokenizer;
}

export async function loadModelDir(dir: string): Promise<NodeModel> {
  let manifestText: string;
  try {
    manifestText = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    throw new Error(`${dir} has no manifest.json: convert a checkpoint first (sift convert <checkpoint> ${dir})`);
  }
  const manifest = parseManifest(JSON.parse(manifestText));
  const read = async (file: string) => new Uint8Array(await readFile(join(dir, file)));
  const json = async (file: string) => JSON.parse(new TextDecoder().decode(await read(file)));
  const tokenizer = loadPromptTokenizer(await json(manifest.files.tokenizer), await json(manifest.files.tokenizerConfig));
  const model = await loadModel(ort, manifest, read);
  return { manifest, model, tokenizer };
}
