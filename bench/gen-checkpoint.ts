// Writes the bench checkpoint: random weights with the official names and the real 2B widths
// (hidden 2048, 16/8 heads, FFN 6144, vision width 1024 / FFN 4096 / 16 heads) but few layers, and
// three DeepStack mergers like the real model (fed into the first three decoder layers).
//   node --import tsx bench/gen-checkpoint.ts <dir> <textLayers> <visionDepth> [reranker|embedding]
import { writeTinyCheckpoint } from '../src/cli/tiny.ts';

const [dir, layers, depth, kind = 'reranker'] = process.argv.slice(2);
if (kind !== 'reranker' && kind !== 'embedding') throw new Error(`kind must be reranker or embedding, got ${kind}`);
const visionDepth = Number(depth);
const deepstackIndexes = [1, 3, 5].map((i) => Math.min(i, visionDepth - 1)).filter((v, i, a) => a.indexOf(v) === i);
const r = await writeTinyCheckpoint(dir, { seed: 3, realSize: true, textLayers: Number(layers), visionDepth, deepstackIndexes, kind });
console.log(
  `bench ${kind} checkpoint: ${(r.totalBytes / 1e6).toFixed(0)} MB in ${dir} (text layers ${layers}, vision depth ${visionDepth}, DeepStack ${deepstackIndexes.join(',')})`,
);
