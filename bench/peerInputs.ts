// The inputs of the section "beside the peer" (bench/peerSection.mjs): issue I's three workloads
// (text10, img4, imgq_text10) prepared once by bench/fidelity/inputs.ts — each document's full prompt
// ids and its images' patches — so that every system (Sift in the browser and in Node, the official
// implementation in Python) runs exactly the same inputs. Added here, in the same folder:
// - a `warmup` workload first (one short text document): official.py and Sift both score it before the
//   timed workloads and it is not reported, so neither side's first-call costs land in text10;
// - prefixes.json: each workload's query prefix (the prompt with an empty document, as RerankSession
//   builds it), which Sift runs once and reuses for every document, as the app does.
//   node --import tsx bench/peerInputs.ts <checkpoint-or-model-dir-with-tokenizer> <out-dir>
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildRerankConversations,
  DEFAULT_CONVERSATION_OPTIONS,
  encodeDocumentPrompt,
  loadPromptTokenizer,
  mediaItems,
  type PromptTokenizer,
} from '../src/prompt/index.ts';
import { fidelityRequests, writeFidelityInputs, type FidelityDoc, type FidelityInputs } from './fidelity/inputs.ts';

export const PEER_WORKLOADS = ['text10', 'img4', 'imgq_text10'] as const;
export type PeerWorkload = (typeof PEER_WORKLOADS)[number];

/** A workload's query prefix: ids, and the files of the query's images (already written by inputs.ts). */
export type PeerPrefixes = Record<string, FidelityDoc>;

/** The query prefix of one workload: its request with one empty document, encoded as the engine does. */
function prefixOf(name: string, tokenizer: PromptTokenizer): FidelityDoc {
  const request = fidelityRequests(false)[name];
  const conv = buildRerankConversations({ ...request, documents: [{}] }, DEFAULT_CONVERSATION_OPTIONS)[0];
  // The handles are "fid:<size>:<seed>"; inputs.ts wrote their patches as fid-<size>-<seed>.f32.
  const images = mediaItems(conv).map((it) => {
    const handle = String(it.type === 'image' ? it.image : '');
    const size = Number(handle.split(':')[1]);
    return { file: `${handle.replaceAll(':', '-')}.f32`, grid: [1, size / 16, size / 16] as [number, number, number] };
  });
  const prompt = encodeDocumentPrompt(conv, tokenizer, { images: images.map((i) => i.grid), videos: [] }, { mergeSize: 2 });
  return { ids: Array.from(prompt.ids), images };
}

/** Writes inputs.json (warmup + the three workloads, full size: 10 texts, 448×448 images) and prefixes.json. */
export function writePeerInputs(tokenizerDir: string, outDir: string): { inputs: FidelityInputs; prefixes: PeerPrefixes } {
  const workloads = writeFidelityInputs(tokenizerDir, outDir, false);
  const shortest = [...workloads.text10].sort((a, b) => a.ids.length - b.ids.length)[0];
  const inputs: FidelityInputs = { warmup: [shortest], ...workloads };
  writeFileSync(join(outDir, 'inputs.json'), JSON.stringify(inputs));
  const json = (f: string) => JSON.parse(readFileSync(join(tokenizerDir, f), 'utf8'));
  const tokenizer = loadPromptTokenizer(json('tokenizer.json'), json('tokenizer_config.json'));
  const prefixes: PeerPrefixes = Object.fromEntries(
    Object.keys(inputs).map((k) => [k, prefixOf(k === 'warmup' ? 'text10' : k, tokenizer)]),
  );
  writeFileSync(join(outDir, 'prefixes.json'), JSON.stringify(prefixes));
  return { inputs, prefixes };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, out] = process.argv.slice(2);
  const { inputs, prefixes } = writePeerInputs(dir, out);
  for (const [k, docs] of Object.entries(inputs))
    console.log(`${k}: ${docs.length} documents, ${docs.map((d) => d.ids.length).join('/')} tokens; prefix ${prefixes[k].ids.length}`);
}
