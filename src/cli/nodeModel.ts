// Loads a converted model directory in Node: onnxruntime-web's WASM EP (the same graphs and engine
// the browser runs) plus the checkpoint's own tokenizer.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { wrappedWasmPaths } from '../engine/inPlaceSession.ts';
import { parseManifest, type Manifest } from '../model/manifest.ts';
import type { LoadedModel } from '../engine/session.ts';
import { startModel } from '../engine/startModel.ts';
import type { PromptTokenizer } from '../prompt/index.ts';

export interface NodeModel {
  manifest: Manifest;
  model: LoadedModel;
  tokenizer: PromptTokenizer;
}

/** onnxruntime-web's wasmPaths in Node: its plain WASM build, started through the factory wrapper (a data: URL). */
export function nodeWasmPaths(): { mjs: string; wasm: string } {
  return wrappedWasmPaths(
    new URL('.', import.meta.resolve('onnxruntime-web')).href,
    'ort-wasm-simd-threaded',
    (source) => `data:text/javascript,${encodeURIComponent(source)}`,
  );
}

// onnxruntime-web starts through the factory wrapper, so ORT-format graphs are used in place.
ort.env.wasm.wasmPaths = nodeWasmPaths();

export async function loadModelDir(dir: string): Promise<NodeModel> {
  let manifestText: string;
  try {
    manifestText = await readFile(join(dir, 'manifest.json'), 'utf8');
  } catch {
    throw new Error(`${dir} has no manifest.json: convert a checkpoint first (sift convert <checkpoint> ${dir})`);
  }
  const manifest = parseManifest(JSON.parse(manifestText));
  const read = async (file: string) => new Uint8Array(await readFile(join(dir, file)));
  const { model, tokenizer } = await startModel(ort, manifest, { read });
  return { manifest, model, tokenizer };
}
