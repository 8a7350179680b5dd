// The fidelity workloads (issue I's three, at any model size) as prepared model inputs: each document's
// prompt ids and its images' patches, written to a folder so that Sift's formats and the official
// implementation score exactly the same inputs. What differs between them is then only the weights'
// format and the arithmetic, which is what a format's fidelity means.
//   node --import tsx bench/fidelity/inputs.ts <checkpoint-dir> <out-dir> [--quick]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildRerankConversations,
  DEFAULT_CONVERSATION_OPTIONS,
  encodeDocumentPrompt,
  loadPromptTokenizer,
  mediaItems,
  type RerankRequest,
} from '../../src/prompt/index.ts';
import { textDocuments } from '../textDocuments.mjs';

export interface FidelityImage {
  file: string;
  grid: [number, number, number];
}
export interface FidelityDoc {
  ids: number[];
  images: FidelityImage[];
}
export type FidelityInputs = Record<string, FidelityDoc[]>;

const PATCH = 16;
const PATCH_VALUES = 3 * 2 * PATCH * PATCH;

/** Patches of a size×size image, deterministic per seed, in the processor's value range [−1, 1]. */
function patchesOf(size: number, seed: number): { data: Float32Array; grid: [number, number, number] } {
  const side = size / PATCH;
  const data = new Float32Array(side * side * PATCH_VALUES);
  let s = (seed * 2654435761) >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    // Smooth-ish values (neighbours correlate) rather than white noise, as pixels are.
    data[i] = Math.sin(i * 0.001 + seed) * 0.6 + (s / 2 ** 32 - 0.5) * 0.4;
  }
  return { data, grid: [1, side, side] };
}

export function fidelityRequests(quick: boolean): Record<string, RerankRequest> {
  const query = { text: 'A woman playing with her dog on a beach at sunset.' };
  const texts = textDocuments(quick ? 4 : 10);
  const size = quick ? 224 : 448;
  return {
    text10: { query, documents: texts },
    img4: { query, documents: Array.from({ length: quick ? 2 : 4 }, (_, i) => ({ image: `fid:${size}:${100 + i}` })) },
    imgq_text10: { query: { image: `fid:${size}:1` }, documents: texts },
  };
}

export function writeFidelityInputs(checkpointDir: string, outDir: string, quick = false): FidelityInputs {
  const json = (f: string) => JSON.parse(readFileSync(join(checkpointDir, f), 'utf8'));
  const tokenizer = loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
  mkdirSync(outDir, { recursive: true });
  const out: FidelityInputs = {};
  for (const [name, request] of Object.entries(fidelityRequests(quick))) {
    out[name] = buildRerankConversations(request, DEFAULT_CONVERSATION_OPTIONS).map((conv) => {
      const handles = mediaItems(conv).map((it) => String(it.type === 'image' ? it.image : ''));
      const images = handles.map((h) => {
        const [, size, seed] = h.split(':').map(Number);
        const p = patchesOf(size, seed);
        const file = `${h.replaceAll(':', '-')}.f32`;
        writeFileSync(join(outDir, file), new Uint8Array(p.data.buffer));
        return { file, grid: p.grid };
      });
      const prompt = encodeDocumentPrompt(conv, tokenizer, { images: images.map((i) => i.grid), videos: [] }, { mergeSize: 2 });
      return { ids: Array.from(prompt.ids), images };
    });
  }
  writeFileSync(join(outDir, 'inputs.json'), JSON.stringify(out));
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [ckpt, out] = process.argv.slice(2);
  const inputs = writeFidelityInputs(ckpt, out, process.argv.includes('--quick'));
  for (const [k, docs] of Object.entries(inputs))
    console.log(`${k}: ${docs.length} documents, ${docs.map((d) => d.ids.length).join('/')} tokens`);
}
